import pytest
from django.urls import reverse

pytestmark = pytest.mark.django_db

HTMX = {"HX-Request": "true"}


def _vary(response) -> list[str]:
    return [part.strip() for part in response.get("Vary", "").split(",")]


def test_the_login_page_varies_on_hx_request(client):
    response = client.get(reverse("login"))
    assert response.status_code == 200
    assert "HX-Request" in _vary(response)


@pytest.mark.parametrize(
    ("name", "headers"),
    [
        ("organizations:home", {}),
        ("organizations:members", {}),
        ("organizations:members", {**HTMX, "HX-Target": "member-list"}),
        ("organizations:audit", {**HTMX, "HX-Target": "audit-results"}),
    ],
)
def test_organization_pages_and_their_fragments_vary_on_hx_request(owner_client, organization, name, headers):
    response = owner_client.get(reverse(name, args=[organization.slug]), headers=headers)
    assert response.status_code == 200
    assert "HX-Request" in _vary(response)


@pytest.mark.parametrize(("name", "headers"), [("workspaces:overview", {}), ("workspaces:status", HTMX)])
def test_workspace_pages_and_their_fragments_vary_on_hx_request(owner_client, make_workspace, name, headers):
    make_workspace("vary-ws")
    response = owner_client.get(reverse(name, args=["vary-ws"]), headers=headers)
    assert response.status_code == 200
    assert "HX-Request" in _vary(response)


def test_json_answers_do_not_vary_on_hx_request(client):
    response = client.get(reverse("healthz"))
    assert "HX-Request" not in _vary(response)
