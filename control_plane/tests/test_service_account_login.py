"""`zenml login <workspace> --api-key ZENPROKEY_…`: the CLI trades a service account's key for a
control-plane token (`auth/login` with `password=<key>`), which a workspace server then exchanges
(`users/authorize_server`); the server's role checks follow the service account's workspace role."""

import pytest

from control_plane.selectors import external_identity_for
from service_accounts.services import (
    service_account_create,
    service_account_deactivate,
    service_account_key_create,
    service_account_key_revoke,
)
from workspaces.services import workspace_role_assign

from .conftest import API

pytestmark = pytest.mark.django_db

PROJECT = "5b1d3a0e-8f5c-4c1e-9d7a-2f6e8b4c0a11"
PIPELINE = f"{PROJECT}:pipeline/0c9f6a3e-2b7d-4e1f-8a5c-9d3b7e1f2a40"


@pytest.fixture
def robot(organization, owner, workspace):
    """A service account with Developer on the workspace, and its key."""
    account = service_account_create(
        organization=organization, name="nightly-trainer", role="member", acting_user=owner
    )
    workspace_role_assign(workspace=workspace, user=account.user, role="developer", acting_user=owner)
    key, secret = service_account_key_create(service_account=account, name="Airflow", acting_user=owner)
    return account, key, secret


def _key_login(zenml, secret):
    """What the CLI sends for `--api-key`: the key as the password and as the Bearer."""
    return zenml.http.post(
        f"{API}/auth/login", {"password": secret}, headers={"Authorization": f"Bearer {secret}"}
    )


def test_a_key_logs_the_cli_in_as_the_service_account(zenml, robot, workspace):
    account, key, secret = robot
    response = _key_login(zenml, secret)
    assert response.status_code == 200
    body = response.json()
    assert body["token_type"] == "bearer" and 0 < body["expires_in"] <= 3600
    token = body["access_token"]

    found = zenml.workspaces(token, workspace_name=workspace.slug).json()
    assert [w["id"] for w in found] == [str(workspace.pk)]
    who = zenml.authorize_server(token, workspace)
    assert who.status_code == 200
    assert who.json() == {
        "id": str(external_identity_for(account.user).external_id),
        "username": "nightly-trainer",
        "name": "nightly-trainer",
        "is_superuser": False,
        "is_service_account": True,
    }
    key.refresh_from_db()
    assert key.last_used_at is not None


def test_role_checks_follow_the_service_accounts_workspace_role(zenml, robot, workspace):
    account, _, secret = robot
    user_id = external_identity_for(account.user).external_id
    server = zenml.server_token(workspace)
    assert zenml.check_permissions(server, user_id, "create", [PIPELINE]).json() == {PIPELINE: True}
    assert zenml.check_permissions(server, user_id, "delete", [PIPELINE]).json() == {PIPELINE: False}


def test_a_server_may_pass_the_key_itself_to_authorize_server(zenml, robot, workspace):
    _, _, secret = robot
    response = zenml.authorize_server(secret, workspace)
    assert response.status_code == 200 and response.json()["is_service_account"] is True


def test_revoking_the_key_ends_its_tokens_at_the_next_call(zenml, robot, workspace, owner):
    _, key, secret = robot
    token = _key_login(zenml, secret).json()["access_token"]
    service_account_key_revoke(key=key, acting_user=owner)
    assert zenml.authorize_server(token, workspace).status_code == 401
    assert zenml.authorize_server(secret, workspace).status_code == 401
    response = _key_login(zenml, secret)
    assert response.status_code == 401 and response.json()["error"] == "invalid_grant"


def test_a_deactivated_service_account_is_refused(zenml, robot, workspace, owner):
    account, _, secret = robot
    token = _key_login(zenml, secret).json()["access_token"]
    service_account_deactivate(service_account=account, acting_user=owner)
    assert zenml.authorize_server(token, workspace).status_code in {401, 403}
    assert _key_login(zenml, secret).status_code == 401


def test_a_service_account_without_a_role_there_may_not_open_the_workspace(
    zenml, organization, owner, make_workspace
):
    other = make_workspace("other-team")
    account = service_account_create(
        organization=organization, name="lonely", role="member", acting_user=owner
    )
    _, secret = service_account_key_create(service_account=account, name="k", acting_user=owner)
    token = _key_login(zenml, secret).json()["access_token"]
    assert zenml.authorize_server(token, other).status_code == 403
