"""Who has access to what: the effective workspace role of every person and team of an organization on
every workspace, and where it comes from.

A person's role on a workspace comes from up to three sources: an assignment to them (**direct**), an
assignment to a team of theirs (**team**), and an organization role — their own or one a team gives
them — that administers every workspace (**organization**). The effective role is the highest of
them; on a tie the most specific source is named (direct, then team, then organization), and every
other source is kept too, since removing one access does not remove the others.

These are reads for one organization and a page (or a chunk) of people and workspaces at a time, in a
fixed number of queries whatever their numbers: the role assignments, the team memberships and the
organization roles are each read once, never per cell.
"""

from collections import defaultdict
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field

from django.db.models import Count, Q, QuerySet

from organizations.access import Access
from organizations.models import Dimension, DimensionValue, Membership, Organization, Team
from organizations.roles import ADMINISTER_ALL_WORKSPACES, ORGANIZATION_ROLES
from workspaces.models import Workspace, WorkspaceRoleAssignment
from workspaces.roles import WORKSPACE_ROLES, WorkspaceRoleKey
from workspaces.selectors import workspace_list_for_user

DIRECT, TEAM, ORGANIZATION = "direct", "team", "organization"
_SOURCE_ORDER = {DIRECT: 0, TEAM: 1, ORGANIZATION: 2}
# What holding every permission on every workspace amounts to, named like the workspace role it equals.
_ORGANIZATION_WIDE = WORKSPACE_ROLES[WorkspaceRoleKey.ADMIN]


@dataclass(frozen=True)
class Grant:
    """One source of one principal's role on one workspace."""

    role: str  # the role's label ("Developer", or a custom role's name)
    rank: int
    source: str  # DIRECT, TEAM or ORGANIZATION
    via: str = ""  # the team's name, or the organization role's label

    @property
    def source_label(self) -> str:
        if self.source == TEAM:
            return f"via team {self.via}"
        if self.source == ORGANIZATION:
            return f"via organization role {self.via}"
        return "direct"

    @property
    def description(self) -> str:
        return f"{self.role} ({self.source_label})"


@dataclass
class Cell:
    """Every grant of one principal on one workspace, the effective (highest) one first."""

    grants: list[Grant] = field(default_factory=list)

    def add(self, grant: Grant) -> None:
        self.grants.append(grant)
        self.grants.sort(key=lambda g: (-g.rank, _SOURCE_ORDER[g.source], g.via))

    @property
    def effective(self) -> Grant:
        return self.grants[0]

    @property
    def others(self) -> list[Grant]:
        return self.grants[1:]


@dataclass
class Row:
    """A person or a team, and their cells, one per workspace of the page (None: no access)."""

    kind: str  # "person" or "team"
    key: object  # the user's or the team's id
    name: str
    detail: str  # the person's e-mail, or the team's member count
    organization_role: str
    cells: list[Cell | None] = field(default_factory=list)


# --- Filters ----------------------------------------------------------------------------------------


def access_matrix_dimensions(*, organization: Organization) -> list[Dimension]:
    """The organization's dimensions with their values, for the label filter (two queries)."""
    return list(
        Dimension.objects.filter(organization=organization)
        .order_by("position", "name")
        .prefetch_related("values")
    )


def access_matrix_label_values(dimensions: list[Dimension], labels: Iterable[str]) -> list[DimensionValue]:
    """The values that `label=<dimension>:<value>` parameters name; unknown ones are ignored."""
    known = {
        f"{dimension.key}:{value.value}": value
        for dimension in dimensions
        for value in dimension.values.all()
    }
    chosen = []
    for label in labels:
        value = known.get(label.strip())
        if value is not None and value not in chosen:
            chosen.append(value)
    return chosen


def access_matrix_workspaces(
    *, organization: Organization, access: Access, label_values: Iterable[DimensionValue] = ()
) -> QuerySet[Workspace]:
    """The live workspaces the viewer may see, holding every chosen label (values of one dimension
    are alternatives), by ID."""
    workspaces = workspace_list_for_user(organization=organization, access=access).prefetch_related(None)
    by_dimension: dict[int, list[int]] = defaultdict(list)
    for value in label_values:
        by_dimension[value.dimension_id].append(value.pk)
    for value_ids in by_dimension.values():
        workspaces = workspaces.filter(labels__value_id__in=value_ids)
    if by_dimension:
        workspaces = workspaces.distinct()  # harmless today (one label per dimension), safe tomorrow
    return workspaces.order_by("slug")


def access_matrix_people(*, organization: Organization, search: str = "") -> QuerySet[Membership]:
    """The organization's members by e-mail, optionally matching `search` in name or e-mail. Deactivated
    members hold no access, so they have no row."""
    memberships = Membership.objects.active().filter(organization=organization).select_related("user")
    if search:
        memberships = memberships.filter(
            Q(user__email__icontains=search) | Q(user__display_name__icontains=search)
        )
    return memberships.order_by("user__email", "pk")


def access_matrix_teams(*, organization: Organization, search: str = "") -> QuerySet[Team]:
    """The organization's teams by name, each with `member_count`, optionally matching `search`."""
    teams = Team.objects.filter(organization=organization).annotate(member_count=Count("members"))
    if search:
        teams = teams.filter(name__icontains=search)
    return teams.order_by("name", "pk")


# --- The cells --------------------------------------------------------------------------------------


def _assignment_grant(assignment, source: str, via: str = "") -> Grant:
    definition = assignment.role_definition
    return Grant(role=definition.label, rank=definition.rank, source=source, via=via)


