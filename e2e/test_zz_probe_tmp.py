import pytest
from axe_playwright_python.sync_playwright import Axe

@pytest.mark.django_db(transaction=True)
def test_probe(browser, live_server, owner, organization, make_workspace, password):
    make_workspace("ml-platform", description="x")
    ctx = browser.new_context(viewport={"width": 1280, "height": 800}, color_scheme="dark")
    page = ctx.new_page()
    page.goto(f"{live_server.url}/accounts/login/")
    page.get_by_label("Email").fill(owner.email)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Log in").click()
    page.wait_for_url("**/orgs/**")
    for name, url in [("home", f"/orgs/{organization.slug}/"), ("new", f"/orgs/{organization.slug}/workspaces/new/"), ("overview", "/w/ml-platform/")]:
        page.goto(live_server.url + url)
        if name == "new":
            page.get_by_label("Name", exact=True).press_sequentially("ML Platform")
            page.wait_for_timeout(600)
        page.screenshot(path=f"/tmp/probe/dark-{name}.png", full_page=True)
        for v in Axe().run(page).response["violations"]:
            print(name, v["id"], v["impact"], [(n["target"], n.get("failureSummary","")[:200]) for n in v["nodes"][:6]])
    ctx.close()
