"""/api/v1/workspaces: what a script sees and gets, through the same services as the pages."""

import pytest
from django.urls import reverse

from organizations.models import AuditEvent, DimensionValue
from workspaces.models import Workspace

pytestmark = pytest.mark.django_db


@pytest.fixture
def staging(organization):
    return DimensionValue.objects.get(
        dimension__organization=organization, dimension__key="environment", value="staging"
    )


@pytest.fixture
def owner_api(api_as, owner):
    return api_as(owner)


def _create_body(organization, workspace_id="ci-staging", **extra):
    return {"organization": organization.slug, "id": workspace_id, "name": "CI staging", **extra}


def test_create_returns_the_workspace_and_audits_it_as_the_token(owner_api, organization, owner):
    response = owner_api.post(
        "workspaces", _create_body(organization, description="For CI", labels={"environment": "staging"})
    )
    assert response.status_code == 201
    body = response.json()
    assert body["id"] == "ci-staging" and body["organization"] == organization.slug
    assert body["labels"] == {"environment": "staging"} and body["status"] == "pending"
    workspace = Workspace.objects.get(slug="ci-staging")
    assert workspace.created_by == owner and workspace.description == "For CI"
    event = AuditEvent.objects.get(action="workspace.create", target_id=str(workspace.pk))
    assert (event.actor_type, event.actor_id) == ("token", owner.pk)
    assert event.actor_credential_label.startswith("CI (atr_pat_")


def test_create_with_a_session_is_audited_as_the_person(client, owner, organization):
    client.force_login(owner)
    response = client.post("/api/v1/workspaces", _create_body(organization), content_type="application/json")
    assert response.status_code == 201
    event = AuditEvent.objects.get(action="workspace.create")
    assert (event.actor_type, event.actor_credential_id) == ("user", "")


def test_a_session_write_needs_the_csrf_token(owner, organization):
    from django.test import Client

    client = Client(enforce_csrf_checks=True)
    client.force_login(owner)
    response = client.post("/api/v1/workspaces", _create_body(organization), content_type="application/json")
    assert response.status_code == 403
    assert response.json()["error"]["code"] == "csrf_failed"
    client.get("/accounts/tokens/")  # sets the csrftoken cookie, as any page does
    response = client.post(
        "/api/v1/workspaces",
        _create_body(organization),
        content_type="application/json",
        headers={"X-CSRFToken": client.cookies["csrftoken"].value},
    )
    assert response.status_code == 201


def test_a_taken_id_is_a_conflict_naming_the_field(owner_api, organization, make_workspace):
    make_workspace("ci-staging")
    response = owner_api.post("workspaces", _create_body(organization))
    assert response.status_code == 409
    assert response.json()["error"]["code"] == "conflict" and response.json()["error"]["field"] == "id"


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"id": "Bad ID!"}, "id"),
        ({"id": "api"}, "id"),
        ({"name": ""}, "name"),
        ({"labels": {"environment": "moon"}}, "labels.environment"),
        ({"labels": {"planet": "mars"}}, "labels.planet"),
        ({"colour": "blue"}, "colour"),
    ],
)
def test_invalid_input_names_the_field(owner_api, organization, body, field):
    response = owner_api.post("workspaces", {**_create_body(organization), **body})
    assert response.status_code == 422
    error = response.json()["error"]
    assert error["code"] == "invalid" and error["field"] == field and error["message"]
    assert not Workspace.objects.exists()


def test_a_missing_field_is_named(owner_api, organization):
    response = owner_api.post("workspaces", {"organization": organization.slug, "name": "x"})
    assert response.status_code == 422 and response.json()["error"]["field"] == "id"


def test_create_in_another_organization_answers_404(api_as, outsider, organization):
    response = api_as(outsider).post("workspaces", _create_body(organization))
    assert response.status_code == 404 and response.json()["error"]["code"] == "not_found"


def test_a_member_without_create_workspace_gets_403(api_as, member, organization):
    response = api_as(member).post("workspaces", _create_body(organization))
    assert response.status_code == 403 and response.json()["error"]["code"] == "permission_denied"


# --- Idempotency ---------------------------------------------------------------------------------


def test_a_retried_create_returns_the_first_result(owner_api, organization):
    headers = {"Idempotency-Key": "deploy-42"}
    first = owner_api.post("workspaces", _create_body(organization), headers=headers)
    again = owner_api.post("workspaces", _create_body(organization), headers=headers)
    assert first.status_code == again.status_code == 201
    assert first.json() == again.json()
    assert Workspace.objects.count() == 1
    assert AuditEvent.objects.filter(action="workspace.create").count() == 1


