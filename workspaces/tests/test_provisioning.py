"""Provisioning as its people and operators see it: the status and its reason on the overview page, and
the audit event each outcome leaves."""

import pytest
from django.core.management import call_command
from django.urls import reverse

from organizations.models import AuditEvent
from workspaces.models import (
    DesiredState,
    Workspace,
    WorkspaceRoleAssignment,
    WorkspaceServerSecret,
    WorkspaceStatus,
)
from workspaces.permission_sync import sync_workspace_permissions
from workspaces.services import workspace_deactivate, workspace_provision
from workspaces.tests.provisioners import DeactivatedMidwayProvisioner

FAILING = "workspaces.tests.provisioners.FailingProvisioner"
FAILING_REASON = "the server did not answer its health check within 30 s"
DEACTIVATED_MIDWAY = "workspaces.tests.provisioners.DeactivatedMidwayProvisioner"


def run_worker():
    call_command("db_worker", batch=True, no_startup_delay=True, reload=False, verbosity=0)


def actions(workspace) -> list[str]:
    """The workspace's audit trail, oldest first."""
    events = AuditEvent.objects.filter(target_id=str(workspace.pk)).order_by("created_at", "id")
    return list(events.values_list("action", flat=True))


def overview(client, workspace) -> str:
    return client.get(reverse("workspaces:overview", args=[workspace.slug])).content.decode()


@pytest.mark.django_db(transaction=True)
def test_the_worker_provisions_a_new_workspace(make_workspace, owner_client):
    workspace = make_workspace("worker-path")
    assert Workspace.objects.get(pk=workspace.pk).status == WorkspaceStatus.PENDING

    run_worker()

    workspace.refresh_from_db()
    assert workspace.status == WorkspaceStatus.AVAILABLE
    assert workspace.status_reason == "The workspace is ready"
    assert workspace.server_url == "/w/worker-path/api/v1"  # the worker knows no address; see below
    assert workspace.server_version
    assert WorkspaceServerSecret.objects.filter(workspace=workspace).exists()
    page = overview(owner_client, workspace)
    assert "The workspace is ready" in page and "every 1s" not in page
    assert actions(workspace) == ["workspace.create", "workspace.available"]
    available = AuditEvent.objects.get(action="workspace.available", target_id=str(workspace.pk))
    assert available.actor is None  # the worker acts for nobody
    assert available.after == {
        "status": "available",
        "server_url": workspace.server_url,
        "version": workspace.server_version,
    }


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
def test_a_failure_shows_its_reason_and_retry_recovers(make_workspace, owner, owner_client, settings):
    settings.ATRIUM_PROVISIONER = FAILING
    workspace = make_workspace("will-fail")
    run_worker()

    workspace.refresh_from_db()
    assert workspace.status == WorkspaceStatus.FAILED
    assert workspace.status_reason == f"Provisioning failed: {FAILING_REASON}"
    page = overview(owner_client, workspace)
    assert f'role="alert"><p>Provisioning failed: {FAILING_REASON}</p>' in page
    assert ">Retry</button>" in page and "every 1s" not in page
    assert actions(workspace) == ["workspace.create", "workspace.provisioning_failed"]
    failed = AuditEvent.objects.get(action="workspace.provisioning_failed", target_id=str(workspace.pk))
    assert failed.actor is None and failed.after == {"status": "failed", "reason": FAILING_REASON}

    settings.ATRIUM_PROVISIONER = "workspaces.provisioners.embedded.EmbeddedProvisioner"
    response = owner_client.post(reverse("workspaces:retry", args=["will-fail"]))
    assert response.status_code == 302
    workspace.refresh_from_db()
    assert workspace.status == WorkspaceStatus.PENDING
    assert workspace.status_reason == "Waiting for a worker to retry provisioning"
    assert "Waiting for a worker to retry provisioning…" in overview(owner_client, workspace)
    retry = AuditEvent.objects.get(action="workspace.provisioning_retry", target_id=str(workspace.pk))
    assert retry.actor == owner
    assert retry.before == {"status": "failed", "reason": f"Provisioning failed: {FAILING_REASON}"}
    assert retry.after == {"status": "pending"}

    run_worker()
    workspace.refresh_from_db()
    assert workspace.status == WorkspaceStatus.AVAILABLE
    assert "The workspace is ready" in overview(owner_client, workspace)
    assert actions(workspace) == [
        "workspace.create",
        "workspace.provisioning_failed",
        "workspace.provisioning_retry",
        "workspace.available",
    ]


