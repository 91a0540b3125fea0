"""The organization home's "needs attention" list: what, among the workspaces a person can see, wants
someone to act.

Each provider answers its items for one reason (provisioning that failed; later overdue access reviews,
names off the convention, roles about to expire) in at most one query, from the workspaces the user may
see. Add one to `ATTENTION_PROVIDERS` and the home shows it; the list keeps the providers' order.
"""

from collections.abc import Callable
from dataclasses import dataclass

from django.db.models import QuerySet
from django.urls import reverse

from organizations.access import Access
from workspaces.models import WorkspaceStatus

ATTENTION_LIMIT = 5  # items per provider; a provider with more links to all of them


@dataclass(frozen=True)
class AttentionItem:
    """One line of the list: what (`title`, a link), why (`reason`), and the kind, for its icon."""

    kind: str
    title: str
    url: str
    reason: str = ""


@dataclass(frozen=True)
class AttentionSection:
    kind: str
    label: str  # e.g. "Provisioning failed"
    items: list[AttentionItem]
    more_url: str = ""  # set when there are more than the items shown


# A provider: (the workspaces the user may see, their Access, the home's path) -> a section or None.
AttentionProvider = Callable[[QuerySet, Access, str], "AttentionSection | None"]


def failed_provisioning(workspaces: QuerySet, access: Access, home_path: str) -> AttentionSection | None:
    failed = list(
        workspaces.prefetch_related(None)
        .filter(status=WorkspaceStatus.FAILED)
        .order_by("-status_changed_at", "slug")
        .only("slug", "display_name", "status_reason")[: ATTENTION_LIMIT + 1]
    )
    if not failed:
        return None
    items = [
        AttentionItem(
            kind="failed",
            title=workspace.display_name,
            url=reverse("workspaces:overview", args=[workspace.slug]),
            reason=workspace.status_reason or "Provisioning failed.",
        )
        for workspace in failed[:ATTENTION_LIMIT]
    ]
    more = f"{home_path}?status={WorkspaceStatus.FAILED}" if len(failed) > ATTENTION_LIMIT else ""
    return AttentionSection(kind="failed", label="Provisioning failed", items=items, more_url=more)


ATTENTION_PROVIDERS: list[AttentionProvider] = [failed_provisioning]


def needs_attention(*, workspaces: QuerySet, access: Access, home_path: str) -> list[AttentionSection]:
    """Every provider's section that has something, in the providers' order."""
    sections = (provider(workspaces, access, home_path) for provider in ATTENTION_PROVIDERS)
    return [section for section in sections if section]
