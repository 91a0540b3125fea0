"""A workspace's server record: created with its secrets' salt, updated by what the server reports.

The supervisor (`run_workspace_servers`) and the control plane (the server's own calls) keep it
current; nothing here checks a person's permission, since no person calls these.
"""

from django.db import transaction
from django.utils import timezone

from ..models import Workspace, WorkspaceServer
from ..server_secrets import new_secret_salt


def workspace_server_ensure(workspace: Workspace) -> WorkspaceServer:
    """The workspace's server record, created (with a fresh secret salt) the first time."""
    server, _ = WorkspaceServer.objects.get_or_create(
        workspace=workspace, defaults={"secret_salt": new_secret_salt()}
    )
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
    """Note that someone used the workspace's server now (an idle server is stopped after a while)."""
    WorkspaceServer.objects.filter(workspace=workspace).update(last_used_at=timezone.now())
