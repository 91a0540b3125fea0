"""Reads of organizations, their members and teams, always scoped to one organization."""

from collections.abc import Iterable
from dataclasses import dataclass

from django.db import connection
from django.db.models import Count, QuerySet

from . import naming
from .access import Access
from .models import Dimension, Membership, Organization, Team
from .roles import MANAGE_MEMBERS, ORGANIZATION_ROLES, OrganizationRole


def team_list_for_organization(*, organization: Organization) -> QuerySet[Team]:
    """The organization's teams by name, each with `member_count`."""
    return (
        Team.objects.filter(organization=organization)
        .annotate(member_count=Count("members", distinct=True))
        .order_by("name", "pk")
    )


def team_get(*, organization: Organization, team_id: int) -> Team | None:
    """The team `team_id` of `organization`, or None (a team of another organization is not found)."""
    return team_list_for_organization(organization=organization).filter(pk=team_id).first()


def team_members(*, team: Team) -> QuerySet[Membership]:
    """The memberships of the team's members (so their organization role comes along), by e-mail."""
    return (
        Membership.objects.filter(organization_id=team.organization_id, user__teams=team)
        .select_related("user")
        .order_by("user__email")
    )


def team_member_candidates(*, team: Team) -> QuerySet[Membership]:
    """Members of the team's organization who are not in the team yet."""
    return (
        Membership.objects.filter(organization_id=team.organization_id)
        .exclude(user__teams=team)
        .select_related("user")
        .order_by("user__email")
    )


def team_role_options(*, access: Access, current: str = "") -> list[OrganizationRole]:
    """The organization roles the acting user may give a team: a team's role choices (never Owner) up
    to the acting user's own rank, plus the team's `current` role so that keeping it stays possible."""
    team_keys = {key for key, _ in Team._meta.get_field("role").choices}
    if not access.can(f"organizations.{MANAGE_MEMBERS}"):  # giving org roles is for member managers
        team_keys = {current} if current else set()
    return [
        role
        for key, role in ORGANIZATION_ROLES.items()
        if key in team_keys and (access.may_grant_organization_role(key) or key == current)
    ]


# --- Members and invitations ----------------------------------------------------------------------


def membership_list(*, organization: Organization, search: str = "") -> QuerySet[Membership]:
    """The organization's memberships by e-mail, optionally matching `search` in name or e-mail.

    Each row's user carries `role_teams`: their teams in this organization that give an organization
    role (prefetched, so a page of rows costs one query more, whatever its length).
    """
    from django.db.models import Prefetch, Q

    memberships = Membership.objects.filter(organization=organization).select_related("user")
    if search:
        memberships = memberships.filter(
            Q(user__email__icontains=search) | Q(user__display_name__icontains=search)
        )
    role_teams = Team.objects.filter(organization=organization).exclude(role="").order_by("name", "pk")
    return memberships.prefetch_related(
        Prefetch("user__teams", queryset=role_teams, to_attr="role_teams")
    ).order_by("user__email", "pk")


def membership_team_grant(membership: Membership) -> Team | None:
    """The team that gives this member a higher organization role than their own, if any (the highest).

    Needs `membership_list`'s prefetched `role_teams`.
    """
    own_rank = membership.organization_role.rank
    granting = [team for team in membership.user.role_teams if ORGANIZATION_ROLES[team.role].rank > own_rank]
    return max(granting, key=lambda team: ORGANIZATION_ROLES[team.role].rank, default=None)


def organization_role_options(*, access: Access) -> list[OrganizationRole]:
    """The organization roles the acting user may grant: up to their own (so only Owners offer Owner)."""
    return [role for key, role in ORGANIZATION_ROLES.items() if access.may_grant_organization_role(key)]


def invitation_list_pending(*, organization: Organization):
    """Invitations still waiting for an answer (some may have expired meanwhile), newest first."""
    from .models import Invitation, InvitationStatus

    return (
        Invitation.objects.filter(organization=organization, status=InvitationStatus.PENDING)
        .select_related("invited_by")
        .order_by("-created_at", "-pk")
    )


def invitation_list_history(*, organization: Organization):
    """Invitations that were accepted, revoked or replaced after expiring, newest first."""
    from .models import Invitation, InvitationStatus

    return (
        Invitation.objects.filter(organization=organization)
        .exclude(status=InvitationStatus.PENDING)
        .select_related("invited_by", "accepted_by")
        .order_by("-created_at", "-pk")
    )


# --- Audit log ------------------------------------------------------------------------------------


def audit_event_list(
    *,
    organization: Organization,
    actor: str = "",
    action: str = "",
    target: str = "",
    date_from=None,
    date_to=None,
):
    """The organization's audit events, newest first, narrowed by the audit log's filters.

    `actor` matches the recorded e-mail (contains, any case; a number also matches the user id);
    `target` matches the target's label; `date_from`/`date_to` are inclusive days in UTC.
    """
    from datetime import UTC, datetime, time, timedelta

    from django.db.models import Q

    from .models import AuditEvent

    events = AuditEvent.objects.filter(organization=organization).select_related("actor")
    if actor:
        match = Q(actor_email__icontains=actor)
        if actor.isdigit() and len(actor) <= 18:  # a longer number cannot be an id (and overflows)
            match |= Q(actor_id=int(actor))
        events = events.filter(match)
    if action:
        events = events.filter(action=action)
    if target:
        events = events.filter(target_label__icontains=target)
    if date_from:
        events = events.filter(created_at__gte=datetime.combine(date_from, time.min, tzinfo=UTC))
    if date_to:
        end = datetime.combine(date_to + timedelta(days=1), time.min, tzinfo=UTC)
        events = events.filter(created_at__lt=end)
    return events.order_by("-created_at", "-id")