def _organization_grant(role_key: str, via_team: str = "") -> Grant | None:
    role = ORGANIZATION_ROLES.get(role_key)
    if role is None or ADMINISTER_ALL_WORKSPACES not in role.permissions:
        return None
    via = f"{role.label} (team {via_team})" if via_team else role.label
    return Grant(_ORGANIZATION_WIDE.label, _ORGANIZATION_WIDE.rank, ORGANIZATION, via)


def _assignments(workspaces, *, user_ids=(), team_ids=()):
    principals = Q(user_id__in=list(user_ids)) | Q(team_id__in=list(team_ids))
    if isinstance(workspaces, QuerySet):
        in_workspaces = Q(workspace__in=workspaces.values("pk"))
    else:
        in_workspaces = Q(workspace_id__in=[w.pk for w in workspaces])
    return WorkspaceRoleAssignment.objects.filter(in_workspaces & principals).select_related("custom_role")


def access_matrix_people_rows(
    *, organization: Organization, memberships: Iterable[Membership], workspaces
) -> list[Row]:
    """One row per membership, with a cell per workspace (a list, or a queryset for all of them): two
    queries, whatever the numbers (team memberships, role assignments)."""
    memberships = list(memberships)
    user_ids = [m.user_id for m in memberships]
    teams_of: dict[int, list[tuple[int, str, str]]] = defaultdict(list)
    team_ids = set()
    for team_id, user_id, name, role in Team.members.through.objects.filter(
        user_id__in=user_ids, team__organization=organization
    ).values_list("team_id", "user_id", "team__name", "team__role"):
        teams_of[user_id].append((team_id, name, role))
        team_ids.add(team_id)
    workspace_list = list(workspaces)
    direct: dict[tuple[int, object], Grant] = {}
    by_team: dict[int, list[tuple[object, WorkspaceRoleAssignment]]] = defaultdict(list)
    for assignment in _assignments(workspaces, user_ids=user_ids, team_ids=team_ids):
        if assignment.user_id:
            direct[(assignment.user_id, assignment.workspace_id)] = _assignment_grant(assignment, DIRECT)
        else:
            by_team[assignment.team_id].append((assignment.workspace_id, assignment))
    rows = []
    for membership in memberships:
        user = membership.user
        cells: dict[object, Cell] = defaultdict(Cell)
        everywhere = [_organization_grant(membership.role)]
        for team_id, team_name, team_role in teams_of[user.pk]:
            everywhere.append(_organization_grant(team_role, via_team=team_name))
            for workspace_id, assignment in by_team[team_id]:
                cells[workspace_id].add(_assignment_grant(assignment, TEAM, team_name))
        for workspace in workspace_list:
            grant = direct.get((user.pk, workspace.pk))
            if grant:
                cells[workspace.pk].add(grant)
            for organization_grant in everywhere:
                if organization_grant:
                    cells[workspace.pk].add(organization_grant)
        rows.append(
            Row(
                kind="person",
                key=user.pk,
                name=user.get_full_name(),
                detail=user.email,
                organization_role=membership.get_role_display(),
                cells=[cells.get(workspace.pk) for workspace in workspace_list],
            )
        )
    return rows


def access_matrix_team_rows(*, teams: Iterable[Team], workspaces) -> list[Row]:
    """One row per team: the role assigned to the team on each workspace, and the organization role it
    gives its members where that administers every workspace (one query: the assignments). The teams
    come from `access_matrix_teams`, with their `member_count`."""
    teams = list(teams)
    workspace_list = list(workspaces)
    assigned: dict[tuple[int, object], Grant] = {}
    for assignment in _assignments(workspaces, team_ids=[t.pk for t in teams]):
        assigned[(assignment.team_id, assignment.workspace_id)] = _assignment_grant(assignment, DIRECT)
    rows = []
    for team in teams:
        everywhere = _organization_grant(team.role)
        cells = []
        for workspace in workspace_list:
            cell = Cell()
            if (team.pk, workspace.pk) in assigned:
                cell.add(assigned[(team.pk, workspace.pk)])
            if everywhere:
                cell.add(everywhere)
            cells.append(cell if cell.grants else None)
        n = team.member_count
        rows.append(
            Row(
                kind="team",
                key=team.pk,
                name=team.name,
                detail=f"{n} member{'s' if n != 1 else ''}",
                organization_role=ORGANIZATION_ROLES[team.role].label if team.role else "",
                cells=cells,
            )
        )
    return rows


def access_matrix_export_rows(
    *,
    organization: Organization,
    memberships: QuerySet[Membership],
    teams: QuerySet[Team],
    workspaces: QuerySet[Workspace],
    chunk_size: int = 500,
) -> Iterator[tuple[Row, Workspace, Cell]]:
    """Every (principal, workspace, cell) with access, people first, then teams, `chunk_size`
    principals at a time (a few queries per chunk), for a streamed export of the whole filtered set."""
    workspace_list = list(workspaces.only("pk", "slug", "display_name"))
    if not workspace_list:
        return
    for chunk_rows in _chunks(memberships, chunk_size):
        for row in access_matrix_people_rows(
            organization=organization, memberships=chunk_rows, workspaces=workspace_list
        ):
            yield from _with_access(row, workspace_list)
    for chunk_rows in _chunks(teams, chunk_size):
        for row in access_matrix_team_rows(teams=chunk_rows, workspaces=workspace_list):
            yield from _with_access(row, workspace_list)


def _with_access(row: Row, workspaces: list[Workspace]):
    for workspace, cell in zip(workspaces, row.cells, strict=True):
        if cell is not None:
            yield row, workspace, cell


def _chunks(queryset: QuerySet, size: int):
    chunk = []
    for item in queryset.iterator(chunk_size=size):
        chunk.append(item)
        if len(chunk) == size:
            yield chunk
            chunk = []
    if chunk:
        yield chunk
