"""The CLI finding a workspace (`zenml login <name>`): by name, by id or by its server's URL, only
among the workspaces its user may see, in ZenML's `WorkspaceRead` shape."""

import pytest

from workspaces.models import Workspace, WorkspaceServer, WorkspaceStatus

pytestmark = pytest.mark.django_db


@pytest.fixture
def available(workspace):
    Workspace.objects.filter(pk=workspace.pk).update(
        status=WorkspaceStatus.AVAILABLE, status_reason="", server_url="http://127.0.0.1:8231"
    )
    workspace.refresh_from_db()
    return workspace


def test_a_workspace_reads_as_zenml_expects(logged_in_cli, available, organization):
    zenml, token = logged_in_cli
    read = zenml.workspace(token, available.pk).json()
    assert read["id"] == str(available.pk) and read["name"] == "ml-team"
    assert read["organization"]["id"] == str(organization.pk)
    assert read["organization"]["name"] == "Acme ML" and read["organization"]["created"]
    assert read["status"] == "available" and read["desired_state"] == "available"
    assert read["state_reason"] == ""
    assert read["zenml_service"]["status"]["server_url"] == "http://127.0.0.1:8231"
    assert read["zenml_service"]["configuration"]["version"]


def test_a_workspace_being_made_reads_as_pending_without_a_url(logged_in_cli, workspace):
    zenml, token = logged_in_cli
    Workspace.objects.filter(pk=workspace.pk).update(status=WorkspaceStatus.PENDING, server_url="")
    read = zenml.workspace(token, workspace.pk).json()
    assert read["status"] == "pending" and read["zenml_service"]["status"] is None


def test_lookups_by_name_and_by_url(logged_in_cli, available, make_workspace):
    zenml, token = logged_in_cli
    make_workspace("unrelated")
    by_name = zenml.workspaces(token, workspace_name="ML-Team", member_only="True", offset=0, limit=20)
    assert [ws["name"] for ws in by_name.json()] == ["ml-team"]
    by_url = zenml.workspaces(token, url="http://127.0.0.1:8231/", member_only="True")
    assert [ws["name"] for ws in by_url.json()] == ["ml-team"]
    assert zenml.workspaces(token, workspace_name="nope").json() == []


def test_only_workspaces_the_user_may_see_are_listed(logged_in_cli, make_workspace):
    zenml, token = logged_in_cli
    hidden = make_workspace("hidden-ws")
    assert [ws["name"] for ws in zenml.workspaces(token).json()] == ["ml-team"]
    assert zenml.workspaces(token, workspace_name="hidden-ws").json() == []
    assert zenml.workspace(token, hidden.pk).status_code == 404


def test_a_lookup_counts_as_use_of_the_server(logged_in_cli, available):
    from workspaces.services.servers import workspace_server_ensure

    workspace_server_ensure(available)
    zenml, token = logged_in_cli
    zenml.workspaces(token, workspace_name="ml-team")
    assert WorkspaceServer.objects.get(workspace=available).last_used_at is not None


def test_lookups_need_a_user_token(zenml, workspace):
    assert zenml.workspaces("").status_code == 401
    assert zenml.workspace(zenml.server_token(workspace), workspace.pk).status_code == 401


def test_an_idle_server_reads_as_pending_and_is_woken_by_the_lookup(logged_in_cli, available, settings):
    """With supervised servers (the zenml provisioner), a workspace whose server was stopped for
    idleness answers `pending`, so the CLI waits and asks again, and the lookup queues the server."""
    from workspaces.models import ServerState

    settings.ATRIUM_PROVISIONER = "workspaces.provisioners.zenml.ZenMLProvisioner"
    WorkspaceServer.objects.update_or_create(
        workspace=available, defaults={"secret_salt": "s", "state": ServerState.IDLE}
    )
    zenml, token = logged_in_cli
    assert zenml.workspace(token, available.pk).json()["status"] == "pending"
    assert WorkspaceServer.objects.get(workspace=available).state == ServerState.QUEUED
    WorkspaceServer.objects.filter(workspace=available).update(state=ServerState.RUNNING)
    assert zenml.workspace(token, available.pk).json()["status"] == "available"
