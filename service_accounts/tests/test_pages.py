"""The service accounts pages: an Admin creates one, gives it a key (shown once), rotates and revokes
keys and deactivates it; the members page marks it as a service account."""

import pytest

from organizations.models import AuditEvent
from service_accounts.models import ServiceAccount, ServiceAccountKey

pytestmark = pytest.mark.django_db


def test_an_owner_creates_a_service_account_and_its_key(owner_client, organization):
    base = f"/orgs/{organization.slug}/settings/service-accounts/"
    response = owner_client.post(base, {"name": "nightly", "description": "Retrains", "role": "member"})
    account = ServiceAccount.objects.get(name="nightly")
    assert response.status_code == 302 and response["Location"] == f"{base}{account.pk}/"

    response = owner_client.post(f"{base}{account.pk}/", {"name": "Airflow"})
    key = ServiceAccountKey.objects.get(service_account=account)
    page = response.content.decode()
    assert response["Cache-Control"] == "no-store" and "shown only this once" in page
    secret = page.split('id="new-key-value">', 1)[1].split("<", 1)[0]
    assert secret.startswith(key.hint)
    assert secret not in owner_client.get(f"{base}{account.pk}/").content.decode()  # once only

    response = owner_client.post(f"{base}{account.pk}/keys/{key.pk}/rotate/", {"grace_hours": "6"})
    assert "keeps working until" in response.content.decode()
    key.refresh_from_db()
    assert key.status == "rotating" and key.rotated_to is not None

    members = owner_client.get(f"/orgs/{organization.slug}/settings/members/").content.decode()
    assert "nightly" in members and "Service account" in members and "service-accounts.invalid" not in members

    owner_client.post(f"{base}{account.pk}/keys/{key.rotated_to.pk}/revoke/")
    owner_client.post(f"{base}{account.pk}/deactivate/")
    account.refresh_from_db()
    assert not account.active and not account.user.is_active
    assert set(
        AuditEvent.objects.filter(action__startswith="service_account").values_list("action", flat=True)
    ) == {
        "service_account.create",
        "service_account_key.create",
        "service_account_key.rotate",
        "service_account_key.revoke",
        "service_account.deactivate",
    }


def test_another_organizations_service_account_is_not_found(owner_client, outsider):
    from organizations.models import Organization
    from service_accounts.services import service_account_create

    other = Organization.objects.get(memberships__user=outsider)
    account = service_account_create(organization=other, name="theirs", role="member", acting_user=outsider)
    response = owner_client.get(f"/orgs/{other.slug}/settings/service-accounts/{account.pk}/")
    assert response.status_code == 404
