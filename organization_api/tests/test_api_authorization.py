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
]  # fmt: skip


def _fill(value, world):
    if isinstance(value, dict):
        return {k: _fill(v, world) for k, v in value.items()}
    if isinstance(value, str):
        return value.format(org=world.organization.slug, ws=world.workspace.slug)
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
            response = api.request(method, url, _fill(body, persona_world) if method != "GET" else None)
            transaction.set_rollback(True)
        status = response.status_code
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
