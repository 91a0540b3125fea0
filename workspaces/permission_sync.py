"""Guardian rows of workspaces, derived from workspace role assignments (direct and through teams)."""

from collections import defaultdict

from organizations.models import Team
from organizations.permission_sync import apply_object_permissions

from .models import Workspace, WorkspaceRoleAssignment, WorkspaceUserObjectPermission
from .roles import WORKSPACE_ROLES


def workspace_permissions_by_user(workspace: Workspace) -> dict[int, set[str]]:
    desired: dict[int, set[str]] = defaultdict(set)
    assignments = WorkspaceRoleAssignment.objects.filter(workspace=workspace)
    team_roles: dict[int, str] = {}
    for user_id, team_id, role in assignments.values_list("user_id", "team_id", "role"):
        if user_id:
            desired[user_id] |= WORKSPACE_ROLES[role].permissions
        else:
            team_roles[team_id] = role
    if team_roles:
        memberships = Team.members.through.objects.filter(team_id__in=team_roles)
        for team_id, user_id in memberships.values_list("team_id", "user_id"):
            desired[user_id] |= WORKSPACE_ROLES[team_roles[team_id]].permissions
    return desired


def sync_workspace_permissions(workspace: Workspace) -> int:
    return apply_object_permissions(
        permission_model=WorkspaceUserObjectPermission,
        content_object=workspace,
        desired=workspace_permissions_by_user(workspace),
    )
