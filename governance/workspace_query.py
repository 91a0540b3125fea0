"""The organization home's state, read from and written to the query string, and the filters it applies.

Everything a person sees on `/orgs/<org>/` follows from the query string (PRODUCT.md §6), so a reload,
the back button and a shared link show the same view, with or without JavaScript:

    view=list|board|group|matrix   by=<dimension> (board, group)   rows=<dimension> cols=<dimension> (matrix)
    label=<dimension>:<value>      repeatable; values of one dimension widen, dimensions narrow
    nolabel=<dimension>            repeatable; workspaces without a value in that dimension
    status=<status>                repeatable
    only=<filter>                  repeatable; a key of WORKSPACE_FILTERS ("mine", "overdue", "protected")
    q=<text>  sort=name|-name|status|-status|created|-created  page=<n> (list)

A parameter that names nothing known is dropped, so an old link still opens a sensible view.
"""

from collections.abc import Callable
from dataclasses import dataclass, field, replace
from urllib.parse import urlencode

from django.db.models import Case, Exists, IntegerField, OuterRef, Q, QuerySet, Value, When

from organizations.access import Access
from workspaces.models import WorkspaceLabel, WorkspaceRoleAssignment, WorkspaceStatus
from workspaces.policies import protected_q, review_overdue_q

VIEWS = [("list", "List"), ("board", "Board"), ("group", "Group"), ("matrix", "Matrix")]
VIEW_KEYS = [key for key, _ in VIEWS]

# The order a status sort follows: what needs a person first, then what works, then what is off.
STATUS_ORDER = [
    WorkspaceStatus.FAILED,
    WorkspaceStatus.PENDING,
    WorkspaceStatus.NOT_INITIALIZED,
    WorkspaceStatus.AVAILABLE,
    WorkspaceStatus.DEACTIVATED,
]
_STATUS_RANK = Case(
    *(When(status=status, then=Value(rank)) for rank, status in enumerate(STATUS_ORDER)),
    default=Value(len(STATUS_ORDER)),
    output_field=IntegerField(),
)
SORTS = {
    "-created": ("Newest", ("-created_at", "slug")),
    "created": ("Oldest", ("created_at", "slug")),
    "name": ("Name", ("display_name", "slug")),
    "-name": ("Name, Z–A", ("-display_name", "-slug")),
    "status": ("Status", (_STATUS_RANK.asc(), "display_name", "slug")),
    "-status": ("Status, reversed", (_STATUS_RANK.desc(), "display_name", "slug")),
}
DEFAULT_SORT = "-created"
DEFAULT_BOARD_DIMENSION = "environment"
DEFAULT_MATRIX = ("project", "environment")  # rows, columns


@dataclass(frozen=True)
class WorkspaceFilter:
    """A yes/no filter of the home's "only" chips: `apply` narrows the organization's visible
    workspaces to those it keeps, in SQL (a subquery or an Exists, never a query of its own)."""

    key: str
    label: str
    apply: Callable[[QuerySet, Access], QuerySet]


def _with_a_role_of_mine(workspaces: QuerySet, access: Access) -> QuerySet:
    mine = WorkspaceRoleAssignment.objects.filter(workspace=OuterRef("pk")).filter(
        Q(user=access.user) | Q(team__members=access.user)
    )
    return workspaces.filter(Exists(mine))


def _review_overdue(workspaces: QuerySet, access: Access) -> QuerySet:
    return workspaces.filter(review_overdue_q())  # a column of the row: its stored due date


def _protected(workspaces: QuerySet, access: Access) -> QuerySet:
    return workspaces.filter(protected_q())  # an Exists on its labels' values


# The "only" filters, in the order their chips show. Add one here and it works in the URL, the chips
# and every view.
WORKSPACE_FILTERS: dict[str, WorkspaceFilter] = {
    f.key: f
    for f in [
        WorkspaceFilter("mine", "I have a role", _with_a_role_of_mine),
        WorkspaceFilter("overdue", "Review overdue", _review_overdue),
        WorkspaceFilter("protected", "Protected", _protected),
    ]
}