@pytest.mark.django_db
def test_the_status_panel_polls_while_pending_and_stops_when_done(make_workspace, owner_client):
    workspace = make_workspace("polling")
    url = reverse("workspaces:status", args=["polling"])
    pending = owner_client.get(url, headers={"HX-Request": "true"}).content.decode()
    assert 'hx-trigger="every 1s"' in pending and "<html" not in pending
    assert "Waiting for a worker to start provisioning…" in pending

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
    assert "workspace.provisioning_retry" not in actions(workspace)


@pytest.mark.django_db
def test_a_round_of_provisioning_runs_once(make_workspace):
    workspace = make_workspace("run-once")
    workspace_provision(workspace_pk=workspace.pk)
    Workspace.objects.filter(pk=workspace.pk).update(
        status=WorkspaceStatus.PENDING
    )  # as a late duplicate sees it
    workspace_provision(workspace_pk=workspace.pk)
    assert AuditEvent.objects.filter(action="workspace.available", target_id=str(workspace.pk)).count() == 1


def assert_deactivated_by_owner(workspace, client) -> None:
    """The outcome of a deactivation that provisioning must not undo, as the owner sees it."""
    workspace.refresh_from_db()
    assert workspace.status == WorkspaceStatus.DEACTIVATED
    assert workspace.desired_state == DesiredState.DEACTIVATED
    assert workspace.status_reason == "Deactivated by owner@example.com"
    assert not workspace.server_url
    page = overview(client, workspace)
    assert "Deactivated by owner@example.com" in page and ">Reactivate</button>" in page
    assert "every 1s" not in page  # the page stops waiting for provisioning
    assert actions(workspace) == ["workspace.create", "workspace.deactivate"]
    event = AuditEvent.objects.get(action="workspace.deactivate", target_id=str(workspace.pk))
    assert event.before == {"status": "pending", "desired_state": "available"}
    assert event.after == {"status": "deactivated", "desired_state": "deactivated"}


@pytest.mark.django_db
def test_a_round_queued_before_a_deactivation_leaves_the_workspace_deactivated(
    make_workspace, owner, owner_client
):
    workspace = make_workspace("switched-off")  # pending, its round queued for a worker
    workspace_deactivate(workspace=workspace, acting_user=owner)

    workspace_provision(workspace_pk=workspace.pk)  # the worker gets to the queued round

    assert_deactivated_by_owner(workspace, owner_client)


@pytest.mark.django_db
def test_a_deactivation_while_provisioning_runs_stops_it(make_workspace, owner_client, settings, monkeypatch):
    monkeypatch.setattr(DeactivatedMidwayProvisioner, "stopped", [])
    settings.ATRIUM_PROVISIONER = DEACTIVATED_MIDWAY
    workspace = make_workspace("switched-off-midway")

    workspace_provision(workspace_pk=workspace.pk)

    assert DeactivatedMidwayProvisioner.stopped == ["switched-off-midway"]
    assert_deactivated_by_owner(workspace, owner_client)


@pytest.mark.django_db(transaction=True)
def test_deactivate_and_reactivate_from_the_pages(make_workspace, owner, owner_client):
    workspace = make_workspace("on-off")
    run_worker()
    settings_page = owner_client.get(reverse("workspaces:settings", args=["on-off"])).content.decode()
    assert "Deactivate workspace" in settings_page

    owner_client.post(reverse("workspaces:deactivate", args=["on-off"]))
    workspace.refresh_from_db()
    assert workspace.status == WorkspaceStatus.DEACTIVATED
    assert workspace.status_reason == "Deactivated by owner@example.com"
    page = overview(owner_client, workspace)
    assert "Deactivated by owner@example.com" in page and ">Reactivate</button>" in page
    deactivated = AuditEvent.objects.get(action="workspace.deactivate", target_id=str(workspace.pk))
    assert deactivated.actor == owner
    assert deactivated.before == {"status": "available", "desired_state": "available"}

    owner_client.post(reverse("workspaces:reactivate", args=["on-off"]))
    workspace.refresh_from_db()
    assert workspace.status == WorkspaceStatus.PENDING
    assert workspace.status_reason == "Waiting for a worker to start the workspace"
    assert "Waiting for a worker to start the workspace…" in overview(owner_client, workspace)

    run_worker()
    workspace.refresh_from_db()
    assert workspace.status == WorkspaceStatus.AVAILABLE
    assert "The workspace is ready" in overview(owner_client, workspace)
    assert actions(workspace) == [
        "workspace.create",
        "workspace.available",
        "workspace.deactivate",
        "workspace.reactivate",
        "workspace.available",
    ]
