"""The organization home's "needs attention" list: what, among the workspaces a person can see, wants
someone to act, and that this person can act on.

Each provider answers its items for one reason (provisioning that failed and access reviews overdue,
sharing one query; IDs off the naming convention; roles about to expire) in at most one query, whatever the number of
workspaces, from the workspaces the user may see (`AttentionScope.workspaces`). Add one to
`ATTENTION_PROVIDERS` and the home shows it; the list keeps the providers' order.
"""

from collections.abc import Callable
from dataclasses import dataclass, field

from django.db.models import Case, Count, Exists, F, OuterRef, Q, QuerySet, Subquery, Value, When, Window
from django.db.models.functions import RowNumber
from django.urls import reverse
from django.utils import timezone

from organizations.access import Access
from organizations.roles import ADMINISTER_ALL_WORKSPACES, MANAGE_POLICIES
from organizations.selectors import naming_convention_for
from workspaces.models import Workspace, WorkspaceStatus, WorkspaceUserObjectPermission
from workspaces.policies import review_overdue_q, workspace_roles_expiring

from .workspace_layouts import with_label_ids

ATTENTION_LIMIT = 5  # items per provider; a provider with more links to all of them
EXPIRING_WITHIN_DAYS = 7  # roles ending within this many days are "about to expire"


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


@dataclass(frozen=True)
class AttentionScope:
    """What every provider is given: the workspaces the user may see, their Access, the home's path,
    and the organization's dimensions (values prefetched), so that no provider reads them again."""

    workspaces: QuerySet
    access: Access
    home_path: str
    dimensions: list = field(default_factory=list)


# A provider answers its section, or None, or (to share one query) several sections.
AttentionProvider = Callable[[AttentionScope], "AttentionSection | list[AttentionSection] | None"]


def administered(workspaces: QuerySet, access: Access) -> QuerySet:
    """`workspaces` narrowed to those the user administers (`Access.administers`), in SQL: all of them
    for organization-wide admins, else those where the user holds every permission of the workspace
    Admin role (teams are flattened into the user's own rows, so these rows are the truth)."""
    if access.can(f"organizations.{ADMINISTER_ALL_WORKSPACES}"):
        return workspaces
    wanted = {perm.split(".")[-1] for perm in Workspace.admin_permissions}
    held = (
        WorkspaceUserObjectPermission.objects.filter(
            content_object=OuterRef("pk"), user=access.user, permission__codename__in=wanted
        )
        .order_by()
        .values("content_object")
        .annotate(held=Count("permission", distinct=True))
        .values("held")
    )
    return workspaces.annotate(admin_permissions_held=Subquery(held)).filter(
        admin_permissions_held=len(wanted)
    )


def _days_ago(days: int) -> str:
    return "today" if days <= 0 else "yesterday" if days == 1 else f"{days} days ago"


def failed_and_overdue(scope: AttentionScope) -> list[AttentionSection]:
    """Two sections from one query: provisioning that failed, on the
    workspaces the user sees; and overdue access reviews, on those the user may review (their Admins),
    most overdue first."""
    # Only the failed and the overdue, each found through its own index, are looked at further.
    organization = Workspace.objects.filter(organization=scope.access.organization).order_by().values("pk")
    candidates = organization.filter(status=WorkspaceStatus.FAILED).union(
        organization.filter(review_overdue_q())
    )
    workspaces = scope.workspaces.prefetch_related(None).filter(pk__in=candidates)
    reviewable = administered(workspaces, scope.access).filter(review_overdue_q()).order_by().values("pk")
    kind = Case(
        When(
            status=WorkspaceStatus.FAILED, then=Value("failed")
        ),  # failed first: a failed one is fixed first
        When(pk__in=reviewable, then=Value("overdue")),
        default=Value(""),
    )
    # The first few of each kind, in each kind's order, through one window (a query of its own each
    # would cost the home a query per kind).
    place = Window(
        RowNumber(),
        partition_by=F("kind"),
        order_by=[
            Case(When(kind="failed", then=F("status_changed_at"))).desc(nulls_last=True),
            F("access_review_due_at").asc(),
            F("slug").asc(),
        ],
    )
    found = (
        workspaces.annotate(kind=kind)
        .exclude(kind="")
        .annotate(place=place)
        .filter(place__lte=ATTENTION_LIMIT + 1)
        .order_by("kind", "place")
        .values_list(
            "kind", "slug", "display_name", "status_reason", "access_review_due_at", "status_changed_at"
        )
    )
    rows = {"failed": [], "overdue": []}
    for row_kind, *row in found:
        rows[row_kind].append(row)
    today = timezone.localdate()
    sections = []
    if rows["failed"]:
        failed_rows = rows["failed"]
        items = [
            AttentionItem(
                kind="failed",
                title=name,
                url=reverse("workspaces:overview", args=[slug]),
                reason=reason or "Provisioning failed.",
            )
            for slug, name, reason, _, _ in failed_rows[:ATTENTION_LIMIT]
        ]
        more = (
            f"{scope.home_path}?status={WorkspaceStatus.FAILED}"
            if len(rows["failed"]) > ATTENTION_LIMIT
            else ""
        )
        sections.append(
            AttentionSection(kind="failed", label="Provisioning failed", items=items, more_url=more)
        )
    if rows["overdue"]:
        ordered = rows["overdue"]
        items = [
            AttentionItem(
                kind="overdue",
                title=name,
                url=reverse("workspaces:access_review", args=[slug]),
                reason=f"Access review due {_days_ago((today - timezone.localdate(due)).days)}.",
            )
            for slug, name, _, due, _ in ordered[:ATTENTION_LIMIT]
        ]
        more = f"{scope.home_path}?only=overdue" if len(ordered) > ATTENTION_LIMIT else ""
        sections.append(
            AttentionSection(kind="overdue", label="Access reviews overdue", items=items, more_url=more)
        )
    return sections