@dataclass(frozen=True)
class WorkspaceQuery:
    """One state of the organization home. Build it with `from_params`, change it with `replace`-like
    helpers (`with_view`, `toggle_label`, ...) and turn it back into a link with `url`."""

    view: str = "list"
    by: str = ""
    rows: str = ""
    cols: str = ""
    labels: tuple[tuple[str, str], ...] = ()  # (dimension key, value key)
    nolabels: tuple[str, ...] = ()  # dimension keys
    statuses: tuple[str, ...] = ()
    only: tuple[str, ...] = ()
    search: str = ""
    sort: str = DEFAULT_SORT
    page: str = ""
    # Not part of the state: the organization's dimensions by key, to check and name what is asked.
    dimensions: dict = field(default_factory=dict, compare=False, repr=False)

    @classmethod
    def from_params(cls, params, dimensions) -> "WorkspaceQuery":
        """The state asked for by `params` (a QueryDict), keeping only what names something real in
        `dimensions` (the organization's, in order, each with its values prefetched)."""
        by_key = {d.key: d for d in dimensions}
        values = {(d.key, v.value) for d in dimensions for v in d.values.all()}

        def dimension(name: str, default: str) -> str:
            asked = params.get(name, "")
            if asked in by_key:
                return asked
            if default in by_key:
                return default
            return dimensions[0].key if dimensions else ""

        labels = []
        for raw in params.getlist("label"):
            pair = tuple(raw.split(":", 1)) if ":" in raw else None
            if pair in values and pair not in labels:
                labels.append(pair)
        view = params.get("view", "")
        rows = dimension("rows", DEFAULT_MATRIX[0])
        cols = dimension("cols", DEFAULT_MATRIX[1])
        if cols == rows and len(dimensions) > 1:  # a matrix of one dimension by itself says nothing
            cols = next(d.key for d in dimensions if d.key != rows)
        return cls(
            # Without a dimension there is nothing to arrange by: the list it is.
            view=view if view in VIEW_KEYS and dimensions else "list",
            by=dimension("by", DEFAULT_BOARD_DIMENSION),
            rows=rows,
            cols=cols,
            labels=tuple(labels),
            nolabels=tuple(dict.fromkeys(k for k in params.getlist("nolabel") if k in by_key)),
            statuses=tuple(dict.fromkeys(s for s in params.getlist("status") if s in STATUS_ORDER)),
            only=tuple(dict.fromkeys(k for k in params.getlist("only") if k in WORKSPACE_FILTERS)),
            search=params.get("q", "").strip()[:100],
            sort=params.get("sort") if params.get("sort") in SORTS else DEFAULT_SORT,
            page=params.get("page", "") if params.get("page", "").isdigit() else "",
            dimensions=by_key,
        )

    # --- reading ---------------------------------------------------------------------------------

    @property
    def is_filtered(self) -> bool:
        return bool(self.labels or self.nolabels or self.statuses or self.only or self.search)

    @property
    def ordering(self) -> tuple:
        return SORTS[self.sort][1]

    def apply(self, workspaces: QuerySet, access: Access) -> QuerySet:
        """Narrow `workspaces` (already the ones the user may see) to this state's filters: values of one
        dimension (and its "none") widen, different dimensions, statuses and "only" filters narrow."""
        for key in dict.fromkeys([k for k, _ in self.labels] + list(self.nolabels)):
            dimension = self.dimensions[key]
            chosen = [value for k, value in self.labels if k == key]
            holds = WorkspaceLabel.objects.filter(workspace=OuterRef("pk"), dimension=dimension)
            condition = Q()
            if chosen:
                condition |= Q(Exists(holds.filter(value__value__in=chosen)))
            if key in self.nolabels:
                condition |= ~Q(Exists(holds))
            workspaces = workspaces.filter(condition)
        if self.statuses:
            workspaces = workspaces.filter(status__in=self.statuses)
        for key in self.only:
            workspaces = WORKSPACE_FILTERS[key].apply(workspaces, access)
        return workspaces

    # --- writing: each returns a new state ---------------------------------------------------------

    def params(self) -> list[tuple[str, str]]:
        """The query string's pairs, leaving out what is the default, in a stable order."""
        pairs = []
        if self.view != "list":
            pairs.append(("view", self.view))
        if self.view in {"board", "group"}:
            pairs.append(("by", self.by))
        if self.view == "matrix":
            pairs += [("rows", self.rows), ("cols", self.cols)]
        pairs += [("label", f"{k}:{v}") for k, v in self.labels]
        pairs += [("nolabel", k) for k in self.nolabels]
        pairs += [("status", s) for s in self.statuses]
        pairs += [("only", k) for k in self.only]
        if self.search:
            pairs.append(("q", self.search))
        if self.sort != DEFAULT_SORT:
            pairs.append(("sort", self.sort))
        if self.page and self.page != "1" and self.view == "list":
            pairs.append(("page", self.page))
        return pairs

    def url(self, path: str) -> str:
        query = urlencode(self.params())
        return f"{path}?{query}" if query else path

    def change(self, **changes) -> "WorkspaceQuery":
        """This state with `changes`; any change but a page's starts again at page 1."""
        changes.setdefault("page", "")
        return replace(self, **changes)

    def toggle_label(self, key: str, value: str) -> "WorkspaceQuery":
        pair = (key, value)
        labels = tuple(p for p in self.labels if p != pair) if pair in self.labels else (*self.labels, pair)
        return self.change(labels=labels)

    def toggle_nolabel(self, key: str) -> "WorkspaceQuery":
        keys = tuple(k for k in self.nolabels if k != key) if key in self.nolabels else (*self.nolabels, key)
        return self.change(nolabels=keys)

    def toggle_status(self, status: str) -> "WorkspaceQuery":
        statuses = self.statuses
        statuses = tuple(s for s in statuses if s != status) if status in statuses else (*statuses, status)
        return self.change(statuses=statuses)

    def toggle_only(self, key: str) -> "WorkspaceQuery":
        keys = tuple(k for k in self.only if k != key) if key in self.only else (*self.only, key)
        return self.change(only=keys)

    def narrowed_to(self, key: str, value: str | None) -> "WorkspaceQuery":
        """The list of what one column, group or cell holds: this state with dimension `key` fixed to
        `value` (None: no value), as the list view."""
        labels = tuple(p for p in self.labels if p[0] != key)
        nolabels = tuple(k for k in self.nolabels if k != key)
        if value is None:
            nolabels += (key,)
        else:
            labels += ((key, value),)
        return self.change(view="list", labels=labels, nolabels=nolabels)

    def cleared(self) -> "WorkspaceQuery":
        """The same view without any filter or search."""
        return self.change(labels=(), nolabels=(), statuses=(), only=(), search="")
