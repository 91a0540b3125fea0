"""Reads of workspaces, always scoped to one organization first."""

from collections.abc import Iterable
from dataclasses import dataclass, field
from itertools import batched

from django.db.models import Count, F, Prefetch, Q, QuerySet
from django.db.models.functions import Lower
from guardian.shortcuts import get_objects_for_user

from organizations.access import Access
from organizations.models import Membership, Organization
from organizations.roles import ADMINISTER_ALL_WORKSPACES

from .identifiers import RESERVED_WORKSPACE_IDS, workspace_id_errors
from .models import (
    LabelPairCount,
    LiveWorkspaceCount,
    OnboardingStep,
    RetiredWorkspaceId,
    Workspace,
    WorkspaceLabel,
    WorkspaceStatus,
)
from .onboarding import Checklist, checklist_for
from .policies import protected_q, with_policy_marks
from .roles import DELETE_WORKSPACE
from .search import workspace_search_q


def workspace_list_for_user(
    *, organization: Organization, access: Access, search: str = ""
) -> QuerySet[Workspace]:
    """The workspaces of `organization` that the user may see in its list, newest first.

    Filters by organization first, then by object permission (never a global one), so nothing of
    another organization can appear whatever permissions the user holds elsewhere. Protected
    workspaces are listed to those who list every workspace only if they administer every workspace or
    hold a role there (`Access.can_see`). Each workspace comes with `is_protected` annotated.
    `search` narrows them to those it names, from an index (`workspaces.search`).
    """
    workspaces = Workspace.objects.live().filter(organization=organization)
    if not access.can_list_all_workspaces():
        workspaces = _with_a_role(workspaces, access)
    elif not access.can(f"organizations.{ADMINISTER_ALL_WORKSPACES}"):
        workspaces = workspaces.filter(
            ~protected_q() | Q(pk__in=_with_a_role(workspaces, access).values("pk"))
        )
    workspaces = with_policy_marks(workspaces)
    if search.strip():
        workspaces = workspaces.filter(workspace_search_q(organization=organization, search=search))
    return workspaces.prefetch_related(
        Prefetch("labels", queryset=WorkspaceLabel.objects.select_related("dimension", "value"))
    ).order_by("-created_at", "slug")


def _with_a_role(workspaces: QuerySet[Workspace], access: Access) -> QuerySet[Workspace]:
    """`workspaces` narrowed to those the user holds a role on (own or a team's: its guardian rows)."""
    return get_objects_for_user(
        access.user,
        "workspaces.view_workspace",
        klass=workspaces,
        accept_global_perms=False,
        with_superuser=False,
        use_groups=False,
    )


@dataclass(frozen=True)
class LabelCounts:
    """How many of the workspaces a person sees there are (`total`), hold each label value (`by_value`:
    {value pk: count}) and, when asked for, each pair of values (`pairs`: {(lower pk, higher pk):
    count}); a value or pair nobody holds may be missing."""

    total: int
    by_value: dict
    pairs: dict = field(default_factory=dict)

    def of(self, value) -> int:
        return self.by_value.get(value.pk, 0)

    def of_pair(self, value, other) -> int:
        return self.pairs.get((min(value.pk, other.pk), max(value.pk, other.pk)), 0)

    def less(self, hidden: "LabelCounts") -> "LabelCounts":
        return LabelCounts(
            total=self.total - hidden.total,
            by_value={pk: n - hidden.by_value.get(pk, 0) for pk, n in self.by_value.items()},
            pairs={pair: n - hidden.pairs.get(pair, 0) for pair, n in self.pairs.items()},
        )


def workspace_label_counts(*, organization: Organization, access: Access, pairs: bool = False) -> LabelCounts:
    """Count the live workspaces the user may see (`workspace_list_for_user`), in all, by label value
    and (with `pairs`, for the matrix) by pair of values, in a number of queries and a time that do not
    grow with the organization's workspaces:

    - who sees every workspace reads the kept counts (`LiveWorkspaceCount`, `LabelPairCount`);
    - who lists every workspace but protected ones without a role reads them less what is hidden from
      them (protected workspaces they hold no role on: as many as the organization protects);
    - who sees only workspaces with a role counts those (as many as their roles)."""
    live = Workspace.objects.live().filter(organization=organization)
    if not access.can_list_all_workspaces():
        return _label_counts_of(_with_a_role(live, access), pairs=pairs)
    kept = dict(LiveWorkspaceCount.objects.filter(organization=organization).values_list("value_id", "count"))
    counts = LabelCounts(total=kept.pop(None, 0), by_value=kept)
    if pairs:
        kept_pairs = LabelPairCount.objects.filter(organization=organization, count__gt=0)
        counts.pairs.update(
            ((low, high), n) for low, high, n in kept_pairs.values_list("low_id", "high_id", "count")
        )
    if not access.can(f"organizations.{ADMINISTER_ALL_WORKSPACES}"):
        hidden = live.filter(protected_q()).exclude(pk__in=_with_a_role(live, access).values("pk"))
        counts = counts.less(_label_counts_of(hidden, pairs=pairs))
    return counts


