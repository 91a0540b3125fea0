"""The `zenml` provisioner: one real ZenML 0.98 server process per workspace, in ZenML's cloud mode with
this site as its "Pro API" (see /work/shared/notes/zenml-server.md §2 and §6, docs/workspace-servers.md).

Each server runs `python -m uvicorn zenml.zen_server.zen_server_api:app` from ZenML's own virtualenv
(ATRIUM_ZENML_VENV, installed by `make zenml`) in its own directory
(ATRIUM_WORKSPACE_SERVERS_DIR/<workspace UUID>: SQLite store, ZenML config, log), on a free port of
ATRIUM_SERVER_PORTS, with a clean environment: PATH, HOME and the ZENML_* variables it needs, never the
site's own (no DJANGO_SECRET_KEY, no DATABASE_URL). Its secrets are derived from the site's key
(`workspaces.server_secrets`) at each start and never written down.

The provisioner is `supervised`: `start` only asks for the server; `manage.py run_workspace_servers`
(workspaces/supervisor.py) launches it with `launch`, watches it and makes the workspace available once
the server has reported in (`PATCH /workspace_status` to the control plane) and answers `/health`.
"""

import contextlib
import logging
import os
import shutil
import signal
import sqlite3
import subprocess
import uuid
from pathlib import Path

from django.conf import settings

from config.site import site_url

from ..models import ZENML_CONTROL_PLANE_PATH, WorkspaceServer
from ..server_processes import answers_health, is_server_process, launch
from ..server_secrets import ENROLLMENT, JWT_KEY, SECRETS_STORE_KEY, server_secret
from .base import Health, Provisioner

logger = logging.getLogger(__name__)

UVICORN_ARGS = [
    "-m",
    "uvicorn",
    "zenml.zen_server.zen_server_api:app",
    "--host",
    "127.0.0.1",
    "--port",
    "{port}",
    "--no-server-header",
    "--proxy-headers",
]


def servers_dir() -> Path:
    return Path(settings.ATRIUM_WORKSPACE_SERVERS_DIR)


# Lifetime of the tokens a workspace server issues to people (see `environment`).
SERVER_JWT_MINUTES = 10