def names_off_convention(scope: AttentionScope) -> AttentionSection | None:
    """Workspaces the user administers (so may relabel) whose ID does not follow the organization's
    naming convention with their labels: one query for them all, checked here."""
    organization = scope.access.organization
    if not organization.workspace_naming_pattern:
        return None
    convention = naming_convention_for(organization=organization, dimensions=scope.dimensions)
    if not convention.active:
        return None
    keys = {
        v.pk: (d.key, v.value)
        for d in scope.dimensions
        for v in d.values.all()
        if d.key in convention.dimensions
    }
    rows = with_label_ids(administered(scope.workspaces.prefetch_related(None), scope.access)).order_by(
        "slug"
    )
    off = []
    for slug, name, label_ids in rows.values_list("slug", "display_name", "label_ids"):
        labels = dict(keys[int(pk)] for pk in (label_ids or "").split(",") if pk and int(pk) in keys)
        result = convention.check(slug, labels=labels)
        if result is not None and result.state != "conforms":
            off.append((slug, name, result))
    if not off:
        return None
    items = [
        AttentionItem(
            kind="naming",
            title=name,
            url=reverse("workspaces:settings", args=[slug]),
            reason=f"“{slug}” is off the convention {convention.source}: {result.message}",
        )
        for slug, name, result in off[:ATTENTION_LIMIT]
    ]
    may_see_all = scope.access.can(f"organizations.{MANAGE_POLICIES}")
    more = (
        reverse("organizations:naming", args=[organization.slug])
        if may_see_all and len(off) > ATTENTION_LIMIT
        else ""
    )
    return AttentionSection(kind="naming", label="Names off the convention", items=items, more_url=more)


def roles_expiring(scope: AttentionScope) -> AttentionSection | None:
    """Workspace roles ending within a week: on the workspaces the user administers (who may extend
    them), and the user's own (or their teams') anywhere they can see."""
    access = scope.access
    workspaces = scope.workspaces.prefetch_related(None).order_by()
    mine = Q(user=access.user) | Q(team__in=access.user.teams.values("pk"))

    # Correlated EXISTS, not IN: the few roles with an end date this week drive the query (their
    # index), instead of lists of every workspace the person may see.
    def among(queryset):
        return Exists(queryset.filter(pk=OuterRef("workspace_id")))

    expiring = list(
        workspace_roles_expiring(access.organization, within_days=EXPIRING_WITHIN_DAYS)
        .filter(among(workspaces))
        .filter(mine | among(administered(workspaces, access)))[:ATTENTION_LIMIT]
    )
    if not expiring:
        return None
    today = timezone.localdate()
    items = []
    for assignment in expiring:
        days = (assignment.expires_on - today).days
        when = "today" if days == 0 else "tomorrow" if days == 1 else f"in {days} days"
        holder = "Your" if assignment.user_id == access.user.pk else f"{assignment.principal}’s"
        items.append(
            AttentionItem(
                kind="expiring",
                title=assignment.workspace.display_name,
                url=reverse("workspaces:members", args=[assignment.workspace.slug]),
                reason=f"{holder} {assignment.role_definition.label} role ends {when} ({assignment.expires_on:%b %-d}).",
            )
        )
    return AttentionSection(kind="expiring", label="Roles about to expire", items=items)


ATTENTION_PROVIDERS: list[AttentionProvider] = [
    failed_and_overdue,
    names_off_convention,
    roles_expiring,
]


def needs_attention(
    *, workspaces: QuerySet, access: Access, home_path: str, dimensions: list | None = None
) -> list[AttentionSection]:
    """Every provider's section that has something, in the providers' order."""
    scope = AttentionScope(
        workspaces=workspaces, access=access, home_path=home_path, dimensions=dimensions or []
    )
    sections = []
    for provider in ATTENTION_PROVIDERS:
        answer = provider(scope)
        sections += answer if isinstance(answer, list) else [answer] if answer else []
    return sections
