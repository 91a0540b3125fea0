"""The organization API's governance endpoints: access reviews, dimension value policies, service
accounts and their keys, and the audit of personal access tokens. Each calls the pages' services, so
the permission matrix is the pages' (governance/tests/test_authorization_matrix.py), another
organization's objects answer 404, and every write is audited as the token or service account that
made it."""

from datetime import timedelta

import pytest
from django.db import transaction
from django.utils import timezone

from governance.tests.test_authorization_matrix import expected_status, holds
from organizations.models import AuditEvent, DimensionValue
from service_accounts.models import ServiceAccount, ServiceAccountKey
from workspaces.models import AccessReview, WorkspaceRoleAssignment

from .conftest import ApiClient

pytestmark = pytest.mark.django_db


# --- The permission matrix ------------------------------------------------------------------------------

# (method, path, body, the permission it needs in the page matrix's vocabulary).
OPERATIONS = [
    ("GET", "organizations/{org}/access-reviews", None, "member"),
    ("GET", "workspaces/{ws}/access-review", None, "workspace:manage_workspace_members"),
    ("POST", "workspaces/{ws}/access-review", {"decisions": []}, "workspace:manage_workspace_members"),
    ("PATCH", "organizations/{org}/dimensions/environment/values/staging", {"protected": True},
     "organizations.manage_policies"),
    ("GET", "organizations/{org}/service-accounts", None, "organizations.manage_members"),
    ("POST", "organizations/{org}/service-accounts", {"name": "matrix-bot"}, "organizations.manage_members"),
    ("GET", "organizations/{org}/service-accounts/{sa}", None, "organizations.manage_members"),
    ("PATCH", "organizations/{org}/service-accounts/{sa}", {"active": False}, "organizations.manage_members"),
    ("PATCH", "organizations/{org}/service-accounts/{sa}", {}, "organizations.manage_members"),
    ("DELETE", "organizations/{org}/service-accounts/{sa}", None, "organizations.manage_members"),
    ("GET", "organizations/{org}/service-accounts/{sa}/keys", None, "organizations.manage_members"),
    ("POST", "organizations/{org}/service-accounts/{sa}/keys", {"name": "CI"}, "organizations.manage_members"),
    ("POST", "organizations/{org}/service-accounts/{sa}/keys/{key}/rotate", {"grace_hours": 1},
     "organizations.manage_members"),
    ("DELETE", "organizations/{org}/service-accounts/{sa}/keys/{key}", None, "organizations.manage_members"),
]  # fmt: skip


@pytest.fixture
def world(persona_world):
    from service_accounts.services import service_account_create, service_account_key_create

    owner = persona_world.users["owner"]
    robot = service_account_create(
        organization=persona_world.organization, name="robot", role="member", acting_user=owner
    )
    persona_world.robot = robot
    persona_world.robot_key, _ = service_account_key_create(
        service_account=robot, name="CI", acting_user=owner
    )
    return persona_world


def _fill(value, world):
    if isinstance(value, dict):
        return {k: _fill(v, world) for k, v in value.items()}
    if isinstance(value, str):
        return value.format(
            org=world.organization.slug, ws=world.workspace.slug, sa=world.robot.pk, key=world.robot_key.pk
        )
    return value


@pytest.mark.parametrize(
    ("method", "path", "body", "required"), OPERATIONS, ids=[f"{o[0]} {o[1]}" for o in OPERATIONS]
)
def test_governance_authorization_matrix(world, make_token, method, path, body, required):
    _check_matrix(world, make_token, method, path, body, required)


# The workspace's review again with the workspace protected: organization Managers and Viewers without a
# role on it get 404, as on its page.
WORKSPACE_OPERATIONS = [o for o in OPERATIONS if o[3].startswith("workspace:")]


@pytest.mark.parametrize(
    ("method", "path", "body", "required"),
    WORKSPACE_OPERATIONS,
    ids=[f"{o[0]} {o[1]}" for o in WORKSPACE_OPERATIONS],
)
def test_governance_authorization_matrix_on_a_protected_workspace(
    world, make_token, method, path, body, required
):
    DimensionValue.objects.filter(pk=world.dimension_value.pk).update(protected=True)
    _check_matrix(world, make_token, method, path, body, required, protected=True)