def _label_counts_of(workspaces: QuerySet[Workspace], *, pairs: bool = False) -> LabelCounts:
    """Count `workspaces` (a few: a person's roles, or the protected ones), in all, by label value and
    by pair of values (two queries, three with `pairs`)."""
    pks = workspaces.order_by().values("pk")
    labels = WorkspaceLabel.objects.filter(workspace__in=pks).order_by()
    by_value = dict(labels.values("value_id").annotate(n=Count("pk")).values_list("value_id", "n"))
    counts = LabelCounts(total=Workspace.objects.filter(pk__in=pks).count(), by_value=by_value)
    if pairs:
        # Each label with each other label of its workspace that has a higher value pk.
        high = "workspace__labels__value_id"
        pair_rows = (
            labels.filter(**{f"{high}__gt": F("value_id")}).values("value_id", high).annotate(n=Count("pk"))
        )
        counts.pairs.update(((low, high), n) for low, high, n in pair_rows.values_list("value_id", high, "n"))
    return counts


def workspace_list_deleted(*, organization: Organization, access: Access) -> list[Workspace]:
    """The organization's deleted (not yet purged) workspaces that the user may restore, most recently
    deleted first, with `is_protected` annotated (two queries: the workspaces, and the user's
    permissions on all of them)."""
    workspaces = list(
        with_policy_marks(Workspace.objects.filter(organization=organization, status=WorkspaceStatus.DELETED))
        .select_related("deleted_by")
        .order_by("-deleted_at", "slug")
    )
    access.prefetch(workspaces)
    return [w for w in workspaces if access.can(f"workspaces.{DELETE_WORKSPACE}", w)]


def workspace_get_by_slug(slug: str) -> Workspace | None:
    return Workspace.objects.live().select_related("organization").with_id(slug).first()


@dataclass(frozen=True)
class IdCheck:
    state: str  # "available", "taken", "invalid" or "reserved"
    message: str

    @property
    def ok(self) -> bool:
        return self.state == "available"


def workspace_id_check(slug: str) -> IdCheck:
    """What the live check says of a candidate workspace ID."""
    check = workspace_id_rules_check(slug)
    if not check.ok:
        return check
    holder = Workspace.objects.with_id(slug).values_list("status", flat=True).first()
    if holder == WorkspaceStatus.DELETED or (
        holder is None and RetiredWorkspaceId.objects.filter(slug=slug).exists()
    ):
        return IdCheck(
            "taken",
            f"“{slug}” belonged to a workspace that was deleted. IDs are never reused: choose another.",
        )
    if holder is not None:
        return IdCheck("taken", f"“{slug}” is already taken. IDs are unique across Atrium and never reused.")
    return check


def workspace_id_rules_check(slug: str) -> IdCheck:
    """The part of `workspace_id_check` that needs no database: the format and the reserved words."""
    errors = workspace_id_errors(slug)
    if errors:
        return IdCheck("invalid", " ".join(errors))
    if slug in RESERVED_WORKSPACE_IDS:
        return IdCheck("reserved", f"“{slug}” is a reserved word. Choose another ID.")
    return IdCheck("available", f"“{slug}” is available.")


def workspace_ids_taken(slugs: Iterable[str], *, batch_size: int = 1000) -> set[str]:
    """Which of these valid (lowercase) IDs a workspace holds or once held, `batch_size` IDs per query."""
    taken: set[str] = set()
    for batch in batched(slugs, batch_size):
        # Lower() matches the expression of the case-insensitive unique index, so the index answers.
        held = Workspace.objects.alias(slug_lower=Lower("slug")).filter(slug_lower__in=batch)
        taken.update(slug.lower() for slug in held.values_list("slug", flat=True))
        taken.update(RetiredWorkspaceId.objects.filter(slug__in=batch).values_list("slug", flat=True))
    return taken


def workspace_checklist(workspace: Workspace) -> Checklist:
    done = set(OnboardingStep.objects.filter(workspace=workspace).values_list("key", flat=True))
    return checklist_for(workspace, done)


def organization_members_for_grants(*, organization: Organization, exclude_user=None) -> QuerySet[Membership]:
    """The members who can be given a role (not the deactivated: a role would give them nothing)."""
    members = Membership.objects.active().filter(organization=organization).select_related("user")
    if exclude_user is not None:
        members = members.exclude(user=exclude_user)
    return members.order_by("user__email")


