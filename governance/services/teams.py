"""Team changes that also change who holds the team's workspace roles: its members and its deletion.

Each is refused unless the acting user may manage the team (see
`organizations.services.teams.check_may_manage_team`) and could grant every workspace role the team
holds (`workspaces.services.team_workspace_roles_check`).
"""

from django.db import transaction

from organizations.access import Access
from organizations.audit import AuditAction, audit_record
from organizations.errors import ConflictError, InvalidError, NotFoundError
from organizations.models import Membership, Team
from organizations.permission_sync import sync_organization_permissions
from organizations.services.teams import check_may_manage_team, team_snapshot
from workspaces.models import Workspace, WorkspaceLabel
from workspaces.permission_sync import sync_workspace_permissions, sync_workspaces_of_team
from workspaces.services import team_workspace_roles_check


def _locked_team(team: Team) -> Team:
    locked = Team.objects.select_for_update().filter(pk=team.pk).first()
    if locked is None:
        raise NotFoundError(f"Team “{team.name}” was deleted a moment ago.")
    return locked


@transaction.atomic
def team_delete(*, team: Team, acting_user) -> None:
    access = Access.for_user(acting_user, team.organization)
    check_may_manage_team(team=team, access=access, changes_holders=True)
    team_workspace_roles_check(team=team, acting_user=acting_user)
    team = _locked_team(team)
    organization = team.organization
    member_ids = list(team.members.values_list("pk", flat=True))
    workspaces = list(Workspace.objects.filter(role_assignments__team=team).distinct())
    roles = {
        a.workspace.slug: a.role_definition.label
        for a in team.workspace_roles.select_related("workspace", "custom_role")
    }
    snapshot = team_snapshot(team) | {"members": len(member_ids), "workspace_roles": roles}
    # The team's value of the team dimension goes with it; so does that label on its workspaces.
    labelled = WorkspaceLabel.objects.filter(value__team=team).count()
    if labelled:
        snapshot["workspaces_labelled"] = labelled
    audit_record(organization=organization, acting_user=acting_user, action=AuditAction.TEAM_DELETE,
                 target=team, before=snapshot)  # fmt: skip
    team.delete()
    sync_organization_permissions(organization, user_ids=member_ids)
    for workspace in workspaces:
        sync_workspace_permissions(workspace)


@transaction.atomic
def team_member_add(*, team: Team, user, acting_user) -> None:
    access = Access.for_user(acting_user, team.organization)
    check_may_manage_team(team=team, access=access, changes_holders=True)
    if not Membership.objects.filter(organization=team.organization, user=user).exists():
        raise InvalidError("Only members of the organization can join its teams.", field="user")
    team_workspace_roles_check(team=team, acting_user=acting_user)
    team = _locked_team(team)
    if team.members.filter(pk=user.pk).exists():
        raise ConflictError(f"{user.email} is already in {team.name}.", field="user")
    team.members.add(user)
    sync_organization_permissions(team.organization, user_ids=[user.pk])
    sync_workspaces_of_team(team)
    audit_record(organization=team.organization, acting_user=acting_user, action=AuditAction.TEAM_MEMBER_ADD,
                 target=team, principal=user, after={"user": user.email})  # fmt: skip


@transaction.atomic
def team_member_remove(*, team: Team, user, acting_user) -> None:
    """Take `user` out of the team; anyone may leave a team themselves."""
    if user.pk != acting_user.pk:
        access = Access.for_user(acting_user, team.organization)
        check_may_manage_team(team=team, access=access, changes_holders=True)
        team_workspace_roles_check(team=team, acting_user=acting_user)
    team = _locked_team(team)
    if not team.members.filter(pk=user.pk).exists():  # removed by another request a moment earlier
        raise NotFoundError(f"{user.email} is not in {team.name}.")
    team.members.remove(user)
    sync_organization_permissions(team.organization, user_ids=[user.pk])
    sync_workspaces_of_team(team)
    audit_record(organization=team.organization, acting_user=acting_user, action=AuditAction.TEAM_MEMBER_REMOVE,
                 target=team, principal=user, before={"user": user.email})  # fmt: skip
