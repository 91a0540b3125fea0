"""The newcomer path in a real browser: sign up, create an organization, walk the New Workspace
stepper (with a taken ID and a Back), create the workspace and watch it become available.

Every page is checked for console errors, uncaught exceptions and CSP violations (`watch`), and
with axe-core for serious or critical accessibility violations (`check_a11y`). Screenshots go to
e2e/screenshots/ (git-ignored).
"""

import re

import pytest
from django.core.management import call_command
from playwright.sync_api import Page, expect

TAKEN_ID = "ml-platform"  # what the stepper suggests for "ML Platform"; another organization owns it
NEW_ID = "mlp-newcomer"
STEPS = ["Details", "Organize", "Access", "Review"]


def assert_no_horizontal_overflow(page: Page, where: str) -> None:
    """Nothing sticks out to the right of the viewport (a horizontal scrollbar on a phone)."""
    overflow = page.evaluate(
        """() => {
          const width = document.documentElement.clientWidth;
          // Content inside a scrolling or clipping box that itself fits is fine (e.g. a code block).
          const insideFittingClip = (el) => {
            for (let box = el.parentElement; box && box !== document.body; box = box.parentElement) {
              if (getComputedStyle(box).overflowX !== "visible") {
                return box.getBoundingClientRect().right <= width + 1;
              }
            }
            return false;
          };
          const wide = [...document.querySelectorAll("body *")]
            .filter((el) => el.getClientRects().length && el.getBoundingClientRect().right > width + 1)
            .filter((el) => !insideFittingClip(el))
            .filter((el) => !el.closest(".toasts"))
            .slice(0, 8)
            .map((el) => `${el.tagName.toLowerCase()}${el.id ? "#" + el.id : ""}.${[...el.classList].join(".")}`
                         + ` right=${Math.round(el.getBoundingClientRect().right)}`);
          return {width, scrollWidth: document.documentElement.scrollWidth, wide};
        }"""
    )
    assert overflow["scrollWidth"] <= overflow["width"] and not overflow["wide"], (
        f"horizontal overflow on {where}: {overflow}"
    )


def expect_step(page: Page, label: str) -> None:
    """The stepper shows `label` as the current step, with its heading, and the others not."""
    steps = page.get_by_role("list", name="Steps").get_by_role("listitem")
    expect(steps).to_have_count(len(STEPS))
    for index, name in enumerate(STEPS):
        item = steps.nth(index)
        expect(item).to_contain_text(name)
        if name == label:
            expect(item).to_have_attribute("aria-current", "step")
        else:
            expect(item).not_to_have_attribute("aria-current", "step")
        if index < STEPS.index(label):
            expect(item).to_contain_text("(done)")
    expect(page.get_by_role("heading", level=2, name=label, exact=True)).to_be_visible()
    expect(page).to_have_url(re.compile(r"/workspaces/new/(\?step=" + label.lower() + ")?$"))


