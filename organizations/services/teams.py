"""Teams of an organization: creating them and editing their name, description and organization role.

Managing teams needs `manage_teams`. A team's organization role is given by people who manage
members, and only up to their own rank; a team whose role is above the acting user's is theirs to
look at, not to change (nor to rename). Changes to a team's members and its deletion also touch its
workspace roles, so they live in `governance.services.teams`.
"""

from django.db import IntegrityError, transaction

from ..access import Access
from ..audit import AuditAction, audit_record
from ..errors import ConflictError, InvalidError, NotFoundError, TargetDeniedError
from ..models import Organization, Team
from ..permission_sync import sync_organization_permissions
from ..roles import MANAGE_MEMBERS, MANAGE_TEAMS
from .dimensions import team_value_create, team_value_rename
from .limits import check_lengths
from .members import check_may_grant

MANAGE_TEAMS_PERMISSION = f"organizations.{MANAGE_TEAMS}"
TEAM_ROLE_KEYS = frozenset(key for key, _ in Team._meta.get_field("role").choices)


def team_snapshot(team: Team) -> dict:
    return {"name": team.name, "description": team.description, "role": team.role}


def _check_manages_members(access: Access) -> None:
    """Organization roles are given by those who manage members, directly or through a team's role."""
    if not access.can(f"organizations.{MANAGE_MEMBERS}"):
        raise TargetDeniedError(
            "Only people who manage members can give organization roles, including through a team."
        )


def _check_team_role(*, access: Access, role: str) -> None:
    """A team's organization role: one a team may hold (never Owner) and the acting user may grant."""
    if role not in TEAM_ROLE_KEYS:
        raise InvalidError("Choose one of the organization roles a team can hold.", field="role")
    check_may_grant(access=access, role=role)
    _check_manages_members(access)


def check_may_manage_team(*, team: Team, access: Access, changes_holders: bool = False) -> None:
    """Refuse unless the user may change this team: `manage_teams`, and, when the team gives an
    organization role, that role is within the user's own reach (otherwise a Manager could rename an
    Admin team). Changing who holds that role (`changes_holders`: its members, its deletion) also
    needs `manage_members`, as giving the role directly would."""
    access.require(MANAGE_TEAMS_PERMISSION)
    if team.organization_id != access.organization.pk:
        raise NotFoundError("That team belongs to another organization.")
    if not team.role:
        return
    if not access.may_grant_organization_role(team.role):
        raise TargetDeniedError(
            f"{team.name} gives its members the organization role {team.get_role_display()}, "
            "which is above your own: only someone with that role can change it or its members."
        )
    if changes_holders:
        _check_manages_members(access)


def _clean(name: str, description: str) -> tuple[str, str]:
    name, description = name.strip(), description.strip()
    if not name:
        raise InvalidError("Enter a name for the team.", field="name")
    check_lengths(Team, name=name, description=description)
    return name, description


@transaction.atomic
def team_create(
    *, organization: Organization, name: str, description: str = "", role: str = "", acting_user
) -> Team:
    access = Access.for_user(acting_user, organization)
    access.require(MANAGE_TEAMS_PERMISSION)
    name, description = _clean(name, description)
    if role:
        _check_team_role(access=access, role=role)
    if Team.objects.filter(organization=organization, name__iexact=name).exists():
        raise ConflictError("A team with this name already exists.", field="name")
    try:
        with transaction.atomic():  # a savepoint: a concurrent create of the same name fails only here
            team = Team.objects.create(
                organization=organization, name=name, description=description, role=role
            )
    except IntegrityError as error:
        raise ConflictError("A team with this name already exists.", field="name") from error
    team_value_create(team=team)  # the team dimension's values are the teams
    audit_record(organization=organization, acting_user=acting_user, action=AuditAction.TEAM_CREATE,
                 target=team, after=team_snapshot(team))  # fmt: skip
    return team


@transaction.atomic
def team_update(*, team: Team, name: str, description: str, role: str, acting_user) -> Team:
    organization = team.organization
    access = Access.for_user(acting_user, organization)
    check_may_manage_team(team=team, access=access, changes_holders=role != team.role)
    name, description = _clean(name, description)
    if role != team.role and role:
        _check_team_role(access=access, role=role)
    if Team.objects.filter(organization=organization, name__iexact=name).exclude(pk=team.pk).exists():
        raise ConflictError("A team with this name already exists.", field="name")
    before = team_snapshot(team)
    team.name, team.description, team.role = name, description, role
    try:
        with transaction.atomic():
            team.save(update_fields=["name", "description", "role"])
    except IntegrityError as error:
        raise ConflictError("A team with this name already exists.", field="name") from error
    if before["name"] != name:
        team_value_rename(team=team)
    if before["role"] != role:
        sync_organization_permissions(organization, user_ids=list(team.members.values_list("pk", flat=True)))
    after = team_snapshot(team)
    if after != before:
        audit_record(organization=organization, acting_user=acting_user, action=AuditAction.TEAM_UPDATE,
                     target=team, before=before, after=after)  # fmt: skip
    return team
