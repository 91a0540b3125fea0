"""A workspace's ZenML server enrolling with the control plane: its client-credentials login and its
status report at start-up."""

from datetime import timedelta

import pytest
from django.utils import timezone

from control_plane.models import AccessToken, Device
from workspaces.models import Workspace, WorkspaceServer, WorkspaceStatus

pytestmark = pytest.mark.django_db


def test_a_server_logs_in_with_its_enrollment_secret(zenml, workspace):
    response = zenml.server_login(workspace)
    assert response.status_code == 200
    body = response.json()
    assert body["token_type"] == "bearer" and body["expires_in"] == 3600 and body["access_token"]


@pytest.mark.parametrize("secret", ["wrong", ""])
def test_a_wrong_secret_is_refused(zenml, workspace, secret):
    response = zenml.server_login(workspace, secret=secret)
    assert response.status_code == 401 and response.json()["error"] == "invalid_client"


def test_one_workspaces_secret_does_not_open_another(zenml, workspace, make_workspace):
    from workspaces.server_secrets import ENROLLMENT, server_secret
    from workspaces.services.servers import workspace_server_ensure

    other = make_workspace("other-ws")
    secret = server_secret(workspace_server_ensure(other), ENROLLMENT)
    assert zenml.server_login(workspace, secret=secret).status_code == 401


def test_a_deleted_workspaces_server_cannot_log_in(zenml, workspace):
    token = zenml.server_token(workspace)
    Workspace.objects.filter(pk=workspace.pk).update(status=WorkspaceStatus.DELETED)
    assert zenml.server_login(workspace).status_code == 401
    assert zenml.workspace_status(token, workspace).status_code == 401


def test_the_servers_status_report_is_recorded(zenml, workspace):
    token = zenml.server_token(workspace)
    assert zenml.workspace_status(token, workspace, version="0.98.0").status_code == 200
    server = WorkspaceServer.objects.get(workspace=workspace)
    assert server.version == "0.98.0" and server.reported_at


def test_a_status_report_needs_the_servers_token(zenml, workspace, make_workspace):
    assert zenml.workspace_status("nope", workspace).status_code == 401
    other_token = zenml.server_token(make_workspace("other-ws"))
    assert zenml.workspace_status(other_token, workspace).status_code == 403


def test_other_grants_are_refused(zenml):
    response = zenml.http.post("/zenml-api/auth/login", {"grant_type": "password", "username": "x"})
    assert response.status_code == 400 and response.json()["error"] == "unsupported_grant_type"


def test_expired_tokens_and_unanswered_requests_are_forgotten(zenml, workspace, logged_in_cli):
    zenml.device_authorization()  # a second request nobody answers
    long_ago = timezone.now() - timedelta(days=2)
    AccessToken.objects.update(expires_at=long_ago)
    Device.objects.update(code_expires_at=long_ago)
    zenml.server_token(workspace)
    assert AccessToken.objects.count() == 1  # the new server token
    assert list(Device.objects.values_list("status", flat=True)) == ["approved"]


def test_a_deactivated_workspaces_server_gets_nothing_more(zenml, workspace, owner):
    from workspaces.services import workspace_deactivate

    Workspace.objects.filter(pk=workspace.pk).update(status=WorkspaceStatus.AVAILABLE)
    token = zenml.server_token(workspace)
    assert zenml.workspace_status(token, workspace).status_code == 200
    workspace_deactivate(workspace=Workspace.objects.get(pk=workspace.pk), acting_user=owner)
    assert zenml.workspace_status(token, workspace).status_code == 401