def _check_matrix(world, make_token, method, path, body, required, *, protected=False):
    clients = {
        persona: ApiClient(make_token(user)[1] if user is not None else None)
        for persona, user in world.users.items()
    }
    url = "/api/v1/" + _fill(path, world)
    failures = []
    for persona, api in clients.items():
        with transaction.atomic():
            response = api.request(
                method, url, _fill(body, world) if method not in {"GET", "DELETE"} else None
            )
            transaction.set_rollback(True)
        status = response.status_code
        if status >= 400:
            assert set(response.json()["error"]) == {"code", "message", "field"}
        expected = {
            401 if s == 302 else s for s in expected_status(persona, required, holds, protected=protected)
        }
        got = status if status in {401, 403, 404, 405, 500} else "allowed"
        if got not in expected:
            failures.append(
                f"{method} {url} as {persona}: got {status} {response.content[:200]!r}, expected {expected}"
            )
    assert not failures, "\n".join(failures)


# --- Access reviews ----------------------------------------------------------------------------------------


def _overdue(workspace):
    type(workspace).objects.filter(pk=workspace.pk).update(
        access_review_due_at=timezone.now() - timedelta(days=3)
    )


def test_the_due_list_shows_the_workspaces_the_caller_reviews(persona_world, api_as):
    w = persona_world
    url = f"organizations/{w.organization.slug}/access-reviews"
    _overdue(w.workspace)
    body = api_as(w.users["ws_admin"]).get(url, status="overdue").json()
    assert [item["workspace"] for item in body["items"]] == [w.workspace.slug] and body["items"][0]["overdue"]
    assert body["count"] == 1 and body["next"] is None
    assert api_as(w.users["ws_admin"]).get(url, status="due").json()["items"] == []
    # Not an Admin of the workspace: nothing to review (as the home's "Access reviews overdue").
    assert api_as(w.users["ws_developer"]).get(url).json()["items"] == []
    soon = timezone.now() + timedelta(days=5)
    type(w.workspace).objects.filter(pk=w.workspace.pk).update(access_review_due_at=soon)
    assert [i["workspace"] for i in api_as(w.users["owner"]).get(url, status="due").json()["items"]] == [
        w.workspace.slug
    ]
    assert api_as(w.users["owner"]).get(url, status="overdue").json()["items"] == []
    assert api_as(w.users["owner"]).get(url, status="late").status_code == 422


def test_completing_a_review_removes_the_roles_marked_and_is_audited_as_the_token(persona_world, make_token):
    w = persona_world
    token, secret = make_token(w.users["ws_admin"])
    api = ApiClient(secret)
    review = api.get(f"workspaces/{w.workspace.slug}/access-review").json()
    decidable = [row for row in review["rows"] if row["decidable"]]
    own = [row for row in review["rows"] if row["email"] == "ws-admin@example.com"]
    assert own and not own[0]["decidable"]
    decisions = [
        {"assignment": row["assignment"], "decision": "remove" if row["assignment"] == w.target_assignment.pk else "keep",
         "reason": "left the project" if row["assignment"] == w.target_assignment.pk else ""}
        for row in decidable
    ]  # fmt: skip
    response = api.post(f"workspaces/{w.workspace.slug}/access-review", {"decisions": decisions})
    assert response.status_code == 201, response.content
    assert response.json()["removed"] == 1 and response.json()["kept"] == len(decidable) - 1
    assert not WorkspaceRoleAssignment.objects.filter(pk=w.target_assignment.pk).exists()
    stored = AccessReview.objects.get(pk=response.json()["id"])
    assert stored.reviewer == w.users["ws_admin"]
    event = AuditEvent.objects.get(action="access_review.complete")
    assert (event.actor_type, event.actor_credential_id) == ("token", str(token.pk))
    assert api.get(f"workspaces/{w.workspace.slug}/access-review").json()["reviews"][0]["id"] == stored.pk