# --- Workspace members: who has access, and where it comes from ------------------------------------


@dataclass(frozen=True)
class RoleOption:
    """One choice of a workspace role select: a predefined role ("developer") or a custom one
    ("custom:<id>")."""

    value: str
    label: str
    rank: int
    definition: object  # a WorkspaceRole or a WorkspaceCustomRole
    is_custom: bool = False

    @property
    def role(self) -> str:
        return "" if self.is_custom else self.value

    @property
    def custom_role(self):
        return self.definition if self.is_custom else None


def role_option_value(assignment) -> str:
    """The select value of an assignment's role."""
    return f"custom:{assignment.custom_role_id}" if assignment.custom_role_id else assignment.role


def workspace_role_options(*, organization: Organization) -> list[RoleOption]:
    """The predefined workspace roles (highest first), then the organization's custom roles."""
    from .models import WorkspaceCustomRole
    from .roles import WORKSPACE_ROLES

    options = [
        RoleOption(role.key, role.label, role.rank, role)
        for role in sorted(WORKSPACE_ROLES.values(), key=lambda r: -r.rank)
    ]
    options += [
        RoleOption(f"custom:{role.pk}", role.name, role.rank, role, is_custom=True)
        for role in WorkspaceCustomRole.objects.filter(organization=organization).order_by("name")
    ]
    return options


@dataclass(frozen=True)
class TeamGrant:
    """A workspace role someone holds through a team."""

    team: object
    role: object  # a WorkspaceRole or a WorkspaceCustomRole


@dataclass(frozen=True)
class OrganizationGrant:
    """An organization role that makes someone an admin of every workspace; `team` when it is a
    team's organization role rather than their own."""

    role: object  # an OrganizationRole
    team: object = None


@dataclass
class WorkspaceMemberRow:
    """One person with access to a workspace and every source of it."""

    user: object
    membership: Membership
    assignment: object = None  # their direct WorkspaceRoleAssignment, if any
    team_grants: list[TeamGrant] = field(default_factory=list)
    organization_grants: list[OrganizationGrant] = field(default_factory=list)

    @property
    def sort_key(self) -> tuple:
        return ((self.user.display_name or self.user.email).lower(), self.user.email)


@dataclass
class WorkspaceMembers:
    rows: list[WorkspaceMemberRow]  # everyone with access, by name
    candidates: list[Membership]  # members of the organization without a direct role here

    def row_for(self, user_id) -> WorkspaceMemberRow | None:
        return next((row for row in self.rows if row.user.pk == user_id), None)


def workspace_members(workspace: Workspace) -> WorkspaceMembers:
    """Everyone who can enter `workspace`, with their direct role, their teams' roles and the
    organization roles that make them admins of every workspace. Four queries, however many people."""
    from organizations.models import Team
    from organizations.roles import ADMINISTER_ALL_WORKSPACES, ORGANIZATION_ROLES

    from .models import WorkspaceRoleAssignment

    assignments = list(
        WorkspaceRoleAssignment.objects.filter(workspace=workspace).select_related("team", "custom_role")
    )
    memberships = {
        m.user_id: m
        for m in Membership.objects.active()
        .filter(organization_id=workspace.organization_id)
        .select_related("user")
    }
    rows: dict[int, WorkspaceMemberRow] = {}

    def row(user_id) -> WorkspaceMemberRow | None:
        # People who left the organization, or were deactivated in it, have no access.
        if user_id not in rows and user_id in memberships:
            rows[user_id] = WorkspaceMemberRow(
                user=memberships[user_id].user, membership=memberships[user_id]
            )
        return rows.get(user_id)

    team_assignments = {}
    for assignment in assignments:
        if assignment.user_id:
            if (entry := row(assignment.user_id)) is not None:
                entry.assignment = assignment
        else:
            team_assignments[assignment.team_id] = assignment
    if team_assignments:
        through = Team.members.through.objects.filter(team_id__in=team_assignments).order_by("team__name")
        for team_id, user_id in through.values_list("team_id", "user_id"):
            if (entry := row(user_id)) is not None:
                assignment = team_assignments[team_id]
                entry.team_grants.append(TeamGrant(assignment.team, assignment.role_definition))

    admin_roles = [
        key for key, role in ORGANIZATION_ROLES.items() if ADMINISTER_ALL_WORKSPACES in role.permissions
    ]
    for user_id, membership in memberships.items():
        if membership.role in admin_roles:
            row(user_id).organization_grants.append(OrganizationGrant(ORGANIZATION_ROLES[membership.role]))
    admin_teams = (
        Team.members.through.objects.filter(
            team__organization_id=workspace.organization_id, team__role__in=admin_roles
        )
        .select_related("team")
        .order_by("team__name")
    )
    for link in admin_teams:
        if (entry := row(link.user_id)) is not None:
            entry.organization_grants.append(OrganizationGrant(ORGANIZATION_ROLES[link.team.role], link.team))

    candidates = [
        m
        for m in sorted(memberships.values(), key=lambda m: m.user.email)
        if m.user_id not in rows or rows[m.user_id].assignment is None
    ]
    return WorkspaceMembers(rows=sorted(rows.values(), key=lambda r: r.sort_key), candidates=candidates)


