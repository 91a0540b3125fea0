"""`sync_workspace_permissions_bulk` writes, for many workspaces at once, the guardian rows the
one-workspace sync would: direct roles, team roles and custom roles, and it removes stray rows."""

import pytest
from django.contrib.auth.models import Permission

from governance.services import team_member_add
from organizations.services import team_create
from workspaces.models import WorkspaceRoleAssignment, WorkspaceUserObjectPermission
from workspaces.permission_sync import sync_workspace_permissions_bulk, workspace_permissions_by_user
from workspaces.roles import WORKSPACE_ROLES
from workspaces.services import custom_role_create

pytestmark = pytest.mark.django_db


def rows(workspace) -> dict[int, set[str]]:
    granted: dict[int, set[str]] = {}
    for user_id, codename in WorkspaceUserObjectPermission.objects.filter(
        content_object=workspace
    ).values_list("user_id", "permission__codename"):
        granted.setdefault(user_id, set()).add(codename)
    return granted


def test_many_workspaces_are_synced_in_batches_like_one_at_a_time(
    organization, owner, add_member, make_workspace, outsider
):
    direct, in_team = add_member("member"), add_member("member")
    team = team_create(organization=organization, name="Modellers", acting_user=owner)
    team_member_add(team=team, user=in_team, acting_user=owner)
    auditor = custom_role_create(
        organization=organization, name="Auditor", base_role="viewer", acting_user=owner
    )
    workspaces = [make_workspace(f"synced-{n}") for n in range(5)]
    # Role assignments written behind the services' backs, so only the bulk sync can bring the rows along.
    WorkspaceRoleAssignment.objects.bulk_create(
        [
            WorkspaceRoleAssignment(workspace=workspaces[0], user=direct, role="developer"),
            WorkspaceRoleAssignment(workspace=workspaces[1], team=team, role="contributor"),
            WorkspaceRoleAssignment(workspace=workspaces[2], team=team, role="viewer"),
            WorkspaceRoleAssignment(workspace=workspaces[3], user=direct, custom_role=auditor),
        ]
    )
    stray = WorkspaceUserObjectPermission.objects.create(
        user=outsider,
        content_object=workspaces[4],
        permission=Permission.objects.get(codename="view_workspace"),
    )
    WorkspaceUserObjectPermission.objects.filter(user=owner, content_object=workspaces[4])[:1].get().delete()
    expected_changes = (
        len(WORKSPACE_ROLES["developer"].permissions)
        + len(WORKSPACE_ROLES["contributor"].permissions)
        + len(WORKSPACE_ROLES["viewer"].permissions)
        + len(auditor.permissions)
        + 2  # the stray row goes, the owner's missing row comes back
    )

    assert sync_workspace_permissions_bulk(workspaces, batch_size=2) == expected_changes

    for workspace in workspaces:
        assert rows(workspace) == dict(workspace_permissions_by_user(workspace))
    assert rows(workspaces[0])[direct.pk] == set(WORKSPACE_ROLES["developer"].permissions)
    assert rows(workspaces[1])[in_team.pk] == set(WORKSPACE_ROLES["contributor"].permissions)
    assert rows(workspaces[2])[in_team.pk] == set(WORKSPACE_ROLES["viewer"].permissions)
    assert direct.pk not in rows(workspaces[1]) and in_team.pk not in rows(workspaces[0])
    assert rows(workspaces[3])[direct.pk] == set(auditor.permissions)
    assert not WorkspaceUserObjectPermission.objects.filter(pk=stray.pk).exists()
    assert sync_workspace_permissions_bulk(workspaces) == 0
