"""Every access-control page in a real browser: no serious or critical axe finding, no console error,
no CSP violation."""

import pytest
from playwright.sync_api import Page, expect

from governance.services import invitation_create, team_member_add
from organizations.models import DimensionValue
from organizations.services import team_create
from workspaces.services import custom_role_create, workspace_create, workspace_role_assign


@pytest.mark.django_db(transaction=True)
def test_access_control_pages_are_accessible_and_quiet(
    page: Page, live_server, watch, check_a11y, organization, owner, add_member, password
):
    staging = DimensionValue.objects.get(
        dimension__organization=organization, dimension__key="environment", value="staging"
    )
    workspace = workspace_create(
        organization=organization,
        slug="a11y-ws",
        display_name="A11y WS",
        label_values=[staging],
        acting_user=owner,
    )
    teammate = add_member("member", "teammate@example.com")
    team = team_create(organization=organization, name="ML Platform", acting_user=owner)
    team_member_add(team=team, user=teammate, acting_user=owner)
    workspace_role_assign(workspace=workspace, team=team, role="developer", acting_user=owner)
    role = custom_role_create(
        organization=organization, name="Data Scientist", base_role="contributor", acting_user=owner
    )
    invitation_create(
        organization=organization, email="invitee@example.com", role="member", acting_user=owner
    )

    page.goto(f"{live_server.url}/accounts/login/")
    page.get_by_label("Email").fill(owner.email)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Log in").click()
    expect(page.get_by_role("heading", name="Workspaces")).to_be_visible()

    org = f"/orgs/{organization.slug}"
    pages = {
        "organization members": f"{org}/settings/members/",
        "invitations": f"{org}/settings/invitations/",
        "teams": f"{org}/settings/teams/",
        "team": f"{org}/settings/teams/{team.pk}/",
        "roles": f"{org}/settings/roles/",
        "custom role grid": f"{org}/settings/roles/{role.pk}/",
        "audit log": f"{org}/settings/audit/",
        "organization settings": f"{org}/settings/",
        "labels": f"{org}/settings/dimensions/",
        "removing a label value": f"{org}/settings/dimensions/values/{staging.pk}/remove/",
        "workspace members (users)": "/w/a11y-ws/settings/members/",
        "workspace members (teams)": "/w/a11y-ws/settings/members/teams/",
        "workspace settings": "/w/a11y-ws/settings/",
    }
    for name, path in pages.items():
        response = page.goto(live_server.url + path)
        assert response.status == 200, name
        check_a11y(name)
        watch.assert_clean(name)
