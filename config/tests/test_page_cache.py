"""The main pages come from memory while nothing they show changed, and never outlive a change."""

import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from organizations import changes
from workspaces.services import workspace_update

pytestmark = pytest.mark.django_db


@pytest.fixture
def home(organization):
    return reverse("organizations:home", args=[organization.slug])


def _without_nonces(content: bytes) -> bytes:
    return re.sub(rb'nonce="[^"]+"', b'nonce=""', content)


def _get(client, url, **headers):
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url, headers=headers)
    assert response.status_code == 200
    return response, len(queries)


def test_a_page_seen_again_unchanged_costs_almost_nothing(owner_client, home, make_workspace):
    make_workspace("fraud-detection")
    _get(owner_client, home)  # the first visit notes the organization in the session: not kept
    first, rendered = _get(owner_client, home)
    again, cached = _get(owner_client, home)
    assert _without_nonces(again.content) == _without_nonces(first.content)
    assert b"Fraud Detection" in again.content
    assert cached <= 3 < rendered  # the session, the user and the data stamp


def test_a_change_shows_on_the_next_request(owner_client, home, make_workspace, owner):
    workspace = make_workspace("fraud-detection")
    _get(owner_client, home)
    workspace_update(
        workspace=workspace, display_name="Card Fraud", description="", readme="", acting_user=owner
    )
    response, _ = _get(owner_client, home)
    assert b"Card Fraud" in response.content


def test_a_change_committed_by_another_process_shows_on_the_next_request(
    owner_client, home, make_workspace, owner
):
    workspace = make_workspace("fraud-detection")
    _get(owner_client, home)
    generations = dict(changes._generations)
    workspace_update(
        workspace=workspace, display_name="Card Fraud", description="", readme="", acting_user=owner
    )
    changes._generations.update(generations)  # as if another process wrote it …
    changes._data_bump()  # … and its commit moved the epoch
    response, _ = _get(owner_client, home)
    assert b"Card Fraud" in response.content


def test_a_hard_reload_renders_afresh(owner_client, home):
    _get(owner_client, home)
    _, queries = _get(owner_client, home, cache_control="no-cache")
    assert queries > 3


def test_each_person_gets_their_own_page(client, home, organization, owner, member, make_workspace):
    from workspaces.services import workspace_role_assign

    private = make_workspace("owners-only")
    shared = make_workspace("shared")
    workspace_role_assign(workspace=shared, user=member, role="viewer", acting_user=owner)
    client.force_login(owner)
    assert b"Owners Only" in _get(client, home)[0].content
    client.force_login(member)
    page = _get(client, home)[0].content
    assert b"Shared" in page and b'href="/w/owners-only/"' not in page
    assert private.slug


def test_the_csp_nonce_is_the_requests_own(owner_client, home):
    for _ in range(2):
        response, _ = _get(owner_client, home)
        nonce = re.search(r"'nonce-([^']+)'", response["Content-Security-Policy"])
        if nonce:
            assert f'nonce="{nonce.group(1)}"'.encode() in response.content
            assert response.content.count(b'nonce="') == response.content.count(
                f'nonce="{nonce.group(1)}"'.encode()
            )


def test_a_message_waiting_is_shown_not_a_stored_page(owner_client, make_workspace):
    """A refusal writes nothing, so the data stamp stays; its message must still show."""
    workspace = make_workspace("fraud-detection")
    overview = reverse("workspaces:overview", args=[workspace.slug])
    _get(owner_client, overview)
    _get(owner_client, overview)
    owner_client.post(reverse("workspaces:reactivate", args=[workspace.slug]))
    page, _ = _get(owner_client, overview)
    assert b"Only a deactivated workspace can be reactivated." in page.content
    again, _ = _get(owner_client, overview)
    assert b"Only a deactivated workspace can be reactivated." not in again.content
