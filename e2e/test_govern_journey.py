"""Issue 8's journey in one browser session: a staging workspace made through the stepper and a
production one through the service, each found in its board column; filtered by a team, shown as a
matrix, reloaded to the same view; the production workspace's overdue access review reached from
"needs attention", completed, and its CSV evidence downloaded with the people reviewed. No console
error, CSP violation or failed request on the way."""

import csv
import datetime
import io
import re
from pathlib import Path

import pytest
from django.utils import timezone
from playwright.sync_api import Page, expect


def value(organization, dimension, key):
    from organizations.models import DimensionValue

    return DimensionValue.objects.get(
        dimension__organization=organization, dimension__key=dimension, value=key
    )


def column(page: Page, title: str):
    heading = page.get_by_role("heading", level=2, name=re.compile(rf"^{re.escape(title)} \d+"))
    return page.locator(".board__column").filter(has=heading)


@pytest.mark.django_db(transaction=True)
def test_staging_and_production_from_board_to_matrix_to_a_completed_access_review(
    page: Page, live_server, watch, organization, owner, password, add_member, make_workspace
):
    from organizations.services.teams import team_create
    from workspaces.models import Workspace
    from workspaces.services import workspace_role_assign

    team_create(organization=organization, name="Data Science", acting_user=owner)
    team_create(organization=organization, name="Platform", acting_user=owner)
    analyst = add_member("member", "analyst@example.com")
    auditor = add_member("member", "auditor@example.com")
    base, home = live_server.url, f"{live_server.url}/orgs/{organization.slug}/"

    page.goto(f"{base}/accounts/login/")
    page.get_by_label("Email").fill(owner.email)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Log in").click()
    expect(page).to_have_url(home)

    # A staging workspace through the stepper.
    page.goto(f"{home}workspaces/new/")
    expect(page.get_by_role("heading", level=1)).to_have_text("New Workspace")
    page.get_by_label("Name", exact=True).fill("Churn staging")
    expect(page.get_by_label("Workspace ID")).to_have_value("churn-staging")
    page.get_by_role("button", name="Next").click()
    page.get_by_label("Environment").select_option(label="Staging")
    page.get_by_label("Team").select_option(label="Data Science")
    page.get_by_role("button", name="Next").click()
    page.get_by_role("button", name="Next").click()
    page.get_by_role("button", name="Create Workspace").click()
    expect(page).to_have_url(f"{base}/w/churn-staging/")
    watch.assert_clean("the stepper")

    # A production workspace (protected by default) and another team's, through the service; two
    # people with roles on the production one; its access review overdue.
    production = make_workspace(
        "churn-prod",
        display_name="Churn production",
        label_values=[
            value(organization, "environment", "production"),
            value(organization, "team", "data-science"),
        ],
    )
    make_workspace(
        "infra-prod",
        display_name="Infra production",
        label_values=[
            value(organization, "environment", "production"),
            value(organization, "team", "platform"),
        ],
    )
    for person, role in ((analyst, "developer"), (auditor, "viewer")):
        workspace_role_assign(workspace=production, user=person, role=role, acting_user=owner)
    Workspace.objects.filter(pk=production.pk).update(
        access_review_due_at=timezone.now() - datetime.timedelta(days=2)
    )

    # The board: each in its environment's column.
    page.goto(home)
    page.get_by_role("navigation", name="View").get_by_role("link", name="Board").click()
    expect(page).to_have_url(re.compile(r"\?view=board&by=environment$"))
    expect(column(page, "Staging").get_by_role("link", name="Churn staging")).to_be_visible()
    expect(column(page, "Production").get_by_role("link", name="Churn production")).to_be_visible()
    expect(column(page, "Production").get_by_role("link", name="Infra production")).to_be_visible()
    expect(column(page, "Production")).to_contain_text("Protected")
    expect(column(page, "Production")).to_contain_text("Review overdue")

    # Filter by a team: the other team's workspace goes, in every column.
    page.get_by_text("Filter", exact=True).click()
    page.locator(".filter-menu").get_by_role("link", name="Data Science").click()
    board_url = re.compile(r"\?view=board&by=environment&label=team%3Adata-science$")
    expect(page).to_have_url(board_url)
    expect(column(page, "Production").get_by_role("link", name="Infra production")).to_have_count(0)
    expect(column(page, "Production").get_by_role("link", name="Churn production")).to_be_visible()
    expect(column(page, "Staging").get_by_role("link", name="Churn staging")).to_be_visible()

    # The matrix of the same filter; a reload shows the same view.
    page.get_by_role("navigation", name="View").get_by_role("link", name="Matrix").click()
    matrix_url = re.compile(r"\?view=matrix&rows=project&cols=environment&label=team%3Adata-science$")
    expect(page).to_have_url(matrix_url)
    matrix = page.get_by_role("region", name="Matrix")
    expect(matrix).to_contain_text("Churn staging")
    expect(matrix).to_contain_text("Churn production")
    expect(matrix).not_to_contain_text("Infra production")
    page.reload()
    expect(page).to_have_url(matrix_url)
    matrix = page.get_by_role("region", name="Matrix")
    expect(matrix).to_contain_text("Churn staging")
    expect(matrix).to_contain_text("Churn production")
    expect(matrix).not_to_contain_text("Infra production")
    expect(page.get_by_role("list", name="Active filters")).to_contain_text("Team: Data Science")
    watch.assert_clean("organization home views")

    # The list at 1280 px: every row one line high, marks and labels included.
    page.get_by_role("navigation", name="View").get_by_role("link", name="List").click()
    rows = page.locator("#workspace-list table.table--dense tbody tr")  # the list's rows, not the matrix's
    expect(rows).to_have_count(2)  # the team filter still holds
    heights = [rows.nth(i).bounding_box()["height"] for i in range(rows.count())]
    assert max(heights) - min(heights) < 2 and max(heights) < 56, heights

    # The overdue review, from "needs attention".
    attention = page.get_by_role("region", name="Needs attention")
    expect(attention).to_contain_text("Access reviews overdue")
    attention.get_by_role("link", name="Churn production").click()
    expect(page).to_have_url(f"{base}/w/churn-prod/settings/access-review/")
    expect(page.get_by_role("heading", name="Access review")).to_be_visible()
    page.get_by_role("button", name="Complete review").click()
    expect(page.get_by_text(re.compile(r"Access review completed: \d+ kept, 0 removed"))).to_be_visible()
    production.refresh_from_db()
    assert production.access_review_due_at > timezone.now()

    with page.expect_download() as download:
        page.get_by_role("link", name="CSV").click()
    rows = list(csv.DictReader(io.StringIO(Path(download.value.path()).read_text())))
    decisions = {row["email"]: row["decision"] for row in rows}
    assert decisions["analyst@example.com"] == "keep" and decisions["auditor@example.com"] == "keep", (
        decisions
    )
    watch.assert_clean("access review and its evidence")
