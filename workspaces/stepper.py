"""The New Workspace stepper's state: a draft kept in the session, per organization.

Every POST stores what was typed (valid or not) before anything else, so Back, Next, a validation
error, a reload and the browser's back button all find every entry where the user left it.
"""

from dataclasses import dataclass, field

STEPS = [("details", "Details"), ("organize", "Organize"), ("access", "Access"), ("review", "Review")]
STEP_KEYS = [key for key, _ in STEPS]


def step_after(step: str) -> str:
    return STEP_KEYS[min(STEP_KEYS.index(step) + 1, len(STEP_KEYS) - 1)]


def step_before(step: str) -> str:
    return STEP_KEYS[max(STEP_KEYS.index(step) - 1, 0)]


@dataclass
class WorkspaceDraft:
    name: str = ""
    slug: str = ""
    slug_edited: bool = False
    slug_from_convention: bool = False  # the ID was made to follow the naming convention, not typed
    description: str = ""
    labels: dict[str, str] = field(default_factory=dict)  # dimension key -> value
    labels_taken: bool = False  # the Organize step was submitted (so its errors may show)
    grants: list[dict] = field(default_factory=list)  # [{"principal": "user:7" or "team:3", "role": key}]

    @staticmethod
    def _session_key(organization) -> str:
        return f"workspace_draft:{organization.pk}"

    @classmethod
    def load(cls, session, organization) -> "WorkspaceDraft":
        data = session.get(cls._session_key(organization)) or {}
        known = {k: v for k, v in data.items() if k in cls.__dataclass_fields__}
        return cls(**known)

    def save(self, session, organization) -> None:
        session[self._session_key(organization)] = self.__dict__.copy()

    @classmethod
    def discard(cls, session, organization) -> None:
        session.pop(cls._session_key(organization), None)

    def details_data(self) -> dict:
        return {
            "name": self.name,
            "slug": self.slug,
            "slug_edited": self.slug_edited,
            "description": self.description,
        }

    def take_details(self, data) -> None:
        previous = self.slug
        self.name = data.get("name", "")[:200]
        self.slug = data.get("slug", "")[:100]
        self.slug_edited = data.get("slug_edited") in {"True", "true", "on", "1"}
        if self.slug != previous:
            self.slug_from_convention = False
        self.description = data.get("description", "")[:4000]

    def organize_data(self) -> dict:
        return {f"label_{key}": value for key, value in self.labels.items()}

    def take_labels(self, data, dimensions) -> None:
        self.labels = {d.key: data.get(f"label_{d.key}", "")[:100] for d in dimensions}
        self.labels_taken = True

    def preset_labels(self, pairs, dimensions) -> None:
        """Choose the values that `pairs` ("<dimension>:<value>", as in the organization home's
        `label=` filter) name, e.g. from a matrix cell's "New Workspace" link; other dimensions keep
        what the draft holds, and pairs naming no value of the organization are ignored."""
        known = {(d.key, v.value) for d in dimensions for v in d.values.all()}
        for pair in pairs:
            key, _, value = pair.partition(":")
            if (key, value) in known:
                self.labels[key] = value

    def grant_add(self, principal: str, role: str) -> None:
        self.grants = [g for g in self.grants if g.get("principal") != principal] + [
            {"principal": principal, "role": role}
        ]

    def grant_remove(self, principal: str) -> None:
        self.grants = [g for g in self.grants if g.get("principal") != principal]
