"""The New Workspace stepper keeps what was typed across a reload, even before Next."""

import pytest
from playwright.sync_api import Page, expect


@pytest.mark.django_db(transaction=True)
def test_a_reload_keeps_what_was_typed(page: Page, live_server, watch, organization, owner, password):
    page.goto(f"{live_server.url}/accounts/login/")
    page.get_by_label("Email").fill(owner.email)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Log in").click()
    page.goto(f"{live_server.url}/orgs/{organization.slug}/workspaces/new/")
    page.get_by_label("Name", exact=True).fill("Half Typed")
    page.get_by_label("Description").fill("Not sent with Next yet")
    expect(page.get_by_label("Workspace ID")).to_have_value("half-typed")
    with page.expect_response(lambda response: response.request.method == "POST" and response.status == 204):
        page.get_by_label("Description").press("End")
        page.get_by_label("Description").type("!")
    page.reload()
    expect(page.get_by_label("Name", exact=True)).to_have_value("Half Typed")
    expect(page.get_by_label("Workspace ID")).to_have_value("half-typed")
    expect(page.get_by_label("Description")).to_have_value("Not sent with Next yet!")
    watch.assert_clean("stepper after a reload")