def test_a_review_refuses_stale_rows_and_decisions_on_ones_own_access(persona_world, api_as):
    w = persona_world
    api = api_as(w.users["ws_admin"])
    url = f"workspaces/{w.workspace.slug}/access-review"
    missing = api.post(url, {"decisions": []})
    assert missing.status_code == 409 and missing.json()["error"]["code"] == "conflict"
    own = WorkspaceRoleAssignment.objects.get(workspace=w.workspace, user=w.users["ws_admin"])
    rows = [r["assignment"] for r in api.get(url).json()["rows"] if r["decidable"]]
    decisions = [{"assignment": pk, "decision": "keep"} for pk in [*rows, own.pk]]
    assert api.post(url, {"decisions": decisions}).status_code == 403
    assert not AccessReview.objects.exists()


# --- Dimension value policies ---------------------------------------------------------------------------------


def test_a_value_policy_changes_the_fields_sent_and_is_audited(persona_world, make_token):
    w = persona_world
    token, secret = make_token(w.users["owner"])
    api = ApiClient(secret)
    url = f"organizations/{w.organization.slug}/dimensions/environment/values/staging"
    response = api.patch(url, {"review_cadence_days": 30, "grantable_roles": ["viewer", "developer"]})
    assert response.status_code == 200, response.content
    body = response.json()
    assert (body["value"], body["protected"], body["review_cadence_days"]) == ("staging", False, 30)
    assert sorted(body["grantable_roles"]) == ["developer", "viewer"]
    value = DimensionValue.objects.get(pk=w.dimension_value.pk)
    assert (value.protected, value.review_cadence_days, set(value.grantable_roles)) == (
        False,
        30,
        {"viewer", "developer"},
    )
    assert api.patch(url, {"protected": True}).json()["review_cadence_days"] == 30  # the others stay
    event = AuditEvent.objects.filter(action="dimension_value.policy").latest("pk")
    assert (event.actor_type, event.actor_credential_id) == ("token", str(token.pk))
    dimensions = api.get(f"organizations/{w.organization.slug}/dimensions").json()
    staging = next(v for d in dimensions for v in d["values"] if v["value"] == "staging")
    assert staging["protected"] and staging["review_cadence_days"] == 30
    refused = api.patch(url, {"grantable_roles": ["emperor"]})
    assert refused.status_code == 422 and refused.json()["error"]["field"] == "grantable_roles"
    assert api.patch(url, {"colour": "red"}).status_code == 422
    assert (
        api.patch(f"organizations/{w.organization.slug}/dimensions/environment/values/nope", {}).status_code
        == 404
    )


# --- Service accounts --------------------------------------------------------------------------------------


def test_a_service_account_and_its_keys_through_the_api(owner, organization, make_token):
    token, secret = make_token(owner)
    api = ApiClient(secret)
    base = f"organizations/{organization.slug}/service-accounts"
    created = api.post(base, {"name": "ci-staging", "description": "CI", "role": "admin"})
    assert created.status_code == 201, created.content
    account = created.json()
    assert (account["name"], account["role"], account["active"], account["keys_usable"]) == (
        "ci-staging",
        "admin",
        True,
        0,
    )
    assert api.get(base).json()["items"][0]["id"] == account["id"]
    key = api.post(f"{base}/{account['id']}/keys", {"name": "GitHub Actions"})
    assert key.status_code == 201 and key.json()["key"].startswith("ZENPROKEY_")
    listed = api.get(f"{base}/{account['id']}/keys").json()
    assert listed["count"] == 1 and "key" not in listed["items"][0]  # shown once

    # The key acts as the service account, and its writes are audited as it.
    robot = ApiClient(key.json()["key"])
    second = robot.post(f"{base}/{account['id']}/keys", {"name": "Jenkins"})
    assert second.status_code == 201, second.content
    event = AuditEvent.objects.filter(action="service_account_key.create").latest("pk")
    assert (event.actor_type, event.actor_credential_id) == ("service_account", str(key.json()["id"]))
    assert event.actor == ServiceAccount.objects.get(pk=account["id"]).user

    rotated = api.post(f"{base}/{account['id']}/keys/{key.json()['id']}/rotate", {"grace_hours": 2})
    assert rotated.status_code == 201 and rotated.json()["key"] != key.json()["key"]
    old = ServiceAccountKey.objects.get(pk=key.json()["id"])
    assert old.status == "rotating" and old.rotated_to_id == rotated.json()["id"]
    assert timedelta(hours=1.9) < old.expires_at - timezone.now() <= timedelta(hours=2)
    assert (
        api.post(f"{base}/{account['id']}/keys/{key.json()['id']}/rotate", {"grace_hours": 200}).status_code
        == 422
    )
    rotate_event = AuditEvent.objects.filter(action="service_account_key.rotate").latest("pk")
    assert (rotate_event.actor_type, rotate_event.actor_credential_id) == ("token", str(token.pk))

    assert api.request("DELETE", f"{base}/{account['id']}/keys/{second.json()['id']}").status_code == 204
    assert ApiClient(second.json()["key"]).get("organizations").status_code == 401

    assert api.patch(f"{base}/{account['id']}", {"active": False}).json()["active"] is False
    assert ApiClient(rotated.json()["key"]).get("organizations").status_code == 401
    assert api.patch(f"{base}/{account['id']}", {"active": True}).json()["active"] is True
    assert ApiClient(rotated.json()["key"]).get("organizations").status_code == 200
    assert api.request("DELETE", f"{base}/{account['id']}").status_code == 204
    assert not ServiceAccount.objects.get(pk=account["id"]).active  # deactivated, as the page does
    assert api.post(base, {"name": "boss", "role": "owner"}).json()["error"]["field"] == "role"


