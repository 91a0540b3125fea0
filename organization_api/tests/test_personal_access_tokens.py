"""A personal access token's life: created with a required expiry, shown once, stored hashed,
recognisable, recording its last use, and refused from the next call once revoked or expired."""

from datetime import timedelta

import pytest
from django.utils import timezone

from organization_api.models import PersonalAccessToken
from organization_api.services import personal_access_token_create, personal_access_token_revoke
from organization_api.tokens import token_hash
from organizations.errors import InvalidError, NotFoundError

from .conftest import ApiClient

pytestmark = pytest.mark.django_db


def test_a_token_is_stored_only_as_its_hash_and_is_recognisable(owner, make_token):
    token, secret = make_token(owner, name="CI")
    assert secret.startswith("atr_pat_") and len(secret) == 48
    stored = PersonalAccessToken.objects.get(pk=token.pk)
    assert stored.token_hash == token_hash(secret) and secret not in stored.token_hash
    assert stored.hint == secret[:12] and stored.user == owner


@pytest.mark.parametrize(
    ("expires_in", "field"),
    [(None, "expires_at"), (timedelta(hours=-1), "expires_at"), (timedelta(days=400), "expires_at")],
)
def test_a_token_needs_an_expiry_within_a_year(owner, expires_in, field):
    expires_at = None if expires_in is None else timezone.now() + expires_in
    with pytest.raises(InvalidError) as refusal:
        personal_access_token_create(name="CI", expires_at=expires_at, acting_user=owner)
    assert refusal.value.field == field


def test_a_token_acts_as_its_owner_and_records_its_last_use(owner, organization, make_token):
    token, secret = make_token(owner)
    response = ApiClient(secret).request("GET", "organizations", headers={"X-Forwarded-For": "1.2.3.4"})
    assert response.status_code == 200
    assert [org["slug"] for org in response.json()] == [organization.slug]
    token.refresh_from_db()
    assert token.last_used_at is not None and token.last_used_ip == "127.0.0.1"


def test_a_revoked_token_stops_at_the_next_call(owner, make_token):
    token, secret = make_token(owner)
    api = ApiClient(secret)
    assert api.get("organizations").status_code == 200
    personal_access_token_revoke(token_id=token.pk, acting_user=owner)
    response = api.get("organizations")
    assert response.status_code == 401
    assert response.json()["error"] == {
        "code": "unauthenticated",
        "message": "This token was revoked.",
        "field": None,
    }


def test_an_expired_token_stops_at_the_next_call(owner, make_token):
    token, secret = make_token(owner)
    api = ApiClient(secret)
    assert api.get("organizations").status_code == 200
    PersonalAccessToken.objects.filter(pk=token.pk).update(expires_at=timezone.now() - timedelta(seconds=1))
    response = api.get("organizations")
    assert response.status_code == 401 and response.json()["error"]["message"] == "This token has expired."


def test_a_deactivated_persons_token_stops(owner, make_token):
    _, secret = make_token(owner)
    owner.is_active = False
    owner.save()
    assert ApiClient(secret).get("organizations").status_code == 401


def test_an_unknown_or_malformed_token_is_401_even_with_a_session(client, owner):
    client.force_login(owner)
    for value in ["atr_pat_" + "x" * 40, "ghp_something"]:
        response = ApiClient(value, client).get("organizations")
        assert response.status_code == 401
        assert response.json()["error"]["code"] == "unauthenticated"
        assert response["WWW-Authenticate"].startswith("Bearer")


def test_only_the_owner_revokes_a_token(owner, make_user, make_token):
    token, _ = make_token(owner)
    with pytest.raises(NotFoundError):
        personal_access_token_revoke(token_id=token.pk, acting_user=make_user("someone@example.com"))
    token.refresh_from_db()
    assert token.revoked_at is None


# --- The page -----------------------------------------------------------------------------------


def test_the_page_creates_a_token_and_shows_it_once(owner_client, owner):
    response = owner_client.post("/accounts/tokens/", {"name": "Nightly job", "expires_in": "30"})
    assert response.status_code == 200
    secret = response.context["secret"]
    assert secret.startswith("atr_pat_") and secret in response.content.decode()
    assert response["Cache-Control"] == "no-store"
    token = PersonalAccessToken.objects.get(user=owner)
    assert token.name == "Nightly job" and token.token_hash == token_hash(secret)
    assert timedelta(days=29) < token.expires_at - timezone.now() <= timedelta(days=30)
    again = owner_client.get("/accounts/tokens/").content.decode()
    assert secret not in again and token.hint in again


def test_the_page_needs_a_date_for_a_custom_expiry(owner_client, owner):
    response = owner_client.post("/accounts/tokens/", {"name": "Job", "expires_in": "custom"})
    assert response.context["form"].errors == {"expires_on": ["Choose the date the token expires."]}
    assert not PersonalAccessToken.objects.exists()
    later = (timezone.now() + timedelta(days=500)).date().isoformat()
    response = owner_client.post(
        "/accounts/tokens/", {"name": "Job", "expires_in": "custom", "expires_on": later}
    )
    assert "at most a year" in str(response.context["form"].errors)


def test_the_page_revokes_ones_own_token_only(client, owner, make_user, make_token):
    token, _ = make_token(owner)
    other = make_user("other@example.com")
    client.force_login(other)
    client.post(f"/accounts/tokens/{token.pk}/revoke/")
    token.refresh_from_db()
    assert token.revoked_at is None
    client.force_login(owner)
    response = client.post(f"/accounts/tokens/{token.pk}/revoke/", follow=True)
    token.refresh_from_db()
    assert token.revoked_at is not None and "revoked" in response.content.decode()


def test_the_page_needs_a_login(client):
    assert client.get("/accounts/tokens/").status_code == 302
