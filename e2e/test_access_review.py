"""A protected workspace in a real browser: its mark, a role given until a date on the Members page,
and an access review completed and its evidence downloaded, with no console or CSP error and no serious
accessibility violation on the way."""

import csv
import datetime
import io
import json
from pathlib import Path

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from organizations.models import DimensionValue
from workspaces.models import WorkspaceRoleAssignment
from workspaces.services import workspace_create


@pytest.mark.django_db(transaction=True)
def test_owner_reviews_access_to_a_production_workspace(
    page, watch, live_server, organization, owner, password, add_member, check_a11y, screenshot
):
    base = live_server.url
    production = DimensionValue.objects.get(
        dimension__organization=organization, dimension__key="environment", value="production"
    )
    workspace_create(organization=organization, slug="payments-prod", display_name="Payments",
                     label_values=[production], acting_user=owner)  # fmt: skip
    contractor = add_member("member", "contractor@example.com")
    leaver = add_member("member", "leaver@example.com")

    page.goto(f"{base}/accounts/login/")
    page.get_by_label("Email").fill(owner.email)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Log in").click()
    expect(page.locator("#workspace-list")).to_contain_text("Protected")

    # Two roles: one until a date, one for good.
    page.goto(f"{base}/w/payments-prod/settings/members/")
    expect(page.locator(".ws-header")).to_contain_text("Protected")
    until = timezone.localdate() + datetime.timedelta(days=30)
    for person, days in ((contractor, until), (leaver, None)):
        add_people = page.get_by_role("region", name="Add people")
        add_people.get_by_label("Person").select_option(label=person.email)
        add_people.get_by_label("Role").select_option("viewer")
        if days:
            add_people.get_by_label("Until").fill(days.isoformat())
        add_people.get_by_role("button", name="Give role").click()
        expect(page.locator("#users-section table")).to_contain_text(person.email)
    assert WorkspaceRoleAssignment.objects.get(user=contractor).expires_on == until
    check_a11y("members page of a protected workspace")

    # The review: keep the contractor, remove the leaver with a reason.
    page.get_by_role("link", name="Access review").click()
    expect(page.get_by_role("heading", name="Access review")).to_be_visible()
    check_a11y("access review page")
    screenshot("access-review")
    page.locator("tr", has_text="leaver@example.com").get_by_label("Remove").check()
    page.get_by_label("Reason for leaver@example.com (optional)").fill("Left the company")
    page.get_by_role("button", name="Complete review").click()
    expect(page.get_by_text("Access review completed: 1 kept, 1 removed")).to_be_visible()
    assert not WorkspaceRoleAssignment.objects.filter(user=leaver).exists()

    with page.expect_download() as download:
        page.get_by_role("link", name="CSV").click()
    rows = list(csv.DictReader(io.StringIO(Path(download.value.path()).read_text())))
    decisions = {row["email"]: (row["decision"], row["reason"]) for row in rows}
    assert decisions["leaver@example.com"] == ("remove", "Left the company")
    assert decisions["contractor@example.com"][0] == "keep"
    with page.expect_download() as download:
        page.get_by_role("link", name="JSON").click()
    document = json.loads(Path(download.value.path()).read_text())
    assert document["workspace"]["id"] == "payments-prod" and document["removed"] == 1
    watch.assert_clean("access review")

    page.set_viewport_size({"width": 375, "height": 800})
    page.reload()
    assert page.evaluate("document.documentElement.scrollWidth") <= 375
    screenshot("access-review-375")