def test_the_same_key_with_another_body_is_refused(owner_api, organization):
    headers = {"Idempotency-Key": "deploy-42"}
    owner_api.post("workspaces", _create_body(organization), headers=headers)
    response = owner_api.post("workspaces", _create_body(organization, "ci-other"), headers=headers)
    assert response.status_code == 422
    assert response.json()["error"] == {
        "code": "idempotency_key_reused",
        "message": "This Idempotency-Key was already used with a different request; use a new key.",
        "field": "Idempotency-Key",
    }
    assert not Workspace.objects.filter(slug="ci-other").exists()


def test_keys_belong_to_one_credential(api_as, owner, org_admin, organization):
    headers = {"Idempotency-Key": "same-key"}
    assert api_as(owner).post("workspaces", _create_body(organization), headers=headers).status_code == 201
    other = api_as(org_admin).post("workspaces", _create_body(organization, "ci-two"), headers=headers)
    assert other.status_code == 201 and other.json()["id"] == "ci-two"


def test_a_refused_create_keeps_no_key(owner_api, organization, make_workspace):
    make_workspace("ci-staging")
    headers = {"Idempotency-Key": "k"}
    assert owner_api.post("workspaces", _create_body(organization), headers=headers).status_code == 409
    Workspace.objects.filter(slug="ci-staging").delete()
    from workspaces.models import RetiredWorkspaceId

    RetiredWorkspaceId.objects.all().delete()
    assert owner_api.post("workspaces", _create_body(organization), headers=headers).status_code == 201


# --- Read, edit, lifecycle --------------------------------------------------------------------------


def test_get_and_patch(owner_api, make_workspace, staging):
    make_workspace("ml-core", label_values=[staging])
    response = owner_api.get("workspaces/ml-core")
    assert response.status_code == 200 and response.json()["labels"] == {"environment": "staging"}
    response = owner_api.patch(
        "workspaces/ml-core",
        {
            "name": "ML core",
            "readme": "# Hello",
            "labels": {"environment": None, "data-sensitivity": "internal"},
        },
    )
    assert response.status_code == 200, response.json()
    body = response.json()
    assert body["name"] == "ML core" and body["readme"] == "# Hello"
    assert body["labels"] == {"data-sensitivity": "internal"}
    assert owner_api.patch("workspaces/ml-core", {"id": "ml-core"}).status_code == 200


def test_changing_the_id_is_refused_naming_the_field(owner_api, make_workspace):
    make_workspace("ml-core")
    response = owner_api.patch("workspaces/ml-core", {"id": "ml-new", "name": "Renamed"})
    assert response.status_code == 422
    assert response.json()["error"]["field"] == "id" and "never change" in response.json()["error"]["message"]
    assert Workspace.objects.get().display_name == "Ml Core"


def test_deactivate_and_reactivate(owner_api, make_workspace):
    make_workspace("ml-core")
    response = owner_api.post("workspaces/ml-core/deactivate")
    assert response.status_code == 200 and response.json()["status"] == "deactivated"
    response = owner_api.post("workspaces/ml-core/reactivate")
    assert response.status_code == 200 and response.json()["status"] == "pending"
    response = owner_api.post("workspaces/ml-core/reactivate")
    assert response.status_code == 409 and response.json()["error"]["code"] == "conflict"


def test_delete_then_restore_within_the_grace_period(owner_api, make_workspace, owner):
    make_workspace("ml-core")
    response = owner_api.request("DELETE", "workspaces/ml-core")
    assert response.status_code == 204
    assert Workspace.objects.get(slug="ml-core").status == "deleted"
    assert owner_api.get("workspaces/ml-core").status_code == 404
    assert "ml-core" not in [w["id"] for w in owner_api.get("workspaces").json()["items"]]
    assert owner_api.request("DELETE", "workspaces/ml-core").status_code == 404
    event = AuditEvent.objects.get(action="workspace.delete")
    assert (event.actor_type, event.actor_id) == ("token", owner.pk)
    response = owner_api.post("workspaces/ml-core/restore")
    assert response.status_code == 200 and response.json()["status"] == "deactivated"
    response = owner_api.post("workspaces/ml-core/restore")
    assert response.status_code == 409 and response.json()["error"]["code"] == "conflict"


def test_only_admins_may_delete_and_a_viewer_learns_nothing_more(api_as, make_workspace, member, owner):
    from workspaces.services import workspace_role_assign

    workspace = make_workspace("ml-core")
    workspace_role_assign(workspace=workspace, user=member, role="developer", acting_user=owner)
    response = api_as(member).request("DELETE", "workspaces/ml-core")
    assert response.status_code == 403 and response.json()["error"]["code"] == "permission_denied"
    assert Workspace.objects.get(slug="ml-core").status != "deleted"
    assert api_as(member).post("workspaces/ml-core/restore").status_code == 403


