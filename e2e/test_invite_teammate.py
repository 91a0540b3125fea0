"""Access control in a real browser: the owner invites a teammate by e-mail, the teammate signs up
through the link, the owner gives them Viewer on one workspace, and the teammate sees that workspace,
no other, and is refused its settings."""

import re

import pytest
from django.core import mail
from playwright.sync_api import expect

from workspaces.services import workspace_create

from .conftest import BrowserWatch


@pytest.mark.django_db(transaction=True)
def test_owner_invites_a_teammate_who_sees_only_their_workspace(
    browser, live_server, organization, owner, password, check_a11y, run_tasks
):
    base = live_server.url
    for slug in ("shared-ws", "private-ws"):
        workspace_create(organization=organization, slug=slug, display_name=slug.replace("-", " ").title(),
                         acting_user=owner)  # fmt: skip

    owner_page = browser.new_context(viewport={"width": 1280, "height": 800}).new_page()
    owner_watch = BrowserWatch(owner_page, base)
    owner_page.goto(f"{base}/accounts/login/")
    owner_page.get_by_label("Email").fill(owner.email)
    owner_page.get_by_label("Password").fill(password)
    owner_page.get_by_role("button", name="Log in").click()
    expect(owner_page.get_by_role("heading", name="Workspaces")).to_be_visible()

    # The owner invites a teammate as a Member of the organization.
    owner_page.get_by_role("link", name="Invitations").click()
    owner_page.get_by_label("Email", exact=True).fill("teammate@example.com")
    owner_page.get_by_label("Role", exact=True).select_option("member")
    owner_page.get_by_role("button", name="Send invitation", exact=True).click()
    expect(owner_page.get_by_text("Invitation sent to teammate@example.com")).to_be_visible()
    expect(owner_page.get_by_role("region", name="Pending invitations")).to_contain_text(
        "teammate@example.com"
    )
    check_a11y("invitations page", on=owner_page)
    owner_watch.assert_clean("invitations page")

    assert not mail.outbox  # the background worker sends it
    run_tasks()
    assert len(mail.outbox) == 1 and mail.outbox[0].to == ["teammate@example.com"]
    link = re.search(r"https?://\S+/invitations/\S+/", mail.outbox[0].body).group(0)
    link = base + link[link.index("/invitations/") :]

    # The teammate signs up through the link.
    teammate_page = browser.new_context(viewport={"width": 1280, "height": 800}).new_page()
    teammate_watch = BrowserWatch(teammate_page, base)
    teammate_page.goto(link)
    # The token leaves the address bar (and the history) on the first visit.
    expect(teammate_page).to_have_url(f"{base}/invitations/accept/")
    expect(teammate_page.get_by_role("heading", name=re.compile("Join Acme ML"))).to_be_visible()
    check_a11y("invitation sign-up page", on=teammate_page)
    teammate_page.get_by_label("Password").fill("teammate-passphrase-42")
    teammate_page.get_by_role("button", name="Accept invitation").click()
    expect(teammate_page).to_have_url(f"{base}/orgs/{organization.slug}/")
    expect(teammate_page.get_by_text("No workspaces yet")).to_be_visible()
    teammate_watch.assert_clean("teammate's organization home before any role")

    # The owner gives the teammate Viewer on one workspace.
    owner_page.goto(f"{base}/w/shared-ws/settings/members/")
    add_people = owner_page.get_by_role("region", name="Add people")
    add_people.get_by_label("Person").select_option(label="teammate@example.com")
    add_people.get_by_label("Role").select_option("viewer")
    add_people.get_by_role("button", name="Give role").click()
    expect(owner_page.locator("#users-section")).to_contain_text("teammate@example.com")
    check_a11y("workspace members page", on=owner_page)
    owner_watch.assert_clean("workspace members page")

    # The teammate now sees that workspace and no other, and its settings are refused.
    teammate_page.goto(f"{base}/orgs/{organization.slug}/")
    listing = teammate_page.locator("#workspace-list")
    expect(listing).to_contain_text("shared-ws")
    expect(listing).not_to_contain_text("private-ws")
    teammate_page.get_by_role("link", name="Shared Ws").click()
    expect(teammate_page).to_have_url(f"{base}/w/shared-ws/")
    expect(teammate_page.get_by_role("link", name="Settings", exact=True)).to_have_count(0)
    response = teammate_page.goto(f"{base}/w/shared-ws/settings/")
    assert response.status == 403
    expect(teammate_page.get_by_role("heading", name="You don't have permission to do that")).to_be_visible()
    assert teammate_page.goto(f"{base}/w/private-ws/").status == 404
