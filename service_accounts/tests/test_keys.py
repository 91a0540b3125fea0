"""A service account's API keys: made, used, rotated with a grace period, revoked; each change is
noticed at the next call of the organization API."""

from datetime import timedelta
from unittest import mock

import pytest
from django.contrib.auth import authenticate
from django.test import RequestFactory
from django.utils import timezone

from organization_api.tests.conftest import ApiClient
from organizations.models import AuditEvent
from service_accounts.models import ServiceAccountKey
from service_accounts.services import (
    service_account_deactivate,
    service_account_key_revoke,
    service_account_key_rotate,
    service_account_reactivate,
)

pytestmark = pytest.mark.django_db


def _later(hours):
    """`timezone.now()` as it will be in `hours` hours, for the services and selectors."""
    moment = timezone.now() + timedelta(hours=hours)
    return mock.patch("django.utils.timezone.now", return_value=moment)


def test_a_service_account_is_a_member_that_cannot_sign_in(service_account, organization):
    user = service_account.user
    assert user.is_service_account and not user.has_usable_password()
    assert user.memberships.get(organization=organization).role == "manager"
    request = RequestFactory().post("/accounts/login/")
    assert authenticate(request, username=user.email, password="") is None
    event = AuditEvent.objects.get(action="service_account.create")
    assert event.target_label == "ci-staging" and event.principal_id == str(user.pk)


def test_a_key_is_shown_once_stored_hashed_and_recognisable(api_key):
    key, secret = api_key
    assert secret.startswith("ZENPROKEY_") and len(secret) == len("ZENPROKEY_") + 48
    stored = ServiceAccountKey.objects.get(pk=key.pk)
    assert secret not in (stored.key_hash, stored.hint) and stored.hint == secret[:14]


def test_a_key_calls_the_api_as_the_service_account_and_records_its_use(api_key, organization):
    key, secret = api_key
    response = ApiClient(secret).get(f"organizations/{organization.slug}")
    assert response.status_code == 200
    key.refresh_from_db()
    assert key.last_used_at is not None and key.last_used_ip == "127.0.0.1"


def test_a_revoked_key_stops_at_the_next_call(api_key, organization, owner):
    key, secret = api_key
    api = ApiClient(secret)
    assert api.get(f"organizations/{organization.slug}").status_code == 200
    service_account_key_revoke(key=key, acting_user=owner)
    response = api.get(f"organizations/{organization.slug}")
    assert response.status_code == 401
    assert response.json()["error"]["message"] == "This API key was revoked."
    assert AuditEvent.objects.filter(action="service_account_key.revoke", target_id=str(key.pk)).exists()


def test_a_rotated_key_works_through_its_grace_period_then_dies(api_key, organization, owner):
    key, old_secret = api_key
    new_key, new_secret = service_account_key_rotate(key=key, acting_user=owner)  # 24 hours by default
    old, new = ApiClient(old_secret), ApiClient(new_secret)
    path = f"organizations/{organization.slug}"
    assert old.get(path).status_code == 200 and new.get(path).status_code == 200
    with _later(23):
        assert old.get(path).status_code == 200
    with _later(25):
        response = old.get(path)
        assert response.status_code == 401 and "grace period is over" in response.json()["error"]["message"]
        assert new.get(path).status_code == 200
    key.refresh_from_db()
    assert key.rotated_to == new_key and new_key.name == key.name
    event = AuditEvent.objects.get(action="service_account_key.rotate")
    assert event.after["new_key"] == new_key.hint and event.after["grace_hours"] == 24


def test_a_rotation_without_grace_ends_the_old_key_at_once(api_key, organization, owner):
    key, old_secret = api_key
    service_account_key_rotate(key=key, acting_user=owner, grace_period=timedelta(0))
    assert ApiClient(old_secret).get(f"organizations/{organization.slug}").status_code == 401


def test_a_deactivated_service_account_keys_stop_and_come_back(service_account, api_key, organization, owner):
    _, secret = api_key
    path = f"organizations/{organization.slug}"
    service_account_deactivate(service_account=service_account, acting_user=owner)
    assert ApiClient(secret).get(path).status_code == 401
    service_account_reactivate(service_account=service_account, acting_user=owner)
    assert ApiClient(secret).get(path).status_code == 200


def test_unknown_keys_are_refused(organization):
    response = ApiClient("ZENPROKEY_" + "x" * 48).get(f"organizations/{organization.slug}")
    assert response.status_code == 401 and response.json()["error"]["code"] == "unauthenticated"


def test_writes_with_a_key_are_audited_as_the_service_account(api_key, organization, service_account):
    key, secret = api_key
    response = ApiClient(secret).post(
        "workspaces", {"organization": organization.slug, "id": "ci-staging", "name": "CI staging"}
    )
    assert response.status_code == 201, response.json()
    event = AuditEvent.objects.get(action="workspace.create")
    assert event.actor_type == "service_account" and event.actor == service_account.user
    assert event.actor_credential_id == str(key.pk)
    assert event.actor_credential_label == f"ci-staging: GitHub Actions ({key.hint}…)"


def test_a_service_account_cannot_create_an_organization(api_key):
    _, secret = api_key
    response = ApiClient(secret).post("organizations", {"name": "Escape"})
    assert response.status_code == 403


def test_a_service_account_never_becomes_an_owner(service_account, organization, owner):
    from organizations.errors import InvalidError, TargetDeniedError
    from organizations.services import membership_change_role, ownership_transfer
    from service_accounts.services import service_account_create

    membership = service_account.user.memberships.get(organization=organization)
    with pytest.raises(TargetDeniedError):
        membership_change_role(membership=membership, role="owner", acting_user=owner)
    with pytest.raises(TargetDeniedError):
        ownership_transfer(organization=organization, to_membership=membership, acting_user=owner)
    with pytest.raises(InvalidError):
        service_account_create(organization=organization, name="boss", role="owner", acting_user=owner)
