"""Creating a second organization with a name one already belongs to is pointed out first."""

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from organizations.models import Organization

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _created_a_while_ago(organization):
    """Not a double submit: the first organization is older than the double-submit window."""
    Organization.objects.filter(pk=organization.pk).update(created_at=timezone.now() - timedelta(hours=1))


def test_a_name_already_used_by_the_same_user_is_pointed_out_before_a_second_one(owner_client, organization):
    url = reverse("organizations:create")
    response = owner_client.post(url, {"name": "acme ml"})
    page = response.content.decode()
    assert response.status_code == 200
    assert "You already belong to an organization named “Acme ML”." in page
    assert f'href="/orgs/{organization.slug}/"' in page
    assert "Create a second “acme ml”" in page
    assert Organization.objects.count() == 1
    response = owner_client.post(url, {"name": "acme ml", "same_name_confirmed": "acme ml"})
    assert response.status_code == 302
    assert Organization.objects.count() == 2


def test_a_confirmation_covers_only_the_name_it_was_given_for(owner_client, organization):
    response = owner_client.post(
        reverse("organizations:create"), {"name": "Acme ML", "same_name_confirmed": "Other name"}
    )
    assert "You already belong to an organization named" in response.content.decode()
    assert Organization.objects.count() == 1


def test_a_new_name_is_created_at_once(owner_client, organization):
    response = owner_client.post(reverse("organizations:create"), {"name": "Beta Labs"})
    assert response.status_code == 302 and Organization.objects.count() == 2