def test_another_organizations_workspace_answers_404(api_as, outsider, make_workspace):
    make_workspace("ml-core")
    api = api_as(outsider)
    for response in [
        api.get("workspaces/ml-core"),
        api.patch("workspaces/ml-core", {"name": "x"}),
        api.post("workspaces/ml-core/deactivate"),
        api.request("DELETE", "workspaces/ml-core"),
        api.post("workspaces/ml-core/restore"),
    ]:
        assert response.status_code == 404 and response.json()["error"]["code"] == "not_found"


# --- Lists and filters -------------------------------------------------------------------------------


def _ids(response):
    assert response.status_code == 200, response.json()
    return [item["id"] for item in response.json()["items"]]


def test_list_filters(api_as, owner, manager, organization, make_workspace, staging, outsider):
    make_workspace("alpha-staging", label_values=[staging])
    make_workspace("beta-prod")
    make_workspace("gamma-staging", label_values=[staging], by=manager)
    api = api_as(owner)
    assert _ids(api.get("workspaces")) == ["gamma-staging", "beta-prod", "alpha-staging"]
    assert _ids(api.get("workspaces", organization=organization.slug, name="staging")) == [
        "gamma-staging", "alpha-staging"
    ]  # fmt: skip
    assert _ids(api.get("workspaces", label=["environment:staging"])) == ["gamma-staging", "alpha-staging"]
    assert _ids(api.get("workspaces", label=["environment:staging", "environment:production"])) == []
    assert _ids(api.get("workspaces", status="pending", name="beta")) == ["beta-prod"]
    # The manager sees every workspace in the list, but holds a role only where they created one.
    assert len(_ids(api_as(manager).get("workspaces"))) == 3
    assert _ids(api_as(manager).get("workspaces", member_only="true")) == ["gamma-staging"]
    assert _ids(api_as(outsider).get("workspaces")) == []
    assert api_as(outsider).get("workspaces", organization=organization.slug).status_code == 404


def test_q_searches_as_the_organization_home_does(
    api_as, owner, owner_client, organization, make_workspace, staging
):
    make_workspace("alpha-staging", label_values=[staging], description="Feature store")
    make_workspace("beta-prod", description="Scores the feature backlog")
    make_workspace("gamma-dev")
    api = api_as(owner)
    home = reverse("organizations:home", args=[organization.slug])
    for q, expected in [("feature", ["beta-prod", "alpha-staging"]), ("Stag", ["alpha-staging"]),
                        ("ga", ["gamma-dev"]), ("nothing", [])]:  # fmt: skip
        assert _ids(api.get("workspaces", q=q)) == expected
        page = owner_client.get(home, {"q": q}).content.decode()
        assert [
            slug for slug in ("alpha-staging", "beta-prod", "gamma-dev") if f"/w/{slug}/" in page
        ] == sorted(expected), q


def test_list_pages(owner_api, make_workspace):
    for n in range(5):
        make_workspace(f"ws-{n}")
    first = owner_api.get("workspaces", limit=2)
    assert first.json()["count"] == 5 and _ids(first) == ["ws-4", "ws-3"]
    second = owner_api.get(first.json()["next"].removeprefix("http://testserver"))
    assert _ids(second) == ["ws-2", "ws-1"]
    last = owner_api.get("workspaces", limit=2, offset=4)
    assert _ids(last) == ["ws-0"] and last.json()["next"] is None


@pytest.mark.parametrize(
    ("query", "field"),
    [({"label": "nocolon"}, "label"), ({"limit": "1000"}, "limit"), ({"status": "x"}, "status")],
)
def test_bad_filters_name_the_field(owner_api, query, field):
    response = owner_api.get("workspaces", **query)
    assert response.status_code == 422 and response.json()["error"]["field"] == field


def test_a_tokens_request_leaves_no_credential_for_the_next_request(client, owner, organization, make_token):
    """The credential a request authenticated with is forgotten when it ends: a session write right
    after a token's call, in the same thread, is audited as the person."""
    from .conftest import ApiClient

    assert ApiClient(make_token(owner)[1]).get("organizations").status_code == 200
    client.force_login(owner)
    response = client.post("/api/v1/workspaces", _create_body(organization), content_type="application/json")
    assert response.status_code == 201
    assert AuditEvent.objects.get(action="workspace.create").actor_type == "user"


def test_the_audit_log_page_names_the_token(owner_api, owner_client, organization):
    owner_api.post("workspaces", _create_body(organization))
    page = owner_client.get(f"/orgs/{organization.slug}/settings/audit/").content.decode()
    assert "via personal access token CI (atr_pat_" in page
