"""A CI job's path with a service account's key: create a staging workspace with labels, give a team
a role on it, read the audit events that name the service account; then an Admin rotates the key and
the old one dies once its grace period is over."""

from datetime import timedelta
from unittest import mock

import pytest
from django.utils import timezone

from organization_api.tests.conftest import ApiClient
from organizations.services import team_create
from service_accounts.services import (
    service_account_create,
    service_account_key_create,
    service_account_key_rotate,
)

pytestmark = pytest.mark.django_db


def test_a_ci_job_creates_and_shares_a_workspace_then_its_key_is_rotated(organization, owner):
    # Admin: it grants roles and reads the audit log, as the job's steps need.
    service_account = service_account_create(
        organization=organization, name="ci-staging", role="admin", acting_user=owner
    )
    key, secret = service_account_key_create(
        service_account=service_account, name="GitHub Actions", acting_user=owner
    )
    team = team_create(organization=organization, name="Data science", acting_user=owner)
    ci = ApiClient(secret)

    created = ci.post(
        "workspaces",
        {
            "organization": organization.slug,
            "id": "churn-staging",
            "name": "Churn staging",
            "labels": {"environment": "staging"},
        },
        headers={"Idempotency-Key": "build-4711"},
    )
    assert created.status_code == 201, created.json()
    assert created.json()["labels"] == {"environment": "staging"}

    shared = ci.post(
        f"organizations/{organization.slug}/role-assignments",
        {"workspace": "churn-staging", "team": team.pk, "role": "developer"},
    )
    assert shared.status_code == 201, shared.json()
    assert shared.json()["team_name"] == "Data science" and shared.json()["role"] == "developer"

    events = ci.get(f"organizations/{organization.slug}/audit-events").json()["items"]
    by_the_job = [e for e in events if e["actor_type"] == "service_account"]
    assert {e["action"] for e in by_the_job} >= {"workspace.create", "workspace_role.assign"}
    assert all(e["credential"] == f"ci-staging: GitHub Actions ({key.hint}…)" for e in by_the_job)
    assert all(e["actor"]["id"] == service_account.user.pk for e in by_the_job if e["actor"])

    _, new_secret = service_account_key_rotate(key=key, acting_user=owner, grace_period=timedelta(hours=2))
    path = "workspaces/churn-staging"
    assert ci.get(path).status_code == 200  # the grace period: jobs not yet moved keep running
    assert ApiClient(new_secret).get(path).status_code == 200
    later = timezone.now() + timedelta(hours=2, minutes=1)
    with mock.patch("django.utils.timezone.now", return_value=later):
        assert ci.get(path).status_code == 401
        assert ApiClient(new_secret).get(path).status_code == 200