# --- Another organization's objects: 404 --------------------------------------------------------------------


def test_another_organizations_objects_are_not_found(owner, organization, outsider, make_token):
    from service_accounts.services import service_account_create, service_account_key_create
    from workspaces.services import workspace_create

    other = outsider.memberships.get().organization
    elsewhere = workspace_create(
        organization=other, slug="elsewhere", display_name="Elsewhere", acting_user=outsider
    )
    robot = service_account_create(organization=other, name="their-bot", role="member", acting_user=outsider)
    key, _ = service_account_key_create(service_account=robot, name="CI", acting_user=outsider)
    api = ApiClient(make_token(owner)[1])
    mine = f"organizations/{organization.slug}/service-accounts"
    for method, path in [
        ("GET", "workspaces/elsewhere/access-review"),
        ("POST", "workspaces/elsewhere/access-review"),
        ("GET", f"organizations/{other.slug}/access-reviews"),
        ("PATCH", f"organizations/{other.slug}/dimensions/environment/values/staging"),
        ("GET", f"organizations/{other.slug}/service-accounts"),
        ("GET", f"{mine}/{robot.pk}"),
        ("PATCH", f"{mine}/{robot.pk}"),
        ("DELETE", f"{mine}/{robot.pk}"),
        ("GET", f"{mine}/{robot.pk}/keys"),
        ("POST", f"{mine}/{robot.pk}/keys/{key.pk}/rotate"),
        ("DELETE", f"{mine}/{robot.pk}/keys/{key.pk}"),
    ]:
        body = {"decisions": []} if path.endswith("access-review") else {}
        response = api.request(method, path, body if method in {"POST", "PATCH"} else None)
        assert response.status_code == 404, (method, path, response.content)
        assert response.json()["error"]["code"] == "not_found"
    assert (
        elsewhere.access_reviews.count() == 0 and ServiceAccountKey.objects.get(pk=key.pk).status == "active"
    )


# --- Personal access tokens --------------------------------------------------------------------------------


def test_a_token_is_audited_in_each_organization_of_its_owner(owner, organization, make_token):
    from organization_api.services import personal_access_token_revoke
    from organizations.services import organization_create

    second = organization_create(name="Second", acting_user=owner)
    token, _ = make_token(owner, name="laptop")
    created = AuditEvent.objects.filter(action="personal_access_token.create", target_id=str(token.pk))
    assert {e.organization_id for e in created} == {organization.pk, second.pk}
    assert {(e.actor_id, e.target_type, e.after["name"]) for e in created} == {
        (owner.pk, "personal_access_token", "laptop")
    }
    personal_access_token_revoke(token_id=token.pk, acting_user=owner)
    personal_access_token_revoke(token_id=token.pk, acting_user=owner)  # again: nothing changes
    revoked = AuditEvent.objects.filter(action="personal_access_token.revoke", target_id=str(token.pk))
    assert sorted(e.organization_id for e in revoked) == sorted([organization.pk, second.pk])
