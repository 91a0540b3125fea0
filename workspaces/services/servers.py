"""A workspace's server record: created with its secrets' salt, updated by what the server reports.

The supervisor (`run_workspace_servers`) and the control plane (the server's own calls) keep it
current; nothing here checks a person's permission, since no person calls these.
"""

from datetime import timedelta

from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from ..models import DesiredState, ServerState, Workspace, WorkspaceServer, WorkspaceStatus
from ..server_secrets import new_secret_salt

# Use is recorded at most this often per workspace: the server calls the control plane some 20 times
# per pipeline run, and idleness is measured in minutes.
USE_RESOLUTION = timedelta(seconds=30)


def workspace_server_ensure(workspace: Workspace) -> WorkspaceServer:
    """The workspace's server record, created (with a fresh secret salt) the first time."""
    server, _ = WorkspaceServer.objects.get_or_create(
        workspace=workspace, defaults={"secret_salt": new_secret_salt()}
    )
    return server


def workspace_server_request_start(workspace: Workspace) -> WorkspaceServer:
    """Ask the supervisor for the workspace's server (provisioning, retry, reactivation).

    A fresh start: the count of crashes in a row and the last error are cleared. A server that is
    already starting or running is left alone."""
    server = workspace_server_ensure(workspace)
    now = timezone.now()
    WorkspaceServer.objects.filter(pk=server.pk).exclude(
        state__in=[ServerState.STARTING, ServerState.RUNNING]
    ).update(state=ServerState.QUEUED, queued_at=now, crashes=0, restart_at=None, last_error="")
    server.refresh_from_db()
    return server


@transaction.atomic
def workspace_server_reported_in(*, workspace: Workspace, version: str, server_url: str) -> WorkspaceServer:
    """Record a server's status report (ZenML's `PATCH /workspace_status`): it is up, at this version."""
    server = workspace_server_ensure(workspace)
    now = timezone.now()
    WorkspaceServer.objects.filter(pk=server.pk).update(reported_at=now, version=version[:40])
    server.reported_at, server.version = now, version[:40]
    return server


def workspace_server_used(workspace: Workspace) -> None:
    """Note that someone used the workspace's server now (an idle server is stopped after a while).

    Call it whenever the server is wanted: the CLI looking the workspace up, the server's own calls to
    the control plane, a page that reads from it. A server stopped for idleness is queued to start
    again (answer `pending` until `WorkspaceServer.is_up`; the CLI waits and retries by itself).
    Cheap when called often: at most one write per USE_RESOLUTION."""
    now = timezone.now()
    rows = WorkspaceServer.objects.filter(workspace=workspace)
    if not rows.filter(Q(last_used_at__isnull=True) | Q(last_used_at__lt=now - USE_RESOLUTION)).update(
        last_used_at=now
    ):
        return
    rows.filter(
        state__in=[ServerState.IDLE, ServerState.STOPPED],
        workspace__status=WorkspaceStatus.AVAILABLE,
        workspace__desired_state=DesiredState.AVAILABLE,
    ).update(state=ServerState.QUEUED, queued_at=now)
