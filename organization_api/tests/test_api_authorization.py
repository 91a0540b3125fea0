"""The API's authorization matrix: every persona calls every operation with a token of their own and
gets what the pages give them (the expectations are the page matrix's own, in
governance/tests/test_authorization_matrix.py), except that "log in first" is 401 instead of a
redirect. Each call runs in a rolled-back transaction, so the personas don't disturb each other."""

import pytest
from django.db import transaction

from governance.tests.test_authorization_matrix import expected_status, holds

from .conftest import ApiClient

# (method, path, body, the permission it needs in the page matrix's vocabulary).
OPERATIONS = [
    ("GET", "organizations", None, "login"),
    ("POST", "organizations", {"name": "Matrix Org"}, "login"),
    ("GET", "organizations/{org}", None, "member"),
    ("PATCH", "organizations/{org}", {"name": "Renamed"}, "organizations.change_organization"),
    ("GET", "workspaces?organization={org}", None, "member"),
    ("POST", "workspaces", {"organization": "{org}", "id": "matrix-new", "name": "New"},
     "organizations.create_workspace"),
    ("GET", "workspaces/{ws}", None, "workspace:view_workspace"),
    ("PATCH", "workspaces/{ws}", {"name": "Renamed"}, "workspace:change_workspace"),
    ("POST", "workspaces/{ws}/deactivate", None, "workspace:manage_workspace_lifecycle"),
    ("POST", "workspaces/{ws}/reactivate", None, "workspace:manage_workspace_lifecycle"),
    ("GET", "organizations/{org}/members", None, "member"),
    ("PATCH", "organizations/{org}/members/{membership}", {"role": "viewer"}, "organizations.manage_members"),
    ("DELETE", "organizations/{org}/members/{membership}", None, "organizations.manage_members"),
    ("GET", "organizations/{org}/invitations", None, "organizations.manage_members"),
    ("POST", "organizations/{org}/invitations", {"email": "new@example.com"}, "organizations.manage_members"),
    ("DELETE", "organizations/{org}/invitations/{invitation}", None, "organizations.manage_members"),
    ("GET", "organizations/{org}/teams", None, "member"),
    ("POST", "organizations/{org}/teams", {"name": "New team"}, "organizations.manage_teams"),
    ("GET", "organizations/{org}/teams/{team}", None, "member"),
    ("PATCH", "organizations/{org}/teams/{team}", {"description": "x"}, "organizations.manage_teams"),
    ("DELETE", "organizations/{org}/teams/{team}", None, "organizations.manage_teams"),
    ("PUT", "organizations/{org}/teams/{team}/members/{user}", None, "organizations.manage_teams"),
    ("GET", "organizations/{org}/roles", None, "member"),
    ("POST", "organizations/{org}/roles", {"name": "Auditor", "base_role": "viewer"}, "organizations.manage_policies"),
    ("DELETE", "organizations/{org}/roles/custom:{role}", None, "organizations.manage_policies"),
    ("GET", "organizations/{org}/role-assignments?workspace={ws}", None, "workspace:read_members"),
    ("POST", "organizations/{org}/role-assignments", {"workspace": "{ws}", "user": "target@example.com", "role": "contributor"},
     "workspace:manage_workspace_members"),
    ("DELETE", "organizations/{org}/role-assignments/{assignment}", None, "workspace:manage_workspace_members"),
    ("GET", "organizations/{org}/audit-events", None, "organizations.view_audit_log"),
    ("GET", "organizations/{org}/token-policy", None, "member"),
    ("GET", "organizations/{org}/dimensions", None, "member"),
    ("PATCH", "organizations/{org}/token-policy", {"max_token_lifetime_days": 30}, "organizations.manage_policies"),
]  # fmt: skip


def _fill(value, world):
    if isinstance(value, dict):
        return {k: _fill(v, world) for k, v in value.items()}
    if isinstance(value, str):
        return value.format(
            org=world.organization.slug, ws=world.workspace.slug, membership=world.target_membership.pk,
            invitation=world.invitation.pk, team=world.team.pk, user=world.target.pk, role=world.custom_role.pk,
            assignment=world.target_assignment.pk,
        )  # fmt: skip
    return value


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("method", "path", "body", "required"), OPERATIONS, ids=[f"{o[0]} {o[1]}" for o in OPERATIONS]
)
def test_api_authorization_matrix(persona_world, make_token, method, path, body, required):
    clients = {
        persona: ApiClient(make_token(user)[1] if user is not None else None)
        for persona, user in persona_world.users.items()
    }
    url = "/api/v1/" + _fill(path, persona_world)
    failures = []
    for persona, api in clients.items():
        with transaction.atomic():
            response = api.request(
                method, url, _fill(body, persona_world) if method not in {"GET", "DELETE"} else None
            )
            transaction.set_rollback(True)
        status = response.status_code
        if status != 204:
            assert response["Content-Type"].startswith("application/json")
        if status >= 400:
            assert set(response.json()["error"]) == {"code", "message", "field"}
        expected = {401 if s == 302 else s for s in expected_status(persona, required, holds)}
        got = status if status in {401, 403, 404, 405, 500} else "allowed"
        if got not in expected:
            failures.append(
                f"{method} {url} as {persona}: got {status} {response.content[:200]!r}, expected {expected}"
            )
    assert not failures, "\n".join(failures)


@pytest.mark.django_db
def test_the_list_shows_each_persona_what_the_organization_page_lists(persona_world, make_token, client):
    """The API's workspace list and the organization home list the same workspaces for everyone."""
    from organizations.access import Access
    from workspaces.selectors import workspace_list_for_user

    for persona, user in persona_world.users.items():
        if user is None or persona == "outsider":
            continue
        api = ApiClient(make_token(user)[1])
        listed = [
            w["id"]
            for w in api.get("workspaces", organization=persona_world.organization.slug).json()["items"]
        ]
        access = Access.for_user(user, persona_world.organization)
        expected = list(
            workspace_list_for_user(organization=persona_world.organization, access=access).values_list(
                "slug", flat=True
            )
        )
        assert listed == expected, persona
