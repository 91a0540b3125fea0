import pytest

@pytest.mark.django_db(transaction=True)
def test_probe(browser, live_server, owner, organization, make_workspace, password):
    make_workspace("ml-platform", description="x")
    from organizations.models import Organization
    Organization.objects.filter(pk=organization.pk).update(name="Newcomer Labs")
    owner.display_name = "Nora Newcomer"; owner.save()
    ctx = browser.new_context(viewport={"width": 375, "height": 800}, device_scale_factor=2)
    page = ctx.new_page()
    page.goto(f"{live_server.url}/accounts/login/")
    page.get_by_label("Email").fill(owner.email)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Log in").click()
    page.wait_for_url("**/orgs/**")
    page.goto(f"{live_server.url}/w/ml-platform/")
    page.screenshot(path="/tmp/probe/topbar.png", clip={"x": 0, "y": 0, "width": 375, "height": 60})
    print(page.evaluate("""() => [...document.querySelectorAll('.topbar > *')].map(e => [e.className, JSON.stringify(e.getBoundingClientRect())])"""))
    print(page.evaluate("""() => { const s = document.querySelector('.user-menu > summary'); return [s.scrollWidth, s.clientWidth, getComputedStyle(s).overflow]; }"""))
    ctx.close()
