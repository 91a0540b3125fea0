"""Every page and every htmx action of the console, at desktop and phone width: no console error, no
CSP violation, no serious axe finding, and at 375 px nothing wider than the screen (issue 10, items
2 and 5–8)."""

import re

import pytest
from playwright.sync_api import Page, expect

from governance.services import invitation_create, team_member_add
from organizations.models import DimensionValue
from organizations.services import team_create
from workspaces.models import Workspace, WorkspaceStatus
from workspaces.services import custom_role_create, workspace_create, workspace_role_assign

WIDTHS = {"desktop": 1280, "phone": 375}


def _log_in(page, base, email, password):
    page.goto(f"{base}/accounts/login/")
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Log in").click()
    expect(page.get_by_role("heading", name="Workspaces")).to_be_visible()


def _fits(page, where):
    width = page.evaluate("document.documentElement.scrollWidth")
    viewport = page.viewport_size["width"]
    assert width <= viewport, f"{where} is {width}px wide on a {viewport}px screen"


@pytest.fixture
def console_world(organization, owner, add_member):
    staging = DimensionValue.objects.get(
        dimension__organization=organization, dimension__key="environment", value="staging"
    )
    workspace = workspace_create(
        organization=organization, slug="sweep-ws", display_name="Sweep WS", label_values=[staging],
        acting_user=owner,
    )  # fmt: skip
    hidden = workspace_create(
        organization=organization, slug="hidden-ws", display_name="Hidden WS", acting_user=owner
    )
    Workspace.objects.filter(pk__in=[workspace.pk, hidden.pk]).update(status=WorkspaceStatus.AVAILABLE)
    teammate = add_member("member", "teammate@example.com")
    viewer = add_member("viewer", "viewer@example.com")
    workspace_role_assign(workspace=workspace, user=viewer, role="viewer", acting_user=owner)
    team = team_create(organization=organization, name="ML Platform", acting_user=owner)
    team_member_add(team=team, user=teammate, acting_user=owner)
    workspace_role_assign(workspace=workspace, team=team, role="developer", acting_user=owner)
    role = custom_role_create(
        organization=organization, name="Reviewer", base_role="viewer", acting_user=owner
    )
    invitation_create(
        organization=organization, email="invitee@example.com", role="member", acting_user=owner
    )
    return {"workspace": workspace, "hidden": hidden, "team": team, "role": role, "viewer": viewer}


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("width", WIDTHS.values(), ids=WIDTHS.keys())
def test_every_page_and_action_is_quiet_and_accessible(
    page: Page, live_server, watch, check_a11y, organization, owner, password, console_world, width
):
    page.set_viewport_size({"width": width, "height": 900})
    base, org = live_server.url, f"/orgs/{organization.slug}"
    world = console_world
    _log_in(page, base, owner.email, password)

    pages = {
        "home": f"{org}/",
        "members": f"{org}/settings/members/",
        "invitations": f"{org}/settings/invitations/",
        "teams": f"{org}/settings/teams/",
        "team": f"{org}/settings/teams/{world['team'].pk}/",
        "roles": f"{org}/settings/roles/",
        "role grid": f"{org}/settings/roles/{world['role'].pk}/",
        "audit log": f"{org}/settings/audit/",
        "organization settings": f"{org}/settings/",
        "labels": f"{org}/settings/dimensions/",
        "new workspace": f"{org}/workspaces/new/",
        "create organization": "/orgs/new/",
        "workspace overview": "/w/sweep-ws/",
        "workspace members": "/w/sweep-ws/settings/members/",
        "workspace teams": "/w/sweep-ws/settings/members/teams/",
        "workspace settings": "/w/sweep-ws/settings/",
        "profile": "/accounts/profile/",
    }
    for name, path in pages.items():
        response = page.goto(base + path)
        assert response.status == 200, name
        check_a11y(f"{name} at {width}px")
        watch.assert_clean(f"{name} at {width}px")
        _fits(page, name)

    # "/" focuses the list's search; typing searches in place (htmx).
    page.goto(f"{base}{org}/settings/members/")
    page.keyboard.press("/")
    expect(page.locator("#member-search")).to_be_focused()
    page.keyboard.type("view")
    expect(page.get_by_role("status").filter(has_text="matching")).to_contain_text("1 member")
    watch.assert_clean("member search")

    # A row menu: opened from the keyboard, its actions reachable by Tab, closed by Escape.
    page.goto(f"{base}{org}/settings/members/")
    menu = page.locator("details.row-menu").first
    menu.locator("summary").focus()
    page.keyboard.press("Enter")
    expect(menu).to_have_attribute("open", "")
    expect(menu.get_by_role("button", name=re.compile("Transfer ownership"))).to_be_focused()
    page.keyboard.press("Tab")
    expect(menu.get_by_role("button", name=re.compile("Deactivate"))).to_be_focused()
    page.keyboard.press("Tab")
    expect(menu.get_by_role("button", name=re.compile("Remove from"))).to_be_focused()
    page.keyboard.press("Escape")
    expect(menu).not_to_have_attribute("open", "")
    # The confirmation opens in the middle of the screen and Escape closes it.
    menu.locator("summary").click()
    menu.get_by_role("button", name=re.compile("Remove from")).click()
    dialog = page.locator("dialog.confirm[open]")
    expect(dialog).to_be_visible()
    box, viewport = dialog.bounding_box(), page.viewport_size
    page.wait_for_timeout(250)  # the opening animation
    box = dialog.bounding_box()
    assert abs(box["x"] + box["width"] / 2 - viewport["width"] / 2) < 2
    assert abs(box["y"] + box["height"] / 2 - viewport["height"] / 2) < 2
    page.keyboard.press("Escape")
    expect(page.locator("dialog.confirm[open]")).to_have_count(0)
    watch.assert_clean("row menu and confirmation")

    # A role change in place (htmx).
    page.get_by_label("Organization role of viewer@example.com").select_option("member")
    expect(page.get_by_role("status").filter(has_text="changed to Member")).to_be_visible()
    watch.assert_clean("role change")

    # Invite into a workspace from its Members page, then copy the invitation as a link (htmx).
    page.goto(f"{base}/w/sweep-ws/settings/members/")
    page.get_by_label("E-mail").fill(f"new-{width}@example.com")
    page.locator("#id_invite-role").select_option(label="Reviewer")
    page.get_by_role("button", name="Send invitation").click()
    invited = page.locator(".invite-list__item").filter(has_text=f"new-{width}@example.com")
    expect(invited).to_contain_text("Reviewer")
    invited.get_by_role("button", name=re.compile("Copy an invitation link")).click()
    expect(invited.locator("input[readonly]")).to_have_value(re.compile(r"/invitations/[^/]+/$"))
    check_a11y(f"workspace members after an invitation at {width}px")
    watch.assert_clean("workspace invitation and its link")
    _fits(page, "workspace members after an invitation")

    # The role grid's checkboxes (htmx).
    page.goto(f"{base}{org}/settings/roles/{world['role'].pk}/")
    boxes = page.locator("input[type=checkbox][hx-post]")
    for index in range(3):
        boxes.nth(index).click()
        page.wait_for_load_state("networkidle")
    watch.assert_clean("role grid")

    # The stepper: the name has focus; a resized description and an invalid ID survive Next quietly.
    page.goto(f"{base}{org}/workspaces/new/")
    expect(page.get_by_label("Name")).to_be_focused()
    page.get_by_label("Name").fill("Sweep two")
    page.locator("textarea").evaluate("el => { el.style.height = '160px' }")  # as a person resizing it
    page.get_by_label("Workspace ID").fill("1-bad--id")
    page.get_by_role("button", name="Next").click()
    expect(page.locator("#id-check")).to_contain_text("✗")
    watch.assert_clean("stepper: Next with an invalid ID")

    # The audit filters: behind a "Filters" button on a phone, open on a desktop.
    page.goto(f"{base}{org}/settings/audit/")
    toggle = page.locator(".filters-fold > summary")
    if width < 768:
        expect(page.get_by_label("Action")).to_be_hidden()
        toggle.click()
    expect(page.get_by_label("Action")).to_be_visible()
    watch.assert_clean("audit filters")


@pytest.mark.django_db(transaction=True)
def test_a_viewer_meets_no_dead_end(
    page: Page, live_server, watch, check_a11y, organization, password, console_world
):
    _log_in(page, live_server.url, "viewer@example.com", password)
    row = page.locator("tr").filter(has_text="Hidden WS")
    expect(row).to_contain_text("No role here: ask an admin of Acme ML for one")
    expect(row.get_by_role("link")).to_have_count(0)
    expect(page.get_by_role("link", name="Sweep WS")).to_be_visible()
    check_a11y("home as a viewer")
    watch.assert_clean("home as a viewer")
