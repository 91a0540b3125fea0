"""A real ZenML 0.98 server, started by the supervisor through the `zenml` provisioner, against the
stand-in control plane (enrollment and status report). Skipped when ZenML's virtualenv is missing
(`make zenml` installs it); takes about ten seconds."""

import json
import time
import urllib.request
from pathlib import Path

import pytest
from django.conf import settings as django_settings

from workspaces.models import ServerState, Workspace, WorkspaceServer, WorkspaceStatus
from workspaces.provisioners.zenml import store_template
from workspaces.services import workspace_provision

ZENML_PYTHON = Path(django_settings.ATRIUM_ZENML_VENV) / "bin" / "python"

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(
        not django_settings.ZENML_INSTALLED, reason=f"ZenML is not installed ({ZENML_PYTHON}): make zenml"
    ),
]


def test_a_real_zenml_server_starts_reports_in_and_answers(
    make_workspace, supervisor, control_plane, tick_until, server_settings
):
    server_settings.ATRIUM_WORKSPACE_SERVER_COMMAND = None  # uvicorn from the ZenML virtualenv
    server_settings.ATRIUM_SERVER_HEALTH_SECONDS = 10
    workspace = make_workspace("real-zenml")
    workspace_provision(workspace_pk=workspace.pk)

    started = time.monotonic()
    tick_until(
        supervisor,
        lambda: Workspace.objects.get(pk=workspace.pk).status == WorkspaceStatus.AVAILABLE,
        timeout=90,
        what="a real ZenML server's start",
    )
    print(
        f"real ZenML server: available {time.monotonic() - started:.1f} s after the supervisor's first round"
    )

    server = WorkspaceServer.objects.get(workspace=workspace)
    assert server.state == ServerState.RUNNING and server.version == "0.98.0"
    base = f"http://127.0.0.1:{server.port}"
    direct = urllib.request.build_opener(urllib.request.ProxyHandler({}))
    with direct.open(f"{base}/health", timeout=5) as response:
        assert response.status == 200
    with direct.open(f"{base}/api/v1/info", timeout=5) as response:
        info = json.load(response)
    assert info["deployment_type"] == "cloud" and info["id"] == str(workspace.pk)
    assert info["pro_api_url"] == f"{control_plane.base_url}/zenml-api"
    environment = Path(f"/proc/{server.pid}/environ").read_bytes()
    assert b"DJANGO_SECRET_KEY" not in environment and b"DATABASE_URL" not in environment
    directory = Path(server_settings.ATRIUM_WORKSPACE_SERVERS_DIR) / str(workspace.pk)
    assert (directory / "zenml.db").exists()
    if store_template().exists():  # make zenml built it: the server did not create its tables itself
        assert "Creating database tables" not in (directory / "server.log").read_text()
    assert control_plane.calls[:2] == [("POST", "/auth/login"), ("PATCH", "/workspace_status")]

    supervisor.stop_everything()
    assert WorkspaceServer.objects.get(pk=server.pk).state == ServerState.IDLE
