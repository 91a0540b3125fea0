"""The server record's services (workspaces/services/servers.py): asking for a server, and use that wakes
an idle one without a write per call."""

from datetime import timedelta

from django.utils import timezone

from workspaces.models import ServerState, Workspace, WorkspaceServer, WorkspaceStatus
from workspaces.services.servers import workspace_server_request_start, workspace_server_used


def available(make_workspace, slug) -> Workspace:
    workspace = make_workspace(slug)
    Workspace.objects.filter(pk=workspace.pk).update(status=WorkspaceStatus.AVAILABLE)
    workspace.refresh_from_db()
    return workspace


def test_asking_for_a_server_queues_it_with_a_clean_slate(make_workspace):
    workspace = make_workspace("asked")
    server = workspace_server_request_start(workspace)
    assert server.state == ServerState.QUEUED and server.queued_at

    WorkspaceServer.objects.filter(pk=server.pk).update(
        state=ServerState.STOPPED, crashes=5, last_error="boom"
    )
    server = workspace_server_request_start(workspace)  # a retry after it failed
    assert (server.state, server.crashes, server.last_error) == (ServerState.QUEUED, 0, "")

    WorkspaceServer.objects.filter(pk=server.pk).update(state=ServerState.RUNNING, pid=4242)
    assert workspace_server_request_start(workspace).state == ServerState.RUNNING  # left alone


def test_use_wakes_an_idle_server_and_is_recorded_at_most_twice_a_minute(
    make_workspace, django_assert_num_queries
):
    workspace = available(make_workspace, "napping")
    server = workspace_server_request_start(workspace)
    long_ago = timezone.now() - timedelta(hours=2)
    WorkspaceServer.objects.filter(pk=server.pk).update(state=ServerState.IDLE, last_used_at=long_ago)

    workspace_server_used(workspace)
    server.refresh_from_db()
    assert server.state == ServerState.QUEUED and server.last_used_at > long_ago

    with django_assert_num_queries(1):  # the RBAC calls of a pipeline run cost one cheap query each
        workspace_server_used(workspace)


def test_use_does_not_wake_the_server_of_a_deactivated_workspace(make_workspace):
    workspace = make_workspace("asleep-for-good")
    server = workspace_server_request_start(workspace)
    Workspace.objects.filter(pk=workspace.pk).update(status=WorkspaceStatus.DEACTIVATED)
    WorkspaceServer.objects.filter(pk=server.pk).update(state=ServerState.STOPPED)

    workspace_server_used(workspace)
    assert WorkspaceServer.objects.get(pk=server.pk).state == ServerState.STOPPED


def test_operators_see_each_server_in_the_admin(make_workspace, client, django_user_model):
    from django.urls import reverse

    server = workspace_server_request_start(make_workspace("watched"))
    WorkspaceServer.objects.filter(pk=server.pk).update(last_error="it exited with code 3; log: boom")
    operator = django_user_model.objects.create_superuser(email="ops@example.com", password="x-ops-pass-1")
    client.force_login(operator)

    listing = client.get(reverse("admin:workspaces_workspaceserver_changelist")).content.decode()
    assert "Watched" in listing and "Queued" in listing
    page = client.get(reverse("admin:workspaces_workspaceserver_change", args=[server.pk])).content.decode()
    assert "it exited with code 3; log: boom" in page and server.secret_salt not in page
