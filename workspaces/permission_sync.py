"""Guardian rows of workspaces, derived from workspace role assignments (direct and through teams)."""

from collections import defaultdict
from collections.abc import Iterable
from itertools import batched

from django.db import models

from organizations.models import Membership, Team
from organizations.permission_sync import apply_object_permissions_bulk

from .models import Workspace, WorkspaceRoleAssignment, WorkspaceUserObjectPermission

BATCH_SIZE = 1000


def workspace_permissions_by_user(workspace: Workspace) -> dict[int, set[str]]:
    """Each user's workspace permissions: their own assignment's role, plus their teams' roles."""
    return workspace_permissions_by_user_bulk([workspace])[workspace.pk]


def workspace_permissions_by_user_bulk(workspaces: Iterable[Workspace]) -> dict[object, dict[int, set[str]]]:
    """`workspace_permissions_by_user` of many workspaces at once ({workspace pk: {user id: codenames}}),
    in three queries for all of them. Every workspace is in the result, with no users if nobody holds a
    role there."""
    workspaces_by_pk = {workspace.pk: workspace for workspace in workspaces}
    desired: dict[object, dict[int, set[str]]] = {pk: defaultdict(set) for pk in workspaces_by_pk}
    team_permissions: dict[int, list[tuple[object, frozenset[str]]]] = defaultdict(list)
    assignments = WorkspaceRoleAssignment.objects.filter(workspace_id__in=list(desired)).select_related(
        "custom_role"
    )
    for assignment in assignments:
        if assignment.user_id:
            desired[assignment.workspace_id][assignment.user_id] |= assignment.role_definition.permissions
        else:
            team_permissions[assignment.team_id].append(
                (assignment.workspace_id, assignment.role_definition.permissions)
            )
    if team_permissions:
        memberships = Team.members.through.objects.filter(team_id__in=team_permissions)
        for team_id, user_id in memberships.values_list("team_id", "user_id"):
            for workspace_pk, permissions in team_permissions[team_id]:
                desired[workspace_pk][user_id] |= permissions
    _withdraw_deactivated(desired, workspaces_by_pk)
    return desired


def _withdraw_deactivated(desired, workspaces_by_pk) -> None:
    """Members deactivated in a workspace's organization hold nothing there: their role assignments
    stay (for a reactivation), their guardian rows go."""
    organization_ids = {workspace.organization_id for workspace in workspaces_by_pk.values()}
    deactivated = set(
        Membership.objects.filter(
            organization_id__in=organization_ids, deactivated_at__isnull=False
        ).values_list("organization_id", "user_id")
    )
    if not deactivated:
        return
    for workspace_pk, by_user in desired.items():
        organization_id = workspaces_by_pk[workspace_pk].organization_id
        for user_id in [u for u in by_user if (organization_id, u) in deactivated]:
            del by_user[user_id]


def sync_workspace_permissions(workspace: Workspace) -> int:
    return sync_workspace_permissions_bulk([workspace])


def sync_workspace_permissions_bulk(workspaces: Iterable[Workspace], *, batch_size: int = BATCH_SIZE) -> int:
    """`sync_workspace_permissions` of many workspaces, `batch_size` workspaces per round: a few queries
    per round instead of a few per workspace, and the rows inserted in batches. Returns the rows added
    or removed."""
    return sum(
        apply_object_permissions_bulk(
            permission_model=WorkspaceUserObjectPermission,
            desired=workspace_permissions_by_user_bulk(chunk),
            batch_size=batch_size,
        )
        for chunk in batched(workspaces, batch_size)
    )


def sync_workspaces_of_team(team) -> int:
    """After a team's members change: every workspace where the team holds a role."""
    return sync_workspace_permissions_bulk(Workspace.objects.filter(role_assignments__team=team).distinct())


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
    return sync_workspace_permissions_bulk(workspaces)
