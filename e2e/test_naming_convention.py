"""The naming convention in the browser: the live line follows the ID in Details and the labels in
Organize (htmx, swapped in place), "Use this ID" takes the suggestion, and the Review agrees."""

import pytest
from playwright.sync_api import Page, expect


@pytest.mark.django_db(transaction=True)
def test_the_stepper_checks_the_convention_live_and_suggests_an_id(
    page: Page, live_server, watch, check_a11y, organization, owner, password
):
    from organizations.services import naming_convention_update, team_create

    team_create(organization=organization, name="Platform", acting_user=owner)
    naming_convention_update(
        organization=organization,
        convention="{team}-{environment}-{name}",
        description="Team, environment, then what it is for",
        enforced=True,
        acting_user=owner,
    )
    page.goto(f"{live_server.url}/accounts/login/")
    page.get_by_label("Email").fill(owner.email)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Log in").click()
    page.goto(f"{live_server.url}/orgs/{organization.slug}/workspaces/new/")

    line = page.locator("#naming-check")
    page.get_by_label("Name", exact=True).fill("Churn model")
    page.get_by_label("Workspace ID").fill("churn-model")
    expect(line).to_contain_text("the Team key, “-”, the Environment key, “-”, then a name of your own")
    page.get_by_label("Workspace ID").fill("platform-staging-churn")
    expect(line).to_contain_text("if you choose Team “Platform” and Environment “Staging”")
    page.get_by_label("Workspace ID").fill("churn-model")
    expect(line).to_have_class("naming-check naming-check--mismatch")
    check_a11y("stepper details with a naming convention")
    page.get_by_role("button", name="Next").click()

    expect(page.get_by_role("heading", name="Organize")).to_be_visible()
    page.get_by_label("Team").select_option("platform")
    expect(line).to_contain_text("Should start with “platform-”")
    page.get_by_label("Environment").select_option("staging")
    expect(line).to_contain_text("Should start with “platform-staging-”")
    expect(line).to_contain_text("platform-staging-churn-model")
    page.get_by_role("button", name="Use this ID").click()
    expect(page.locator("#naming-check")).to_contain_text("Follows the naming convention.")
    page.get_by_role("button", name="Next").click()
    page.get_by_role("button", name="Next").click()

    expect(page.get_by_role("heading", name="Review")).to_be_visible()
    expect(page.locator(".summary").first).to_contain_text("platform-staging-churn-model")
    expect(page.locator("#naming-check")).to_contain_text("Follows the naming convention.")
    page.get_by_role("button", name="Create Workspace").click()
    expect(page).to_have_url(f"{live_server.url}/w/platform-staging-churn-model/")
    watch.assert_clean("stepper with a naming convention")

    page.goto(f"{live_server.url}/orgs/{organization.slug}/settings/naming/")
    page.get_by_label("Convention", exact=True).fill("{teem}-{name}")
    page.get_by_role("button", name="Save convention").click()
    expect(page.get_by_text("“{teem}” is not a dimension key.")).to_be_visible()
    expect(page.get_by_label("Convention", exact=True)).to_have_value("{teem}-{name}")
    check_a11y("naming settings with an error")
    watch.assert_clean("naming settings")