class ZenMLProvisioner(Provisioner):
    supervised = True

    # --- The Provisioner interface -------------------------------------------------------------------

    def start(self, workspace, *, report):
        """Ask for the workspace's server; the supervisor starts it (returns None: not up yet)."""
        from ..services.servers import workspace_server_request_start

        report("Waiting for the workspace server to start")
        workspace_server_request_start(workspace)
        return None

    def health(self, workspace) -> Health:
        server = WorkspaceServer.objects.filter(workspace=workspace).first()
        if server is None or not server.port:
            return Health(False, "The workspace has no server.")
        ok, why = answers_health(self.health_url(server))
        return Health(ok, why)

    def stop(self, workspace) -> None:
        """Signal the workspace's server to stop (SIGTERM to its process group) and return at once.

        Callable from any process (a page's deactivate, the task worker); the supervisor sees the
        workspace no longer wants a server, waits for the process to go (killing it if it lingers) and
        records it stopped."""
        server = WorkspaceServer.objects.filter(workspace=workspace).first()
        if server and is_server_process(server.pid, self.directory(server)):
            with contextlib.suppress(ProcessLookupError, PermissionError):
                os.killpg(server.pid, signal.SIGTERM)

    def discard(self, workspace) -> None:
        """Remove the purged workspace's server directory (its SQLite store, config and log)."""
        root = servers_dir().resolve()
        directory = (root / str(workspace.pk)).resolve()
        if directory.parent == root and directory.is_dir():
            shutil.rmtree(directory, ignore_errors=True)

    # --- What the supervisor uses to run a server ----------------------------------------------------

    def directory(self, server: WorkspaceServer) -> Path:
        return servers_dir() / str(server.workspace_id)

    def command(self, port: int) -> list[str]:
        configured = settings.ATRIUM_WORKSPACE_SERVER_COMMAND
        if configured:
            return [part.replace("{port}", str(port)) for part in configured]
        python = Path(settings.ATRIUM_ZENML_VENV) / "bin" / "python"
        return [str(python), *(arg.replace("{port}", str(port)) for arg in UVICORN_ARGS)]

    def server_url(self, server: WorkspaceServer, port: int) -> str:
        """The address users and the `zenml` CLI reach this server at (ATRIUM_SERVER_URL_TEMPLATE)."""
        workspace = server.workspace
        return settings.ATRIUM_SERVER_URL_TEMPLATE.format(
            port=port, workspace_id=workspace.slug, uuid=workspace.id
        ).rstrip("/")

    def health_url(self, server: WorkspaceServer) -> str:
        return f"http://127.0.0.1:{server.port}/health"

    def environment(self, server: WorkspaceServer, *, port: int) -> dict[str, str]:
        """The server's whole environment: nothing of the site's leaks into it."""
        workspace, directory = server.workspace, self.directory(server)
        organization = workspace.organization
        control_plane = site_url(ZENML_CONTROL_PLANE_PATH)
        venv_bin = Path(settings.ATRIUM_ZENML_VENV) / "bin"
        return {
            "PATH": f"{venv_bin}:/usr/local/bin:/usr/bin:/bin",
            "HOME": str(directory),
            "PYTHONUNBUFFERED": "1",  # log lines reach server.log at once (crash reasons)
            "ZENML_CONFIG_PATH": str(directory / "config"),
            "ZENML_STORE_URL": f"sqlite:///{directory / 'zenml.db'}",
            "ZENML_SECRETS_STORE_ENCRYPTION_KEY": server_secret(server, SECRETS_STORE_KEY),
            "ZENML_ANALYTICS_OPT_IN": "false",
            "ZENML_SERVER_DEPLOYMENT_TYPE": "cloud",
            "ZENML_SERVER_JWT_SECRET_KEY": server_secret(server, JWT_KEY),
            # The server's own tokens are short, so a removed member or a deactivated user loses the
            # server within minutes: the CLI exchanges its Atrium token again by itself.
            "ZENML_SERVER_JWT_TOKEN_EXPIRE_MINUTES": str(SERVER_JWT_MINUTES),
            "ZENML_SERVER_SERVER_URL": self.server_url(server, port),
            "ZENML_SERVER_PRO_API_URL": control_plane,
            "ZENML_SERVER_PRO_DASHBOARD_URL": site_url(),
            "ZENML_SERVER_PRO_OAUTH2_CLIENT_SECRET": server_secret(server, ENROLLMENT),
            "ZENML_SERVER_PRO_OAUTH2_AUDIENCE": control_plane,
            "ZENML_SERVER_PRO_ORGANIZATION_ID": str(organization.id),
            "ZENML_SERVER_PRO_ORGANIZATION_NAME": organization.name,
            "ZENML_SERVER_PRO_WORKSPACE_ID": str(workspace.id),
            "ZENML_SERVER_PRO_WORKSPACE_NAME": workspace.slug,
        }

    def launch(self, server: WorkspaceServer, *, port: int) -> subprocess.Popen:
        """Start the server process on `port` (returns at once; the supervisor waits for it)."""
        command = self.command(port)
        if not Path(command[0]).exists():
            raise FileNotFoundError(f"{command[0]} is missing (run `make zenml` to install ZenML)")
        directory = self.directory(server)
        (directory / "config").mkdir(parents=True, exist_ok=True)
        store = directory / "zenml.db"
        if not store.exists() and store_template().exists():
            store_from_template(store, server_id=server.workspace_id)
        return launch(command, env=self.environment(server, port=port), directory=directory)


def store_template() -> Path:
    """The template of a new server's store that `make zenml` builds (zenml_store_template.py)."""
    return Path(settings.ATRIUM_ZENML_VENV) / "atrium-store-template.db"


def store_from_template(store: Path, *, server_id) -> None:
    """A new server's store, copied from the template, naming the server (ZenML's `server_settings`
    row has the workspace's UUID as its id in cloud mode, stored as 32 hex digits)."""
    building = store.with_suffix(".building")
    shutil.copyfile(store_template(), building)
    with contextlib.closing(sqlite3.connect(building)) as connection, connection:
        connection.execute("UPDATE server_settings SET id = ?", (uuid.UUID(str(server_id)).hex,))
    building.replace(store)
