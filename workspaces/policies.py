"""What a workspace's labels make of it: protected or not, its access-review cadence and due date, and
the workspace roles that may be granted there.

Policies live on dimension values (`DimensionValue.protected`, `.review_cadence_days`,
`.grantable_roles`) and are read when asked, so a policy change applies at once to every workspace
holding the value. The one exception is the review due date, stored on the workspace so that "which
reviews are overdue" is one indexed query: every service that changes what it depends on (labels,
cadences, the workspace's own cadence, a completed review) calls `review_schedule_refresh`.

The rules:
- protected: any of its values is protected;
- cadence: the strictest (shortest) of its values' cadences and its own, else the organization's default;
- due: the last completed review (or the workspace's creation) plus the cadence;
- grantable roles: the intersection of its values' lists (an empty list allows every role); custom
  roles count as their base role.
"""

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import timedelta

from django.db.models import Exists, OuterRef, Q, QuerySet
from django.utils import timezone

from organizations.models import Organization

from .models import Workspace, WorkspaceLabel, WorkspaceStatus


@dataclass(frozen=True)
class WorkspacePolicy:
    protected: bool
    grantable_roles: frozenset[str] | None  # None: every role
    label_cadence_days: int | None  # the strictest cadence of its values, if any has one
    protected_by: tuple[str, ...] = ()  # the values that make it protected ("Environment: Production")


def policy_from_values(values: Iterable) -> WorkspacePolicy:
    """The policy that these `DimensionValue`s (with their dimensions loaded) make together."""
    protected_by, cadences, grantable = [], [], None
    for value in values:
        if value.protected:
            protected_by.append(f"{value.dimension.name}: {value.label}")
        if value.review_cadence_days:
            cadences.append(value.review_cadence_days)
        if value.grantable_roles:
            allowed = frozenset(value.grantable_roles)
            grantable = allowed if grantable is None else grantable & allowed
    return WorkspacePolicy(
        protected=bool(protected_by),
        grantable_roles=grantable,
        label_cadence_days=min(cadences) if cadences else None,
        protected_by=tuple(protected_by),
    )


def workspace_policy(workspace: Workspace) -> WorkspacePolicy:
    """The workspace's policy, from its prefetched labels when a list prefetched them (no query)."""
    prefetched = getattr(workspace, "_prefetched_objects_cache", {}).get("labels")
    labels = (
        prefetched
        if prefetched is not None
        else WorkspaceLabel.objects.filter(workspace=workspace).select_related("dimension", "value")
    )
    values = []
    for label in labels:
        value = label.value
        value.dimension = label.dimension  # already loaded with the label
        values.append(value)
    return policy_from_values(values)


def review_cadence_days(*, label_cadence_days: int | None, own_days: int | None, default_days: int) -> int:
    """The effective cadence: the strictest of the labels' and the workspace's own, else the default."""
    given = [days for days in (label_cadence_days, own_days) if days]
    return min(given) if given else default_days


def workspace_review_cadence(workspace: Workspace) -> int:
    return review_cadence_days(
        label_cadence_days=workspace.policy.label_cadence_days,
        own_days=workspace.access_review_days,
        default_days=workspace.organization.access_review_days,
    )


def review_due_at(workspace: Workspace, cadence_days: int):
    return (workspace.access_reviewed_at or workspace.created_at) + timedelta(days=cadence_days)


def review_schedule_refresh(workspaces: Iterable[Workspace] | QuerySet) -> int:
    """Recompute the review due date of these workspaces (of any organizations) from their labels'
    cadences, their own and their organization's: three queries whatever their number. Returns how
    many due dates changed."""
    instances = [] if isinstance(workspaces, QuerySet) else list(workspaces)
    ids = [w.pk for w in instances] if not isinstance(workspaces, QuerySet) else None
    queryset = Workspace.objects.filter(pk__in=ids) if ids is not None else workspaces
    rows = list(
        queryset.select_related("organization").only(
            "pk",
            "created_at",
            "access_reviewed_at",
            "access_review_days",
            "access_review_due_at",
            "organization__access_review_days",
        )  # fmt: skip
    )
    if not rows:
        return 0
    label_cadences: dict[object, list[int]] = defaultdict(list)
    for workspace_id, days in WorkspaceLabel.objects.filter(
        workspace_id__in=[w.pk for w in rows], value__review_cadence_days__isnull=False
    ).values_list("workspace_id", "value__review_cadence_days"):
        if days:
            label_cadences[workspace_id].append(days)
    changed, due_dates = [], {}
    for workspace in rows:
        cadences = label_cadences.get(workspace.pk)
        days = review_cadence_days(
            label_cadence_days=min(cadences) if cadences else None,
            own_days=workspace.access_review_days,
            default_days=workspace.organization.access_review_days,
        )
        due = due_dates[workspace.pk] = review_due_at(workspace, days)
        if workspace.access_review_due_at != due:
            workspace.access_review_due_at = due
            changed.append(workspace)
    Workspace.objects.bulk_update(changed, ["access_review_due_at"], batch_size=500)
    for given in instances:  # the caller's own objects show the new date too
        if given.pk in due_dates:
            given.access_review_due_at = due_dates[given.pk]
    return len(changed)


# --- Reads for lists, filters and the "needs attention" list ---------------------------------------


def protected_q() -> Q:
    """Workspaces holding a protected value (a filter: `Workspace.objects.filter(protected_q())`)."""
    return Q(Exists(WorkspaceLabel.objects.filter(workspace=OuterRef("pk"), value__protected=True)))


def review_overdue_q(now=None) -> Q:
    """Workspaces whose access review is due and not done."""
    return Q(access_review_due_at__lte=now or timezone.now())


def with_policy_marks(workspaces: QuerySet[Workspace]) -> QuerySet[Workspace]:
    """Annotate `protected_annotation` (read by `Workspace.is_protected`): one subquery in the list's
    own query, none per row. `review_overdue` needs nothing more (a column of the row)."""
    return workspaces.annotate(
        protected_annotation=Exists(
            WorkspaceLabel.objects.filter(workspace=OuterRef("pk"), value__protected=True)
        )
    )


def workspaces_review_overdue(organization: Organization, *, now=None) -> QuerySet[Workspace]:
    """The organization's live workspaces whose access review is overdue, most overdue first. Not
    filtered by who asks: callers narrow it to what the person may see (`workspace_list_for_user`)."""
    return (
        Workspace.objects.live()
        .filter(organization=organization)
        .filter(review_overdue_q(now))
        .order_by("access_review_due_at", "slug")
    )


def workspaces_protected(organization: Organization) -> QuerySet[Workspace]:
    return Workspace.objects.live().filter(organization=organization).filter(protected_q())


def workspace_roles_expiring(organization: Organization, *, within_days: int = 7, today=None) -> QuerySet:
    """Role assignments on the organization's live workspaces that end within `within_days` days (their
    last day from today on), soonest first, with workspace, person or team and custom role loaded. Not
    filtered by who asks: callers narrow it to the workspaces the person may see."""
    from .models import WorkspaceRoleAssignment

    today = today or timezone.localdate()
    return (
        WorkspaceRoleAssignment.objects.filter(
            workspace__organization=organization,
            expires_on__gte=today,
            expires_on__lte=today + timedelta(days=within_days),
        )
        .exclude(workspace__status=WorkspaceStatus.DELETED)
        .select_related("workspace", "user", "team", "custom_role")
        .order_by("expires_on", "workspace__slug")
    )
