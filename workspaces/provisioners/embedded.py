"""The embedded provisioner: no server process; Atrium itself holds the workspace's state."""

import secrets
import time

from django.conf import settings
from django.urls import reverse

from ..models import WorkspaceServerSecret
from .base import Health, Provisioner, ServerInfo

EMBEDDED_VERSION = "embedded-1"


def embedded_server(workspace) -> ServerInfo:
    """Where a workspace's embedded server answers: its API, under the workspace's own pages.

    A path on this site, not an absolute URL: no request tells a background worker the address the
    site is served at, so Workspace.server_address resolves it when it is shown."""
    url = reverse("workspaces:overview", args=[workspace.slug]) + "api/v1"
    return ServerInfo(url=url, version=EMBEDDED_VERSION)


def new_jwt_secret() -> str:
    """A fresh secret for signing a workspace server's tokens."""
    return secrets.token_urlsafe(48)


class EmbeddedProvisioner(Provisioner):
    def _pause(self):
        # Lets a person watch the phases in a demo; tests set it to zero.
        time.sleep(getattr(settings, "ATRIUM_EMBEDDED_PHASE_SECONDS", 0))

    def start(self, workspace, *, report):
        report("Creating the workspace's credentials")
        self._pause()
        WorkspaceServerSecret.objects.get_or_create(
            workspace=workspace, defaults={"jwt_secret": new_jwt_secret()}
        )
        report("Preparing the workspace API")
        self._pause()
        server = embedded_server(workspace)
        report("Starting the workspace")
        self._pause()
        return server

    def health(self, workspace):
        if not WorkspaceServerSecret.objects.filter(workspace=workspace).exists():
            return Health(False, "The workspace has no credentials yet.")
        return Health(True)

    def stop(self, workspace):
        # Nothing runs, so there is nothing to stop; the state stays for a later restart.
        return None
