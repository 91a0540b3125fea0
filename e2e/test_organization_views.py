"""The organization home's views in a browser: create a staging workspace from an empty matrix cell
(its labels preset in the stepper), find it and a production workspace in their board columns, filter
by a team, open the matrix, reload and see the same view; back returns to the board."""

import re

import pytest
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
def test_board_filter_and_matrix_keep_their_state_in_the_url(
    page: Page, live_server, watch, check_a11y, screenshot, organization, owner, password, make_workspace
):
    from organizations.services.teams import team_create

    team_create(organization=organization, name="Data Science", acting_user=owner)
    team_create(organization=organization, name="Platform", acting_user=owner)
    make_workspace(
        "churn-prod",
        display_name="Churn production",
        label_values=[
            value(organization, "environment", "production"),
            value(organization, "project", "default"),
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
    home = f"{live_server.url}/orgs/{organization.slug}/"
    page.goto(f"{live_server.url}/accounts/login/")
    page.get_by_label("Email").fill(owner.email)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Log in").click()
    expect(page).to_have_url(home)

    # An empty cell of the matrix starts a workspace with both of its labels chosen.
    views = page.get_by_role("navigation", name="View")
    views.get_by_role("link", name="Matrix").click()
    expect(page).to_have_url(re.compile(r"\?view=matrix&rows=project&cols=environment$"))
    default_row = page.get_by_role("row").filter(
        has=page.get_by_role("rowheader", name=re.compile("^Default"))
    )
    default_row.get_by_role("cell").nth(1).get_by_role("link", name="+ New Workspace").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("New Workspace")
    page.get_by_label("Name", exact=True).fill("Churn staging")
    expect(page.get_by_label("Workspace ID")).to_have_value("churn-staging")
    page.get_by_role("button", name="Next").click()
    expect(page.get_by_label("Environment")).to_have_value("staging")
    expect(page.get_by_label("Project")).to_have_value("default")
    page.get_by_label("Team").select_option(label="Data Science")
    page.get_by_role("button", name="Next").click()
    page.get_by_role("button", name="Next").click()
    page.get_by_role("button", name="Create Workspace").click()
    expect(page).to_have_url(f"{live_server.url}/w/churn-staging/")
    watch.assert_clean("the stepper from a matrix cell")

    # The board: each workspace in its environment's column.
    page.goto(home)
    page.get_by_role("navigation", name="View").get_by_role("link", name="Board").click()
    expect(page).to_have_url(re.compile(r"\?view=board&by=environment$"))
    expect(column(page, "Staging").get_by_role("link", name="Churn staging")).to_be_visible()
    expect(column(page, "Production").get_by_role("link", name="Churn production")).to_be_visible()
    expect(column(page, "Production").get_by_role("link", name="Infra production")).to_be_visible()
    expect(column(page, "Staging").get_by_role("link", name="Churn production")).to_have_count(0)
    check_a11y("organization home: board")
    screenshot("views-board")

    # Filter by a team: the chip stays pressed, the other team's workspace goes.
    page.get_by_text("Filter", exact=True).click()
    page.locator(".filter-menu").get_by_role("link", name="Data Science").click()
    expect(page).to_have_url(re.compile(r"\?view=board&by=environment&label=team%3Adata-science$"))
    expect(column(page, "Production").get_by_role("link", name="Infra production")).to_have_count(0)
    expect(column(page, "Production").get_by_role("link", name="Churn production")).to_be_visible()
    expect(page.get_by_role("list", name="Active filters")).to_contain_text("Team: Data Science")

    # The matrix of the same filter, and a reload shows the same view.
    page.get_by_role("navigation", name="View").get_by_role("link", name="Matrix").click()
    matrix_url = re.compile(r"\?view=matrix&rows=project&cols=environment&label=team%3Adata-science$")
    expect(page).to_have_url(matrix_url)
    matrix = page.get_by_role("region", name="Matrix")
    expect(matrix).to_contain_text("Churn staging")
    expect(matrix).not_to_contain_text("Infra production")
    page.reload()
    expect(page).to_have_url(matrix_url)
    expect(page.get_by_role("region", name="Matrix")).to_contain_text("Churn production")
    expect(page.get_by_role("list", name="Active filters")).to_contain_text("Team: Data Science")
    expect(page.get_by_role("navigation", name="View").get_by_role("link", name="Matrix")).to_have_attribute(
        "aria-current", "page"
    )
    check_a11y("organization home: matrix")
    screenshot("views-matrix")

    page.go_back()
    expect(page).to_have_url(re.compile(r"\?view=board&by=environment&label=team%3Adata-science$"))
    expect(column(page, "Staging").get_by_role("link", name="Churn staging")).to_be_visible()
    watch.assert_clean("organization home views")
