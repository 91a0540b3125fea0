"""The organization API's docs and the personal access tokens page in a real browser: Swagger UI
renders from bundled files under the strict CSP, and a token is created, shown once, and revoked,
all without a console error or CSP violation."""

import pytest
from playwright.sync_api import Page, expect


@pytest.mark.django_db(transaction=True)
def test_api_docs_render_without_cdn_or_csp_violation(page: Page, live_server, watch):
    external = []
    page.on("request", lambda r: None if r.url.startswith(live_server.url) else external.append(r.url))
    page.goto(f"{live_server.url}/api/docs")
    expect(page.locator(".swagger-ui .info .title")).to_contain_text("Atrium organization API")
    expect(
        page.locator(".opblock-summary-path", has_text="/api/v1/workspaces/{id}/deactivate")
    ).to_be_visible()
    expect(page.locator(".opblock-summary-path").first).to_be_visible()
    assert external == [], f"The docs page fetched from elsewhere: {external}"
    watch.assert_clean("API docs")


@pytest.mark.django_db(transaction=True)
def test_token_created_shown_once_and_revoked(page: Page, live_server, watch, check_a11y, owner, password):
    page.goto(f"{live_server.url}/accounts/login/")
    page.get_by_label("Email").fill(owner.email)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Log in").click()

    page.get_by_label(f"Account menu for {owner.email}").click()
    page.get_by_role("link", name="Access tokens").click()
    expect(page.get_by_role("heading", name="Personal access tokens")).to_be_visible()
    page.get_by_label("Name").fill("CI: staging deploys")
    page.get_by_label("Expires in").select_option("90")
    page.get_by_role("button", name="Create token").click()

    token = page.locator("#new-token-value").inner_text()
    assert token.startswith("atr_pat_") and len(token) == 48
    expect(page.get_by_role("cell", name=token[:12] + "…")).to_be_visible()
    check_a11y("tokens page with a new token")
    watch.assert_clean("tokens page")

    page.goto(f"{live_server.url}/accounts/tokens/")
    expect(page.locator("#new-token-value")).to_have_count(0)  # shown once only
    page.get_by_role("button", name="Revoke CI: staging deploys").click()
    page.get_by_role("dialog").get_by_role("button", name="Revoke").click()
    expect(page.get_by_role("status").filter(has_text="revoked")).to_be_visible()
    expect(page.get_by_role("cell", name="Revoked")).to_be_visible()
    watch.assert_clean("tokens page after revoking")
