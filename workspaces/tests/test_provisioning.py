import pytest
from django.core.management import call_command
from django.urls import reverse

from organizations.models import AuditEvent
from workspaces.models import Workspace, WorkspaceRoleAssignment, WorkspaceServerSecret, WorkspaceStatus
from workspaces.permission_sync import sync_workspace_permissions

FAILING = "workspaces.tests.provisioners.FailingProvisioner"


def run_worker():
    call_command("db_worker", batch=True, no_startup_delay=True, reload=False, verbosity=0)


@pytest.mark.django_db(transaction=True)
def test_the_worker_provisions_a_new_workspace(make_workspace):
    workspace = make_workspace("worker-path")
    assert Workspace.objects.get(pk=workspace.pk).status == WorkspaceStatus.PENDING

    run_worker()

    workspace.refresh_from_db()
    assert workspace.status == WorkspaceStatus.AVAILABLE
    assert workspace.server_url == "/w/worker-path/api/v1"  # the worker knows no address; see below
    assert workspace.server_version
    assert WorkspaceServerSecret.objects.filter(workspace=workspace).exists()
    actions = list(AuditEvent.objects.filter(target_id=str(workspace.pk)).values_list("action", flat=True))
    assert "workspace.create" in actions and "workspace.available" in actions


@pytest.mark.django_db(transaction=True)
def test_the_server_address_is_shown_at_the_address_the_site_is_served_at(
    make_workspace, owner_client, settings
):
    """Provisioned in the background, shown to a request at localhost:8302, or at ATRIUM_BASE_URL."""
    settings.ATRIUM_BASE_URL = ""
    workspace = make_workspace("addr-ws")
    run_worker()
    change_page = reverse("org_admin:workspaces_workspace_change", args=[workspace.pk])

    page = owner_client.get(change_page, HTTP_HOST="localhost:8302", SERVER_PORT="8302").content.decode()
    assert "http://localhost:8302/w/addr-ws/api/v1" in page and ":8000" not in page

    settings.ATRIUM_BASE_URL = "https://atrium.example.com"
    page = owner_client.get(change_page, HTTP_HOST="localhost:8302", SERVER_PORT="8302").content.decode()
    assert "https://atrium.example.com/w/addr-ws/api/v1" in page


@pytest.mark.django_db(transaction=True)
def test_a_failure_shows_its_reason_and_retry_recovers(make_workspace, owner_client, settings):
    settings.ATRIUM_PROVISIONER = FAILING
    workspace = make_workspace("will-fail")
    run_worker()

    workspace.refresh_from_db()
    assert workspace.status == WorkspaceStatus.FAILED
    overview = owner_client.get(reverse("workspaces:overview", args=["will-fail"])).content.decode()
    assert "did not answer its health check" in overview and ">Retry</button>" in overview

    settings.ATRIUM_PROVISIONER = "workspaces.provisioners.embedded.EmbeddedProvisioner"
    response = owner_client.post(reverse("workspaces:retry", args=["will-fail"]))
    assert response.status_code == 302
    workspace.refresh_from_db()
    assert workspace.status == WorkspaceStatus.PENDING

    run_worker()
    workspace.refresh_from_db()
    assert workspace.status == WorkspaceStatus.AVAILABLE
    assert AuditEvent.objects.filter(
        action="workspace.provisioning_retry", target_id=str(workspace.pk)
    ).exists()


@pytest.mark.django_db
def test_the_status_panel_polls_while_pending_and_stops_when_done(make_workspace, owner_client):
    workspace = make_workspace("polling")
    url = reverse("workspaces:status", args=["polling"])
    pending = owner_client.get(url, headers={"HX-Request": "true"}).content.decode()
    assert 'hx-trigger="every 1s"' in pending and "<html" not in pending

    Workspace.objects.filter(pk=workspace.pk).update(status=WorkspaceStatus.AVAILABLE)
    done = owner_client.get(url, headers={"HX-Request": "true"}).content.decode()
    assert "every 1s" not in done and "Available" in done


@pytest.mark.django_db
def test_only_lifecycle_managers_may_retry(make_workspace, client, add_member, settings):
    workspace = make_workspace("no-retry")
    Workspace.objects.filter(pk=workspace.pk).update(status=WorkspaceStatus.FAILED)
    viewer = add_member("viewer")
    WorkspaceRoleAssignment.objects.create(workspace=workspace, user=viewer, role="viewer")
    sync_workspace_permissions(workspace)
    client.force_login(viewer)
    assert client.get(reverse("workspaces:overview", args=["no-retry"])).status_code == 200
    assert client.post(reverse("workspaces:retry", args=["no-retry"])).status_code == 403
    assert Workspace.objects.get(pk=workspace.pk).status == WorkspaceStatus.FAILED


@pytest.mark.django_db
def test_a_round_of_provisioning_runs_once(make_workspace):
    from workspaces.services import workspace_provision

    workspace = make_workspace("run-once")
    workspace_provision(workspace_pk=workspace.pk)
    Workspace.objects.filter(pk=workspace.pk).update(
        status=WorkspaceStatus.PENDING
    )  # as a late duplicate sees it
    workspace_provision(workspace_pk=workspace.pk)
    assert AuditEvent.objects.filter(action="workspace.available", target_id=str(workspace.pk)).count() == 1


@pytest.mark.django_db(transaction=True)
def test_deactivate_and_reactivate_from_the_pages(make_workspace, owner_client):
    workspace = make_workspace("on-off")
    run_worker()
    settings_page = owner_client.get(reverse("workspaces:settings", args=["on-off"])).content.decode()
    assert "Deactivate workspace" in settings_page

    owner_client.post(reverse("workspaces:deactivate", args=["on-off"]))
    workspace.refresh_from_db()
    assert workspace.status == WorkspaceStatus.DEACTIVATED
    overview = owner_client.get(reverse("workspaces:overview", args=["on-off"])).content.decode()
    assert ">Reactivate</button>" in overview

    owner_client.post(reverse("workspaces:reactivate", args=["on-off"]))
    run_worker()
    workspace.refresh_from_db()
    assert workspace.status == WorkspaceStatus.AVAILABLE
    actions = set(AuditEvent.objects.filter(target_id=str(workspace.pk)).values_list("action", flat=True))
    assert {"workspace.deactivate", "workspace.reactivate"} <= actions
