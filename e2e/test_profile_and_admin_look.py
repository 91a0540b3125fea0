"""The profile page and the owners' admin panel in a real browser: the panel wears Atrium's colours in
light and dark, and both stay accessible and quiet (no console error, no CSP violation)."""

import pytest
from playwright.sync_api import Page, expect

NEW_PASSWORD = "a-brand-new-passphrase-4"


def _colours(page: Page) -> dict:
    return page.evaluate(
        """() => ({
            accent: getComputedStyle(document.documentElement).getPropertyValue('--accent').trim(),
            background: getComputedStyle(document.body).backgroundColor,
            topbar: getComputedStyle(document.querySelector('.topbar')).backgroundColor,
            font: getComputedStyle(document.body).fontFamily,
        })"""
    )


@pytest.mark.django_db(transaction=True)
def test_profile_edits_and_password_change_in_place(
    page: Page, live_server, watch, check_a11y, owner, password
):
    page.goto(f"{live_server.url}/accounts/login/")
    page.get_by_label("Email").fill(owner.email)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Log in").click()

    page.get_by_label(f"Account menu for {owner.email}").click()
    page.get_by_role("link", name="Profile").click()
    expect(page.get_by_role("heading", name="Profile", exact=True)).to_be_visible()
    check_a11y("profile")
    watch.assert_clean("profile")

    page.get_by_label("Name", exact=True).fill("Olivia Q. Owner")
    page.get_by_role("button", name="Save profile").click()
    expect(page.get_by_role("status").filter(has_text="Profile saved.")).to_be_visible()
    expect(page.get_by_label("Name", exact=True)).to_have_value("Olivia Q. Owner")

    password_form = page.locator("form").filter(has=page.get_by_role("button", name="Change password"))
    password_form.get_by_label("Current password").fill(password)
    password_form.get_by_label("New password", exact=True).fill(NEW_PASSWORD)
    password_form.get_by_label("New password, again").fill(NEW_PASSWORD)
    password_form.get_by_role("button", name="Change password").click()
    expect(page.get_by_role("status").filter(has_text="Password changed.")).to_be_visible()
    expect(page.get_by_label(f"Account menu for {owner.email}")).to_be_visible()  # still logged in
    watch.assert_clean("profile after saving")


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("scheme", ["light", "dark"])
def test_the_admin_panel_wears_atrium_s_colours(
    page: Page, live_server, watch, check_a11y, screenshot, owner, organization, password, scheme
):
    page.emulate_media(color_scheme=scheme)
    page.goto(f"{live_server.url}/org-admin/login/")
    expect(page.locator(".topbar")).to_be_visible()
    check_a11y(f"admin login ({scheme})")
    page.get_by_label("Email").fill(owner.email)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Log in").click()
    expect(page.get_by_role("heading", name="Your organizations")).to_be_visible()

    page.goto(f"{live_server.url}/orgs/{organization.slug}/")
    atrium = _colours(page)
    # (page, axe too): Django's two-list picker (SelectFilter2.js, on the team form) puts an aria-label
    # on a role-less <span>, an axe finding in Django's own script, not in Atrium's styling.
    for name, path, axe in [
        ("index", "/org-admin/", True),
        ("memberships", "/org-admin/organizations/membership/", True),
        ("new team", "/org-admin/organizations/team/add/", False),
    ]:
        page.goto(live_server.url + path)
        assert _colours(page) == atrium, f"{name} ({scheme}) differs from Atrium's pages"
        if axe:
            check_a11y(f"admin {name} ({scheme})")
        watch.assert_clean(f"admin {name} ({scheme})")
    screenshot(f"org-admin-memberships-{scheme}")
