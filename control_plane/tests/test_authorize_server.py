"""A workspace server exchanging a user's control-plane token (`users/authorize_server`): who the user
is, checked again on every call, so removed members, deactivated users and revoked devices stop at
the next call."""

from datetime import timedelta

import pytest
from django.utils import timezone

from control_plane.models import AccessToken, Device, ExternalIdentity
from control_plane.services import device_revoke
from governance.services import membership_remove
from organizations.services import organization_create
from workspaces.models import WorkspaceRoleAssignment
from workspaces.services import workspace_create, workspace_role_assign, workspace_role_remove

pytestmark = pytest.mark.django_db


def test_the_server_learns_a_stable_id_for_the_user(logged_in_cli, developer, workspace):
    zenml, token = logged_in_cli
    first = zenml.authorize_server(token, workspace).json()
    assert first == {
        "id": str(ExternalIdentity.objects.get(user=developer).external_id),
        "username": "dev@example.com",
        "email": "dev@example.com",
        "name": developer.get_full_name(),
        "is_superuser": False,
        "is_service_account": False,
    }
    assert zenml.authorize_server(token, workspace).json()["id"] == first["id"]


def test_workspace_admins_are_superusers_of_its_server(logged_in_cli, developer, workspace, owner):
    zenml, token = logged_in_cli
    assignment = WorkspaceRoleAssignment.objects.get(workspace=workspace, user=developer)
    workspace_role_remove(assignment=assignment, acting_user=owner)
    workspace_role_assign(workspace=workspace, user=developer, role="admin", acting_user=owner)
    assert zenml.authorize_server(token, workspace).json()["is_superuser"] is True


def test_a_removed_member_gets_nothing_from_the_next_call(logged_in_cli, developer, workspace, owner):
    zenml, token = logged_in_cli
    assert zenml.authorize_server(token, workspace).status_code == 200
    membership_remove(membership=developer.memberships.get(), acting_user=owner)
    assert zenml.authorize_server(token, workspace).status_code == 403
    assert zenml.workspaces(token, workspace_name=workspace.slug).json() == []


def test_a_member_whose_workspace_role_is_gone_is_refused(logged_in_cli, developer, workspace, owner):
    zenml, token = logged_in_cli
    assignment = WorkspaceRoleAssignment.objects.get(workspace=workspace, user=developer)
    workspace_role_remove(assignment=assignment, acting_user=owner)
    assert zenml.authorize_server(token, workspace).status_code == 403


def test_a_deactivated_user_is_refused(logged_in_cli, developer, workspace):
    zenml, token = logged_in_cli
    developer.is_active = False
    developer.save(update_fields=["is_active"])
    assert zenml.authorize_server(token, workspace).status_code == 403
    assert zenml.workspaces(token).status_code == 403


def test_a_revoked_device_gets_nothing_from_the_next_call(logged_in_cli, developer, workspace):
    zenml, token = logged_in_cli
    device_revoke(device=Device.objects.get(), acting_user=developer)
    assert zenml.authorize_server(token, workspace).status_code == 401
    assert zenml.workspaces(token).status_code == 401
    # Asking again from the same machine starts a new device: the revoked one never comes back.
    again = zenml.device_authorization(device_id=str(Device.objects.get().pk)).json()
    assert again["user_code"] != Device.objects.get(status="revoked").user_code
    assert Device.objects.count() == 2


def test_expired_and_forged_tokens_are_refused(logged_in_cli, workspace):
    zenml, token = logged_in_cli
    assert zenml.authorize_server(token + "x", workspace).status_code == 401
    assert zenml.authorize_server("garbage", workspace).status_code == 401
    AccessToken.objects.update(expires_at=timezone.now() - timedelta(seconds=1))
    assert zenml.authorize_server(token, workspace).status_code == 401


def test_someone_outside_the_organization_is_refused(
    zenml, logged_in_cli, outsider, make_workspace, workspace
):
    cli, token = logged_in_cli
    other_org = organization_create(name="Elsewhere", acting_user=outsider)
    theirs = workspace_create(
        organization=other_org, slug="their-ws", display_name="Theirs", acting_user=outsider
    )
    assert cli.authorize_server(token, theirs).status_code == 403
    assert cli.workspace(token, theirs.pk).status_code == 404


def test_a_server_token_is_no_user_token(zenml, workspace):
    server_token = zenml.server_token(workspace)
    assert zenml.authorize_server(server_token, workspace).status_code == 401


def test_an_unknown_server_is_not_recognised(logged_in_cli):
    zenml, token = logged_in_cli
    response = zenml.http.get(
        "/zenml-api/users/authorize_server",
        {"server_id": "00000000-0000-0000-0000-000000000000"},
        headers={"Authorization": f"Bearer {token}"},
    )
    assert response.status_code == 404


def test_a_login_approved_in_one_organization_acts_nowhere_else(logged_in_cli, developer, workspace):
    """The device was approved for a workspace of Acme ML; the same person's workspace in their own
    organization is out of its reach (lookup and server exchange), and no checklist elsewhere ticks."""
    from workspaces.models import OnboardingStep

    zenml, token = logged_in_cli
    elsewhere = organization_create(name="Side Project", acting_user=developer)
    other = workspace_create(
        organization=elsewhere, slug="side-ws", display_name="Side", acting_user=developer
    )
    assert zenml.authorize_server(token, other).status_code == 403
    assert zenml.workspace(token, other.pk).status_code == 404
    assert zenml.workspaces(token, workspace_name="side-ws").json() == []
    assert not OnboardingStep.objects.filter(workspace=other, key="cli_login").exists()
    assert zenml.authorize_server(token, workspace).status_code == 200
