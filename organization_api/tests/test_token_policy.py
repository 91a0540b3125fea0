"""An organization's maximum token lifetime: tokens that outlive it are refused there (and only
there) from their next call; only those who manage policies set it, and changing it is audited."""

import pytest

from organizations.models import AuditEvent

from .conftest import ApiClient

pytestmark = pytest.mark.django_db


def test_a_token_outliving_the_maximum_is_refused_in_that_organization_only(
    api_as, owner, organization, make_token, make_workspace, outsider
):
    from organizations.services import organization_create

    make_workspace("ml-core")
    elsewhere = organization_create(name="Side project", acting_user=owner)
    long_lived = ApiClient(make_token(owner, days=90)[1])
    assert long_lived.get(f"organizations/{organization.slug}").status_code == 200

    response = api_as(owner).patch(
        f"organizations/{organization.slug}/token-policy", {"max_token_lifetime_days": 30}
    )
    assert response.status_code == 200 and response.json() == {"max_token_lifetime_days": 30}

    for refused in [
        long_lived.get(f"organizations/{organization.slug}"),
        long_lived.get("workspaces/ml-core"),
        long_lived.post("workspaces", {"organization": organization.slug, "id": "ci-new", "name": "New"}),
    ]:
        assert refused.status_code == 403
        assert (
            refused.json()["error"]["code"] == "token_policy"
            and "30 days" in refused.json()["error"]["message"]
        )
    assert long_lived.get(f"organizations/{elsewhere.slug}").status_code == 200
    assert long_lived.get("workspaces").json()["items"] == []  # the refusing organization is left out
    short_lived = ApiClient(make_token(owner, days=30)[1])
    assert short_lived.get("workspaces/ml-core").status_code == 200
    # An outsider still learns nothing: 404, not the policy.
    assert api_as(outsider).get(f"organizations/{organization.slug}").status_code == 404


def test_only_policy_managers_set_it_and_it_is_audited(api_as, owner, manager, organization, make_token):
    url = f"organizations/{organization.slug}/token-policy"
    assert api_as(manager).get(url).json() == {"max_token_lifetime_days": None}
    assert api_as(manager).patch(url, {"max_token_lifetime_days": 7}).status_code == 403
    assert (
        api_as(owner).patch(url, {"max_token_lifetime_days": 0}).json()["error"]["field"]
        == "max_token_lifetime_days"
    )
    api_as(owner).patch(url, {"max_token_lifetime_days": 7})
    event = AuditEvent.objects.get(action="token_policy.update")
    assert event.after == {"max_token_lifetime_days": 7} and event.actor_type == "token"
    assert (
        api_as(owner).patch(url, {"max_token_lifetime_days": None}).status_code == 403
    )  # a 30-day token now
    week = ApiClient(make_token(owner, days=7)[1])
    assert week.patch(url, {"max_token_lifetime_days": None}).json() == {"max_token_lifetime_days": None}