def audit_action_list(*, organization: Organization) -> list[str]:
    """The actions that occur in the organization's audit log, alphabetically (one query).

    A loose index scan: each step seeks the next larger action in the (organization, action) index, so
    the cost follows the few dozen distinct actions, not the million events a `DISTINCT` would read."""
    from .models import AuditEvent

    table = connection.ops.quote_name(AuditEvent._meta.db_table)
    sql = f"""
        WITH RECURSIVE actions(action) AS (
            SELECT MIN(action) FROM {table} WHERE organization_id = %s
            UNION ALL
            SELECT (SELECT MIN(e.action) FROM {table} e WHERE e.organization_id = %s AND e.action > a.action)
            FROM actions a WHERE a.action IS NOT NULL
        )
        SELECT action FROM actions WHERE action IS NOT NULL ORDER BY action
    """
    organization_id = AuditEvent._meta.get_field("organization").get_db_prep_value(
        organization.pk, connection
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, [organization_id, organization_id])
        return [row[0] for row in cursor.fetchall()]


def audit_actor_options(*, organization: Organization, limit: int = 500) -> QuerySet[Membership]:
    """Members to suggest in the audit log's actor filter, by e-mail."""
    return (
        Membership.objects.filter(organization=organization)
        .select_related("user")
        .order_by("user__email")[:limit]
    )


def audit_value_json(value) -> str:
    """A value of an event's before/after as compact JSON (a plain string stays as it is)."""
    import json

    if isinstance(value, str):
        return value
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"), sort_keys=True, default=str)


class AuditChange:
    """One key of an event's before/after, as compact JSON: `kind` is changed, added, removed or same."""

    __slots__ = ("after", "before", "key")

    def __init__(self, key: str, before: str | None, after: str | None):
        self.key, self.before, self.after = key, before, after

    @property
    def kind(self) -> str:
        if self.before is None:
            return "added"
        if self.after is None:
            return "removed"
        return "same" if self.before == self.after else "changed"


def audit_event_changes(event) -> list[AuditChange]:
    """Every key of the event's before/after, in the order they were recorded.

    A key only in `after` was set, a key only in `before` was removed; a key with the same value on
    both sides names what the change was about (e.g. the cell of a role).
    """
    before, after = event.before or {}, event.after or {}
    if not isinstance(before, dict) or not isinstance(after, dict):
        return [AuditChange("", audit_value_json(before) or None, audit_value_json(after) or None)]
    keys = list(before) + [key for key in after if key not in before]
    return [
        AuditChange(
            key,
            audit_value_json(before[key]) if key in before else None,
            audit_value_json(after[key]) if key in after else None,
        )
        for key in keys
    ]


# --- Workspace naming convention ------------------------------------------------------------------


@dataclass(frozen=True)
class NamingConvention:
    """An organization's workspace naming convention, parsed against its dimensions.

    `tokens` is empty when there is no convention, or when the stored one no longer parses (a
    dimension it names was removed or renamed meanwhile): then `error` says why, and nothing is checked
    or enforced until an admin puts it right on the Naming page.
    """

    source: str
    description: str
    enforced: bool
    tokens: tuple[naming.Token, ...]
    dimensions: dict[str, naming.Dimension]
    error: str = ""

    @property
    def active(self) -> bool:
        return bool(self.tokens)

    @property
    def dimension_keys(self) -> list[str]:
        return [t.text for t in self.tokens if t.kind == "dimension"]

    @property
    def example(self) -> str:
        return naming.example(self.tokens, self.dimensions) if self.active else ""

    @property
    def in_words(self) -> str:
        return naming.describe(self.tokens, self.dimensions) if self.active else ""

    def check(
        self, workspace_id: str, *, labels: dict[str, str], name: str = ""
    ) -> naming.NamingCheck | None:
        """What the convention says of `workspace_id` with `labels` (dimension key -> value key; a key
        missing is a label not chosen yet), or None when there is no convention to follow."""
        if not self.active:
            return None
        return naming.check(self.tokens, workspace_id, labels=labels, dimensions=self.dimensions, name=name)


def naming_dimensions(dimensions: Iterable[Dimension]) -> dict[str, naming.Dimension]:
    """The dimensions (with their values prefetched) as the pure matcher of `organizations.naming` takes them."""
    return {
        d.key: naming.Dimension(d.key, d.name, {v.value: v.label for v in d.values.all()}) for d in dimensions
    }


def naming_convention_for(
    *, organization: Organization, dimensions: Iterable[Dimension] | None = None
) -> NamingConvention:
    """The organization's naming convention. Pass its `dimensions` (values prefetched) when they are
    loaded already; otherwise they are read only if there is a convention (two queries)."""
    source = organization.workspace_naming_pattern
    if dimensions is None:
        dimensions = organization.dimensions.prefetch_related("values") if source else []
    by_key = naming_dimensions(dimensions)
    tokens, error = (), ""
    if source:
        try:
            tokens = naming.parse_convention(source, dimension_keys=list(by_key))
        except naming.ConventionError as problem:
            error = problem.message
    return NamingConvention(
        source=source,
        description=organization.workspace_naming_description,
        enforced=organization.workspace_naming_enforced,
        tokens=tokens,
        dimensions=by_key,
        error=error,
    )
