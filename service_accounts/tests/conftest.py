"""Fixtures of the service accounts' tests: a service account of the organization, and its key."""

import pytest
from django.core.cache import cache


@pytest.fixture(autouse=True)
def _fresh_throttle_counters():
    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def service_account(organization, owner):
    from service_accounts.services import service_account_create

    return service_account_create(
        organization=organization, name="ci-staging", role="manager", acting_user=owner, description="CI"
    )


@pytest.fixture
def api_key(service_account, owner):
    """(key row, the key itself) of the service account."""
    from service_accounts.services import service_account_key_create

    return service_account_key_create(
        service_account=service_account, name="GitHub Actions", acting_user=owner
    )
