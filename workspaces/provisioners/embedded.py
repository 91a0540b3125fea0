"""The embedded provisioner: no server process; Atrium itself holds the workspace's state."""

import secrets
import time

from django.conf import settings
from django.urls import reverse

from ..models import WorkspaceServerSecret
from .base import Health, Provisioner, ServerInfo

EMBEDDED_VERSION = "embedded-1"


class EmbeddedProvisioner(Provisioner):
    def _pause(self):
        # Lets a person watch the phases in a demo; tests set it to zero.
        time.sleep(getattr(settings, "ATRIUM_EMBEDDED_PHASE_SECONDS", 0))

    def start(self, workspace, *, report):
        report("Creating the workspace's credentials")
        self._pause()
        WorkspaceServerSecret.objects.get_or_create(
            workspace=workspace, defaults={"jwt_secret": secrets.token_urlsafe(48)}
        )
        report("Preparing the workspace API")
        self._pause()
        # A path on this site, not an absolute URL: no request tells a background worker the address
        # the site is served at, so Workspace.server_address resolves it when it is shown.
        url = reverse("workspaces:overview", args=[workspace.slug]) + "api/v1"
        report("Starting the workspace")
        self._pause()
        return ServerInfo(url=url, version=EMBEDDED_VERSION)

    def health(self, workspace):
        if not WorkspaceServerSecret.objects.filter(workspace=workspace).exists():
            return Health(False, "The workspace has no credentials yet.")
        return Health(True)

    def stop(self, workspace):
        # Nothing runs, so there is nothing to stop; the state stays for a later restart.
        return None
