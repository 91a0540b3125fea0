"""/api/v1/organizations, the error shape every answer shares, and throttling per credential."""

import pytest

from organizations.models import AuditEvent, Membership

from .conftest import ApiClient

pytestmark = pytest.mark.django_db


def test_list_shows_ones_organizations_with_ones_role(api_as, owner, organization, viewer, outsider):
    response = api_as(viewer).get("organizations")
    assert [(o["slug"], o["role"]) for o in response.json()] == [(organization.slug, "viewer")]
    assert [o["name"] for o in api_as(outsider).get("organizations").json()] == ["Other Corp"]


def test_create_makes_the_caller_owner(api_as, make_user):
    user = make_user("new@example.com")
    response = api_as(user).post("organizations", {"name": "Skunkworks", "description": "R&D"})
    assert response.status_code == 201
    body = response.json()
    assert (body["slug"], body["role"], body["description"]) == ("skunkworks", "owner", "R&D")
    assert Membership.objects.get(organization__slug="skunkworks").user == user


def test_patch_edits_name_and_description_and_is_audited(api_as, owner, organization):
    response = api_as(owner).patch(f"organizations/{organization.slug}", {"description": "Models"})
    assert response.status_code == 200
    assert (response.json()["name"], response.json()["description"]) == ("Acme ML", "Models")
    event = AuditEvent.objects.get(action="organization.update")
    assert event.actor_type == "token" and event.after == {"description": "Models"}


def test_patch_refuses_fields_it_does_not_know(api_as, owner, organization):
    response = api_as(owner).patch(f"organizations/{organization.slug}", {"slug": "other"})
    assert response.status_code == 422 and response.json()["error"]["field"] == "slug"


def test_an_empty_name_is_invalid_naming_the_field(api_as, owner, organization):
    response = api_as(owner).patch(f"organizations/{organization.slug}", {"name": "  "})
    assert response.status_code == 422
    assert response.json()["error"] == {
        "code": "invalid", "message": "Enter a name for the organization.", "field": "name"
    }  # fmt: skip


def test_another_or_no_organization_answers_the_same_404(api_as, outsider, organization):
    api = api_as(outsider)
    mine, missing = api.get(f"organizations/{organization.slug}"), api.get("organizations/no-such-org")
    assert mine.status_code == missing.status_code == 404
    assert mine.json() == missing.json()


def test_a_viewer_may_read_but_not_edit(api_as, viewer, organization):
    api = api_as(viewer)
    assert api.get(f"organizations/{organization.slug}").status_code == 200
    response = api.patch(f"organizations/{organization.slug}", {"name": "Mine now"})
    assert response.status_code == 403 and response.json()["error"]["code"] == "permission_denied"


def test_unauthenticated_calls_get_401_in_the_error_shape(client):
    response = client.get("/api/v1/organizations")
    assert response.status_code == 401
    assert response.json()["error"]["code"] == "unauthenticated"


def test_unknown_paths_and_bad_json_answer_in_the_error_shape(api_as, owner):
    api = api_as(owner)
    assert api.get("/api/v1/nope").json()["error"]["code"] == "not_found"
    response = api.client.post(
        "/api/v1/organizations", "{not json", content_type="application/json", headers=api._headers(None)
    )
    assert response.status_code in {400, 422} and set(response.json()["error"]) == {
        "code",
        "message",
        "field",
    }


def test_each_credential_is_throttled_on_its_own(settings, owner, make_token):
    settings.ATRIUM_API_RATE = "3/h"
    first, second = ApiClient(make_token(owner)[1]), ApiClient(make_token(owner)[1])
    answers = [first.get("organizations") for _ in range(3)]
    assert [a.status_code for a in answers] == [200, 200, 200]
    assert [a["X-RateLimit-Remaining"] for a in answers] == ["2", "1", "0"] and answers[0][
        "X-RateLimit-Limit"
    ] == "3"
    response = first.get("organizations")
    assert response.status_code == 429
    assert response.json()["error"]["code"] == "throttled" and int(response["Retry-After"]) > 0
    assert second.get("organizations").status_code == 200


def test_every_web_process_counts_against_the_same_budget(settings, owner, make_token):
    """The counts are rows of the database, not any one process's memory: another process's request
    (one written straight to the table, as it would be) is spent from the same budget."""
    from organization_api.models import RequestCount
    from organization_api.throttling import request_counts_purge

    settings.ATRIUM_API_RATE = "3/h"
    api = ApiClient(make_token(owner)[1])
    assert api.get("organizations")["X-RateLimit-Remaining"] == "2"
    RequestCount.objects.update(count=3)  # two more, served by another process
    assert api.get("organizations").status_code == 429
    RequestCount.objects.update(expires_at="2020-01-01T00:00:00Z")
    assert request_counts_purge() == 1 and not RequestCount.objects.exists()


def test_the_openapi_schema_documents_every_operation(client):
    schema = client.get("/api/v1/openapi.json").json()
    operations = {(method.upper(), path) for path, item in schema["paths"].items() for method in item}
    assert {
        ("GET", "/api/v1/organizations"), ("POST", "/api/v1/organizations"),
        ("GET", "/api/v1/organizations/{org}"), ("PATCH", "/api/v1/organizations/{org}"),
        ("GET", "/api/v1/workspaces"), ("POST", "/api/v1/workspaces"),
        ("GET", "/api/v1/workspaces/{id}"), ("PATCH", "/api/v1/workspaces/{id}"),
        ("POST", "/api/v1/workspaces/{id}/deactivate"), ("POST", "/api/v1/workspaces/{id}/reactivate"),
    } <= operations  # fmt: skip
    assert {"PersonalAccessTokenAuth", "BrowserSessionAuth"} <= set(schema["components"]["securitySchemes"])


def test_dimensions_tell_which_labels_a_workspace_takes(api_as, member, organization):
    dimensions = api_as(member).get(f"organizations/{organization.slug}/dimensions").json()
    environment = next(d for d in dimensions if d["key"] == "environment")
    assert [v["value"] for v in environment["values"]] == ["development", "staging", "production"]
    assert not environment["required"] and "workspace_count" not in environment
