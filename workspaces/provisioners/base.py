from abc import ABC, abstractmethod
from collections.abc import Callable
from dataclasses import dataclass


class ProvisioningError(Exception):
    """Provisioning failed for a reason worth showing to the workspace's admins."""


@dataclass(frozen=True)
class ServerInfo:
    url: str  # absolute, or a path on this Atrium site ("/w/<id>/api/v1"), see Workspace.server_address
    version: str


@dataclass(frozen=True)
class Health:
    ok: bool
    reason: str = ""


class Provisioner(ABC):
    """The contract between Atrium and whatever runs a workspace's server.

    `start` is called from a background task, never from a request; it reports its phases through
    `report(phase_words)` so the overview can show progress, and returns once the server answers.
    A `supervised` provisioner's servers are run by `manage.py run_workspace_servers` instead: its
    `start` only asks for the server and returns None; the supervisor makes the workspace available
    once the server is up (`workspaces.services.lifecycle.workspace_server_up`).
    """

    supervised: bool = False

    @abstractmethod
    def start(self, workspace, *, report: Callable[[str], None]) -> ServerInfo | None: ...

    @abstractmethod
    def health(self, workspace) -> Health: ...

    @abstractmethod
    def stop(self, workspace) -> None: ...

    def discard(self, workspace) -> None:
        """Remove whatever the workspace's server kept (its store, its files) for good: called once its
        deleted workspace is purged, after the row is gone. Nothing to remove by default."""
        return None
