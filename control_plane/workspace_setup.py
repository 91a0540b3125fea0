"""Setting a new workspace server up, as Atrium itself: its first project.

A ZenML server in cloud mode starts without a project, and `zenml login` then leaves the command line
with none active ("No project is currently set as active"). When the supervisor sees a server come up
it calls `workspace_first_project_create` (a hook named in `ATRIUM_SERVER_UP_HOOKS`, so `workspaces`
does not import this app): Atrium logs in to the server with a short-lived service token (the server
asks `users/authorize_server`, which answers with Atrium's service account) and creates the project
the overview's login command sets active. Creating it again is harmless.
"""

import json
import logging
import urllib.error
import urllib.parse
import urllib.request

from workspaces.models import FIRST_PROJECT

from .services import service_token_issue

logger = logging.getLogger(__name__)

TIMEOUT_SECONDS = 15
_direct = urllib.request.build_opener(urllib.request.ProxyHandler({}))  # servers are local: no proxy


def _call(method: str, url: str, *, token: str, data: bytes | None = None, content_type: str = "") -> dict:
    headers = {"Authorization": f"Bearer {token}", "User-Agent": "Atrium"}
    if content_type:
        headers["Content-Type"] = content_type
    request = urllib.request.Request(url, data=data, method=method, headers=headers)
    with _direct.open(request, timeout=TIMEOUT_SECONDS) as response:
        return json.load(response)


def workspace_first_project_create(workspace, server_url: str) -> bool:
    """Make sure the workspace's server has its first project; returns True when it was created now."""
    base = server_url.rstrip("/")
    login = _call(
        "POST",
        f"{base}/api/v1/login",
        token=service_token_issue(workspace=workspace),
        data=urllib.parse.urlencode({"grant_type": "zenml-external"}).encode(),
        content_type="application/x-www-form-urlencoded",
    )
    token = login["access_token"]
    query = urllib.parse.urlencode({"name": FIRST_PROJECT})
    if _call("GET", f"{base}/api/v1/projects?{query}", token=token).get("items"):
        return False
    body = {"name": FIRST_PROJECT, "display_name": "Default", "description": "Created by Atrium."}
    try:
        _call("POST", f"{base}/api/v1/projects", token=token, data=json.dumps(body).encode(),
              content_type="application/json")  # fmt: skip
    except urllib.error.HTTPError as error:
        if error.code == 409:  # created meanwhile
            return False
        raise
    logger.info("Created the first project %r on the server of %s", FIRST_PROJECT, workspace.slug)
    return True
