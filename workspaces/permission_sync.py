"""Guardian rows of workspaces, derived from workspace role assignments (direct and through teams)."""

from collections import defaultdict

from django.db import models

from organizations.models import Team
from organizations.permission_sync import apply_object_permissions

from .models import Workspace, WorkspaceRoleAssignment, WorkspaceUserObjectPermission


def workspace_permissions_by_user(workspace: Workspace) -> dict[int, set[str]]:
    """Each user's workspace permissions: their own assignment's role, plus their teams' roles."""
    desired: dict[int, set[str]] = defaultdict(set)
    team_permissions: dict[int, frozenset[str]] = {}
    assignments = WorkspaceRoleAssignment.objects.filter(workspace=workspace).select_related("custom_role")
    for assignment in assignments:
        if assignment.user_id:
            desired[assignment.user_id] |= assignment.role_definition.permissions
        else:
            team_permissions[assignment.team_id] = assignment.role_definition.permissions
    if team_permissions:
        memberships = Team.members.through.objects.filter(team_id__in=team_permissions)
        for team_id, user_id in memberships.values_list("team_id", "user_id"):
            desired[user_id] |= team_permissions[team_id]
    return desired


def sync_workspace_permissions(workspace: Workspace) -> int:
    return apply_object_permissions(
        permission_model=WorkspaceUserObjectPermission,
        content_object=workspace,
        desired=workspace_permissions_by_user(workspace),
    )


def sync_workspaces_of_team(team) -> int:
    """After a team's members change: every workspace where the team holds a role."""
    workspaces = Workspace.objects.filter(role_assignments__team=team).distinct()
    return sum(sync_workspace_permissions(workspace) for workspace in workspaces)


def sync_workspaces_of_user(user, organization) -> int:
    """After someone leaves an organization (or its teams): every workspace they could reach."""
    workspaces = (
        Workspace.objects.filter(organization=organization)
        .filter(
            models.Q(role_assignments__user=user)
            | models.Q(role_assignments__team__members=user)
            | models.Q(workspaceuserobjectpermission__user=user)
        )
        .distinct()
    )
    return sum(sync_workspace_permissions(workspace) for workspace in workspaces)
