"""What the `zenml` CLI and a ZenML 0.98 workspace server send the control plane, as test helpers.

`ZenML` drives the test client exactly as `zenml/login/web_login.py`, `zenml/login/pro/client.py`,
`zenml/zen_server/cloud_utils.py` and `zenml/zen_server/rbac/zenml_cloud_rbac.py` do: form posts for
OAuth, Bearer tokens, the CLI's User-Agent, the server's `zenml-server-*` headers.
"""

import json
import uuid
from urllib.parse import parse_qs, urlsplit

import pytest
from django.test import Client

from workspaces.server_secrets import ENROLLMENT, server_secret
from workspaces.services import workspace_role_assign
from workspaces.services.servers import workspace_server_ensure

API = "/zenml-api"
CLI_USER_AGENT = "Host/laptop-7 ZenML/0.98.0 Python/3.12.1 OS/Linux"
DEVICE_GRANT = "urn:ietf:params:oauth:grant-type:device_code"
FORM = "application/x-www-form-urlencoded"


class ZenML:
    """The CLI's and a workspace server's calls, through Django's test client (no cookies)."""

    def __init__(self):
        self.http = Client(enforce_csrf_checks=True)
        self.client_id = str(uuid.uuid4())

    # --- the CLI ---
    def device_authorization(self, device_id=None):
        data = {"client_id": self.client_id} | ({"device_id": device_id} if device_id else {})
        return self.http.post(
            f"{API}/auth/device_authorization", data, headers={"User-Agent": CLI_USER_AGENT}
        )

    def poll(self, device_code):
        data = {"grant_type": DEVICE_GRANT, "client_id": self.client_id, "device_code": device_code}
        return self.http.post(f"{API}/auth/login", data)

    def workspaces(self, token, **params):
        return self.http.get(f"{API}/workspaces", params, headers=_bearer(token))

    def workspace(self, token, workspace_id):
        return self.http.get(f"{API}/workspaces/{workspace_id}", headers=_bearer(token))

    # --- a workspace server ---
    def server_login(self, workspace, secret=None):
        secret = (
            secret if secret is not None else server_secret(workspace_server_ensure(workspace), ENROLLMENT)
        )
        data = {
            "client_id": str(workspace.pk),
            "client_secret": secret,
            "audience": "zenml-workspace",
            "grant_type": "client_credentials",
        }
        return self.http.post(f"{API}/auth/login", data)

    def server_token(self, workspace):
        return self.server_login(workspace).json()["access_token"]

    def authorize_server(self, user_token, workspace):
        return self.http.get(
            f"{API}/users/authorize_server",
            {"server_id": str(workspace.pk)},
            headers=_bearer(user_token) | _server_headers(workspace),
        )

    def workspace_status(self, server_token, workspace, version="0.98.0"):
        return self.http.patch(
            f"{API}/workspace_status",
            headers=_bearer(server_token) | _server_headers(workspace, version),
        )

    def check_permissions(self, server_token, user_id, action, resources):
        return self.http.post(
            f"{API}/rbac/check_permissions?user_id={user_id}&action={action}",
            json.dumps(resources),
            content_type="application/json",
            headers=_bearer(server_token),
        )

    def allowed_resource_ids(self, server_token, user_id, resource, action):
        return self.http.get(
            f"{API}/rbac/allowed_resource_ids",
            {"user_id": user_id, "resource": resource, "action": action},
            headers=_bearer(server_token),
        )

    def usage_event(self, server_token, workspace, feature, total=1):
        body = {
            "organization_id": str(workspace.organization_id),
            "feature": feature,
            "total": total,
            "metadata": {"workspace_id": str(workspace.pk), "resource_id": str(uuid.uuid4())},
        }
        return self.http.post(
            f"{API}/usage-event",
            json.dumps(body),
            content_type="application/json",
            headers=_bearer(server_token),
        )


def _bearer(token):
    return {"Authorization": f"Bearer {token}"}


def _server_headers(workspace, version="0.98.0"):
    return {
        "zenml-server-id": str(workspace.pk),
        "zenml-server-version": version,
        "zenml-server-url": f"http://127.0.0.1:8231/{workspace.slug}",
    }


def verification_path(response_json, workspace_name=None):
    """The page the CLI opens: verification_uri_complete, plus `&workspace=` as the CLI adds it."""
    url = response_json["verification_uri_complete"]
    if workspace_name:
        url += f"&workspace={workspace_name}"
    parts = urlsplit(url)
    return f"{parts.path}?{parts.query}"


def query(path):
    return {key: values[0] for key, values in parse_qs(urlsplit(path).query).items()}


@pytest.fixture
def zenml():
    return ZenML()


@pytest.fixture
def workspace(make_workspace):
    return make_workspace("ml-team")


@pytest.fixture
def developer(add_member, workspace, owner):
    user = add_member("member", "dev@example.com")
    workspace_role_assign(workspace=workspace, user=user, role="developer", acting_user=owner)
    return user


@pytest.fixture
def logged_in_cli(zenml, client, developer, workspace):
    """A CLI whose device the developer approved for the workspace: (zenml, user token)."""
    codes = zenml.device_authorization().json()
    client.force_login(developer)
    path = verification_path(codes, workspace.slug)
    client.post(path, query(path) | {"decision": "approve"})
    return zenml, zenml.poll(codes["device_code"]).json()["access_token"]