@pytest.mark.django_db(transaction=True)
def test_newcomer_signs_up_and_creates_a_workspace(
    page: Page, live_server, watch, check_a11y, screenshot, outsider, password
):
    from organizations.models import Organization
    from workspaces.services import workspace_create

    # Another organization already owns the ID the stepper will suggest.
    workspace_create(
        organization=Organization.objects.get(name="Other Corp"),
        slug=TAKEN_ID,
        display_name="ML Platform",
        acting_user=outsider,
    )

    # --- Sign up -----------------------------------------------------------------------------
    page.goto(f"{live_server.url}/accounts/signup/")
    expect(page).to_have_title(re.compile("Sign up"))
    expect(page.get_by_role("heading", level=1)).to_have_text("Create your Atrium account")
    check_a11y("sign-up page")
    screenshot("01-signup")
    watch.assert_clean("sign-up page")

    page.get_by_label("Email", exact=True).fill("newcomer@example.com")
    page.get_by_label("Your name").fill("Nora Newcomer")
    page.get_by_label("Password", exact=True).fill(password)
    page.get_by_role("button", name="Sign up").click()

    # --- Create the organization ---------------------------------------------------------------
    expect(page).to_have_url(f"{live_server.url}/orgs/new/")
    expect(page.get_by_role("heading", level=1)).to_have_text("Create your organization")
    expect(page.get_by_role("status").filter(has_text="Welcome to Atrium")).to_be_visible()
    check_a11y("create-organization page")
    screenshot("02-create-organization")
    watch.assert_clean("create-organization page")
    page.get_by_label("Organization name").fill("Newcomer Labs")
    page.get_by_role("button", name="Create organization").click()

    # --- Organization home: the empty state ----------------------------------------------------
    expect(page).to_have_url(re.compile(r"/orgs/[a-z0-9-]+/$"))
    org_url = page.url
    expect(page.get_by_role("heading", level=1)).to_have_text("Workspaces")
    expect(page.get_by_role("heading", level=2, name="No workspaces yet")).to_be_visible()
    expect(page.get_by_role("status").filter(has_text="Organization “Newcomer Labs” created")).to_be_visible()
    expect(page.get_by_role("navigation", name="Organization")).to_contain_text("Workspaces")
    check_a11y("organization home")
    screenshot("03-organization-home")
    watch.assert_clean("organization home")

    page.get_by_role("link", name="New Workspace", exact=True).click()

    # --- Stepper, step 1: Details --------------------------------------------------------------
    expect(page).to_have_url(f"{org_url}workspaces/new/")
    expect(page.get_by_role("heading", level=1)).to_have_text("New Workspace")
    expect_step(page, "Details")
    name = page.get_by_label("Name", exact=True)
    workspace_id = page.get_by_label("Workspace ID")
    description = page.get_by_label("Description")
    id_check = page.locator("#id-check")
    expect(page.locator("#id-permanent")).to_contain_text("permanent")
    expect(workspace_id).to_have_attribute("aria-describedby", re.compile(r"\bid-check\b.*\bid-permanent\b"))

    # Typing the name suggests the ID, and the live check says the suggestion is taken.
    name.press_sequentially("ML Platform", delay=15)
    expect(workspace_id).to_have_value(TAKEN_ID)
    expect(id_check).to_contain_text("already taken")
    expect(id_check).to_have_class(re.compile(r"id-check--taken"))
    expect(name).to_be_focused()  # the live check never steals focus while typing
    screenshot("04-details-id-taken")

    # The person picks another ID; the check follows, and the name no longer drives the ID.
    workspace_id.fill(NEW_ID)
    expect(id_check).to_contain_text(f"“{NEW_ID}” is available")
    name.press("End")
    name.press_sequentially(" Lab", delay=15)
    expect(name).to_have_value("ML Platform Lab")
    expect(workspace_id).to_have_value(NEW_ID)
    description.fill("Training pipelines of the newcomer team.")
    expect(id_check).to_contain_text("is available")
    check_a11y("stepper: Details")
    screenshot("05-details")
    watch.assert_clean("stepper: Details")

    page.get_by_role("button", name="Next").click()

    # --- Step 2: Organize ----------------------------------------------------------------------
    expect_step(page, "Organize")
    for dimension in ["Environment", "Project", "Team", "Data sensitivity"]:
        expect(page.get_by_role("combobox", name=dimension)).to_be_visible()
    expect(page.get_by_label("Environment")).to_be_focused()
    page.get_by_label("Environment").select_option(label="Development")
    page.get_by_label("Data sensitivity").select_option(label="Internal")
    check_a11y("stepper: Organize")
    screenshot("06-organize")
    watch.assert_clean("stepper: Organize")

    # Back to Details: everything typed is still there.
    page.get_by_role("button", name="Back").click()
    expect_step(page, "Details")
    expect(name).to_have_value("ML Platform Lab")
    expect(workspace_id).to_have_value(NEW_ID)
    expect(description).to_have_value("Training pipelines of the newcomer team.")
    expect(id_check).to_contain_text(f"“{NEW_ID}” is available")
    expect(name).to_be_focused()

    page.get_by_role("button", name="Next").click()
    expect_step(page, "Organize")
    expect(page.get_by_label("Environment")).to_have_value("development")
    expect(page.get_by_label("Data sensitivity")).to_have_value("internal")
    page.get_by_role("button", name="Next").click()

    # --- Step 3: Access ------------------------------------------------------------------------
    expect_step(page, "Access")
    access = page.get_by_role("region", name="Workspace access")
    expect(access.get_by_role("row").filter(has_text="(you)")).to_contain_text("Admin")
    check_a11y("stepper: Access")
    screenshot("07-access")
    watch.assert_clean("stepper: Access")
    page.get_by_role("button", name="Next").click()

    # --- Step 4: Review ------------------------------------------------------------------------
    expect_step(page, "Review")
    review = page.locator("#stepper form")
    for text in [
        "ML Platform Lab",
        NEW_ID,
        "Training pipelines of the newcomer team.",
        "Development",
        "Internal",
    ]:
        expect(review).to_contain_text(text)
    check_a11y("stepper: Review")
    screenshot("08-review")
    watch.assert_clean("stepper: Review")
    page.get_by_role("button", name="Create Workspace").click()

    # --- Workspace overview, while pending ------------------------------------------------------
    expect(page).to_have_url(f"{live_server.url}/w/{NEW_ID}/")
    expect(page.get_by_role("heading", level=1)).to_have_text("ML Platform Lab")
    expect(page.locator("#workspace-id")).to_have_text(NEW_ID)
    status_panel = page.get_by_role("region", name="Status")
    badge = page.locator("#ws-status-badge")
    expect(badge).to_have_text("Pending")
    expect(status_panel).to_contain_text("Waiting for a worker")
    expect(status_panel).to_have_attribute("hx-trigger", "every 1s")
    expect(page.locator("#onboarding-progress-text")).to_have_text(re.compile(r"^\s*0 of 5\b"))
    expect(page.get_by_role("list", name="Labels")).to_contain_text("Development")
    expect(page.get_by_role("status").filter(has_text="It is being provisioned")).to_be_visible()
    screenshot("09-overview-pending")
    watch.assert_clean("workspace overview (pending)")

    # --- Provisioning: the worker runs once; the page updates itself (htmx polling) ----------------
    page.evaluate("window.__notReloaded = true")
    call_command("db_worker", batch=True, no_startup_delay=True, reload=False)
    expect(badge).to_have_text("Available", timeout=5_000)
    # Available: the Status card folds into the header's badge, and polling stops.
    expect(page.locator("#status-panel")).to_be_hidden()
    expect(page.locator("#status-panel")).not_to_have_attribute("hx-get", re.compile(".*"))
    assert page.evaluate("window.__notReloaded === true"), (
        "the overview reloaded instead of updating in place"
    )

    # Polling has stopped: no status request for a little more than one interval.
    status_requests = []
    page.on(
        "request", lambda request: status_requests.append(request.url) if "/status/" in request.url else None
    )
    page.wait_for_timeout(1_300)
    assert status_requests == [], f"the overview still polls after Available: {status_requests}"

    check_a11y("workspace overview")
    screenshot("10-overview-available")
    watch.assert_clean("workspace overview (available)")

    # --- Narrow screens -----------------------------------------------------------------------
    page.set_viewport_size({"width": 375, "height": 800})
    screenshot("11-overview-375")
    assert_no_horizontal_overflow(page, "overview at 375px")
    page.goto(f"{org_url}workspaces/new/")
    expect_step(page, "Details")
    screenshot("12-stepper-375")
    assert_no_horizontal_overflow(page, "stepper at 375px")
    watch.assert_clean("stepper at 375px")