@dataclass
class WorkspaceTeams:
    assignments: list  # the team role assignments here; each team carries `member_count`
    candidates: list  # teams of the organization without a role here


def workspace_teams(workspace: Workspace) -> WorkspaceTeams:
    """The teams holding a role on `workspace` (by name) and the organization's other teams. Two queries."""
    from django.db.models import Count

    from organizations.models import Team

    from .models import WorkspaceRoleAssignment

    teams = {
        team.pk: team
        for team in Team.objects.filter(organization_id=workspace.organization_id)
        .annotate(member_count=Count("members", distinct=True))
        .order_by("name")
    }
    assignments = [
        assignment
        for assignment in WorkspaceRoleAssignment.objects.filter(workspace=workspace, team__isnull=False)
        .select_related("custom_role")
        .order_by("created_at")
        if assignment.team_id in teams
    ]
    for assignment in assignments:
        assignment.team = teams[assignment.team_id]  # the annotated instance, so no query per row
    assignments.sort(key=lambda a: a.team.name.lower())
    held = {assignment.team_id for assignment in assignments}
    return WorkspaceTeams(assignments=assignments, candidates=[t for t in teams.values() if t.pk not in held])


def custom_role_holders(*, role, access: Access) -> QuerySet:
    """Who holds the custom role, on workspaces the reader can see (others' holders stay unnamed),
    by workspace ID."""
    visible = workspace_list_for_user(organization=access.organization, access=access).order_by()
    return (
        role.assignments.filter(workspace__in=visible.values("pk"))
        .select_related("user", "team", "workspace")
        .prefetch_related(  # its policy marks, without a query per workspace
            Prefetch(
                "workspace__labels", queryset=WorkspaceLabel.objects.select_related("dimension", "value")
            )
        )
        .order_by("workspace__slug", "pk")
    )


def custom_role_list(*, access: Access) -> QuerySet:
    """The organization's custom roles by name, each with `holder_count`: its holders on workspaces the
    reader can see (the same ones `custom_role_holders` names)."""
    from django.db.models import Count

    from .models import WorkspaceCustomRole

    visible = workspace_list_for_user(organization=access.organization, access=access).order_by()
    return (
        WorkspaceCustomRole.objects.filter(organization=access.organization)
        .annotate(
            holder_count=Count("assignments", filter=Q(assignments__workspace__in=visible.values("pk")))
        )
        .order_by("name", "pk")
    )


@dataclass
class WorkspaceInvitation:
    """A pending invitation that gives a role on one workspace, with that role's label."""

    invitation: object
    role_label: str


def workspace_invitations_pending(workspace: Workspace, *, limit: int = 100) -> list[WorkspaceInvitation]:
    """Pending, unexpired invitations of the workspace's organization that carry a role on it, newest
    first (the grants are JSON, read here rather than queried, so every database answers the same)."""
    from django.utils import timezone

    from organizations.models import Invitation, InvitationStatus

    from .models import WorkspaceCustomRole
    from .roles import WORKSPACE_ROLES

    pending = Invitation.objects.filter(
        organization_id=workspace.organization_id,
        status=InvitationStatus.PENDING,
        expires_at__gt=timezone.now(),
    ).select_related("invited_by")
    found = []
    for invitation in pending[:1000]:
        grant = next((g for g in invitation.workspace_roles if g.get("workspace") == str(workspace.pk)), None)
        if grant is not None:
            found.append((invitation, grant))
    custom_ids = {str(g["custom_role"]) for _, g in found if g.get("custom_role")}
    custom = {
        str(role.pk): role.name
        for role in WorkspaceCustomRole.objects.filter(organization_id=workspace.organization_id, pk__in=custom_ids)
    } if custom_ids else {}  # fmt: skip
    rows = []
    for invitation, grant in found[:limit]:
        if grant.get("custom_role"):
            label = custom.get(str(grant["custom_role"]), "a custom role no longer defined")
        else:
            label = getattr(WORKSPACE_ROLES.get(grant.get("role")), "label", grant.get("role", ""))
        rows.append(WorkspaceInvitation(invitation=invitation, role_label=label))
    return rows
