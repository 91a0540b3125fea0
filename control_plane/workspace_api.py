"""Calling a workspace's ZenML server over its REST API, as a person or as Atrium itself.

Atrium's pages inside a workspace (pipelines, runs, stacks) read from the server with the viewer's
own workspace token: Atrium issues the viewer a short-lived control-plane token, the server exchanges
it (`POST /api/v1/login`, `grant_type=zenml-external`, which asks `users/authorize_server`) for a
workspace JWT, and every read then goes through the server's role checks, which ask Atrium's
`rbac/*` endpoints. So a page shows a person exactly what their `zenml` command line would.

Servers listen on this machine: calls go to 127.0.0.1 at the server's port, never through a proxy.
Workspace JWTs are cached (per server process) for less than their 60-minute lifetime; the page
itself checks first that the person may open the workspace, so a removed member sees nothing.
"""

import json
import urllib.error
import urllib.parse
import urllib.request

from django.core.cache import cache

from workspaces.models import Workspace, WorkspaceServer
from workspaces.provisioners import get_provisioner
from workspaces.services.servers import workspace_server_used

from .services import person_server_token_issue, service_token_issue

TIMEOUT_SECONDS = 15
JWT_CACHE_SECONDS = 30 * 60  # a workspace JWT lives 60 minutes
_direct = urllib.request.build_opener(urllib.request.ProxyHandler({}))  # servers are local: no proxy


class ServerNotUp(Exception):
    """The workspace's server is not running now (starting, idle, or this site runs no servers)."""


class ServerRefused(Exception):
    """The server answered with an error: `status` is its HTTP status, `message` its own words."""

    def __init__(self, status: int, message: str):
        super().__init__(message)
        self.status, self.message = status, message


def call(
    method: str,
    url: str,
    *,
    token: str,
    data: bytes | None = None,
    content_type: str = "",
    timeout: float = TIMEOUT_SECONDS,
) -> dict:
    headers = {"Authorization": f"Bearer {token}", "User-Agent": "Atrium", "Accept": "application/json"}
    if content_type:
        headers["Content-Type"] = content_type
    request = urllib.request.Request(url, data=data, method=method, headers=headers)
    with _direct.open(request, timeout=timeout) as response:
        return json.load(response)


def workspace_jwt(base: str, pro_token: str, *, timeout: float = TIMEOUT_SECONDS) -> str:
    """Exchange a control-plane token for a workspace JWT at the server at `base`."""
    login = call(
        "POST",
        f"{base}/api/v1/login",
        token=pro_token,
        data=urllib.parse.urlencode({"grant_type": "zenml-external"}).encode(),
        content_type="application/x-www-form-urlencoded",
        timeout=timeout,
    )
    return login["access_token"]


def local_base(server: WorkspaceServer) -> str:
    return f"http://127.0.0.1:{server.port}"


def serves_zenml_api() -> bool:
    """Does this site run a ZenML server per workspace (the `zenml` provisioner), not the embedded one?"""
    return get_provisioner().supervised


def running_server(workspace: Workspace) -> WorkspaceServer:
    """The workspace's running server, or ServerNotUp. Asking counts as use: an idle server is queued
    to start again (the page then shows "starting…" and fills in when it is up)."""
    workspace_server_used(workspace)
    server = WorkspaceServer.objects.filter(workspace=workspace).first()
    if server is None or not server.is_up or server.port is None or not serves_zenml_api():
        raise ServerNotUp()
    return server


class WorkspaceReader:
    """Reads from one workspace's server as one person (see the module's docstring)."""

    def __init__(self, workspace: Workspace, user):
        self.workspace, self.user = workspace, user
        self.server = running_server(workspace)
        self.base = local_base(self.server)

    @property
    def _cache_key(self) -> str:
        return f"atrium:workspace-jwt:{self.workspace.pk}:{self.user.pk}"

    def _token(self, *, fresh: bool = False) -> str:
        token = None if fresh else cache.get(self._cache_key)
        if token is None:
            pro_token = person_server_token_issue(user=self.user, workspace=self.workspace)
            token = self._send(lambda: workspace_jwt(self.base, pro_token))
            cache.set(self._cache_key, token, JWT_CACHE_SECONDS)
        return token

    def _send(self, request):
        try:
            return request()
        except urllib.error.HTTPError as error:
            raise ServerRefused(error.code, _error_message(error)) from error
        except (urllib.error.URLError, TimeoutError, ConnectionError) as error:
            raise ServerNotUp() from error  # it went away between its last health check and now

    def get(self, path: str, **params) -> dict:
        """GET `path` (e.g. "/api/v1/runs") with `params`; ServerRefused or ServerNotUp on failure."""
        query = urllib.parse.urlencode({k: v for k, v in params.items() if v not in (None, "")})
        url = f"{self.base}{path}" + (f"?{query}" if query else "")
        try:
            return self._send(lambda: call("GET", url, token=self._token()))
        except ServerRefused as refusal:
            if refusal.status != 401:
                raise
            # The cached JWT no longer holds (a new JWT secret, the user logged out on the server).
            return self._send(lambda: call("GET", url, token=self._token(fresh=True)))


def service_jwt(workspace: Workspace, base: str, *, timeout: float = TIMEOUT_SECONDS) -> str:
    """Atrium's own workspace JWT for the server at `base` (cached, like a person's)."""
    token = cache.get(_service_key(workspace))
    if token is None:
        token = workspace_jwt(base, service_token_issue(workspace=workspace), timeout=timeout)
        cache.set(_service_key(workspace), token, JWT_CACHE_SECONDS)
    return token


def service_jwt_forget(workspace: Workspace) -> None:
    cache.delete(_service_key(workspace))


def _service_key(workspace: Workspace) -> str:
    return f"atrium:workspace-jwt:{workspace.pk}:atrium"


def _error_message(error: urllib.error.HTTPError) -> str:
    """The server's own words: ZenML answers errors as {"detail": [type, message]} or {"detail": str}."""
    try:
        detail = json.load(error).get("detail")
    except (ValueError, AttributeError, OSError):
        detail = None
    if isinstance(detail, list) and detail:
        detail = detail[-1]
    return str(detail) if detail else f"the server answered {error.code}"
