import json
import re

import pytest
from django.test import Client
from django.urls import reverse

from governance.services import team_member_add
from organizations.models import AuditEvent, Team
from organizations.services import team_create
from workspaces.models import WorkspaceRoleAssignment
from workspaces.services import workspace_role_assign

pytestmark = pytest.mark.django_db


def teams_url(organization):
    return reverse("organizations:teams", args=[organization.slug])


def team_url(team, name="organizations:team", *extra):
    return reverse(name, args=[team.organization.slug, team.pk, *extra])


def page_of(response) -> str:
    return response.content.decode()


def test_any_member_sees_the_teams_but_only_managers_get_the_new_team_form(
    client, organization, owner, add_member
):
    team_create(
        organization=organization, name="ML Platform", description="Runs the platform", acting_user=owner
    )
    client.force_login(add_member("member"))
    page = page_of(client.get(teams_url(organization)))
    assert "ML Platform" in page and "Runs the platform" in page
    assert "Create team" not in page

    response = client.post(teams_url(organization), {"name": "Sneaky"})
    assert response.status_code == 403
    assert not Team.objects.filter(name="Sneaky").exists()


def test_creating_a_team_lands_on_its_page_and_is_audited(owner_client, organization):
    response = owner_client.post(
        teams_url(organization),
        {"name": "  ML Platform ", "description": "Platform people", "role": "manager"},
    )
    team = Team.objects.get(organization=organization)
    assert response.status_code == 302 and response["Location"] == team_url(team)
    assert (team.name, team.role) == ("ML Platform", "manager")
    page = page_of(owner_client.get(response["Location"]))
    assert "Team “ML Platform” created" in page and "Manager" in page
    event = AuditEvent.objects.get(action="team.create")
    assert event.after == {"name": "ML Platform", "description": "Platform people", "role": "manager"}

    listing = page_of(owner_client.get(teams_url(organization)))
    assert "ML Platform" in listing and "1 team" in listing


def test_a_refused_team_keeps_what_was_typed(owner_client, organization, owner):
    team_create(organization=organization, name="ML Platform", acting_user=owner)
    response = owner_client.post(
        teams_url(organization), {"name": "ml platform", "description": "Second try", "role": "viewer"}
    )
    page = page_of(response)
    assert response.status_code == 200
    assert "A team with this name already exists." in page
    assert 'value="ml platform"' in page and "Second try" in page
    assert '<option value="viewer" selected>' in page
    assert Team.objects.count() == 1


def test_the_role_choices_stop_at_the_acting_users_own_role(client, organization, add_member):
    client.force_login(add_member("admin"))
    page = page_of(client.get(teams_url(organization)))
    assert '<option value="admin">' in page and '<option value="member">' in page
    assert '<option value="owner">' not in page

    client.force_login(add_member("manager"))  # creates teams, but gives no organization roles
    page = page_of(client.get(teams_url(organization)))
    assert '<option value="manager">' not in page and '<option value="member">' not in page
    response = client.post(teams_url(organization), {"name": "Admins", "role": "admin"})
    assert response.status_code == 200 and not Team.objects.filter(name="Admins").exists()


def test_editing_a_team_is_audited(owner_client, organization, owner):
    team = team_create(organization=organization, name="Data", acting_user=owner)
    response = owner_client.post(
        team_url(team), {"name": "Data Science", "description": "Models", "role": "viewer"}
    )
    assert response.status_code == 302
    page = page_of(owner_client.get(team_url(team)))
    assert "Data Science" in page and "Models" in page and "saved" in page
    event = AuditEvent.objects.get(action="team.update")
    assert event.before["name"] == "Data" and event.after == {
        "name": "Data Science",
        "description": "Models",
        "role": "viewer",
    }


def test_a_team_of_another_organization_is_not_found(owner_client, organization, outsider):
    from organizations.models import Organization

    other = Organization.objects.get(name="Other Corp")
    foreign = team_create(organization=other, name="Theirs", acting_user=outsider)
    mine = organization
    for name, extra in [("organizations:team", ()), ("organizations:team_delete", ())]:
        url = reverse(name, args=[mine.slug, foreign.pk, *extra])
        assert owner_client.get(url).status_code in {404, 405}
        assert owner_client.post(url).status_code == 404
    assert owner_client.get(team_url(foreign)).status_code == 404  # not a member of Other Corp
    assert Team.objects.filter(pk=foreign.pk).exists()


def test_joining_a_team_with_a_workspace_role_gives_access_and_leaving_takes_it(
    owner_client, organization, owner, add_member, make_workspace
):
    workspace = make_workspace("fraud-detection")
    team = team_create(organization=organization, name="ML Platform", acting_user=owner)
    workspace_role_assign(workspace=workspace, acting_user=owner, team=team, role="developer")
    alice = add_member("member", "alice@example.com")
    overview = reverse("workspaces:overview", args=["fraud-detection"])
    client = Client()
    client.force_login(alice)
    assert client.get(overview).status_code == 404

    detail = page_of(owner_client.get(team_url(team)))
    roles = re.findall(r"<tr>(.*?)</tr>", detail.split("<tbody>")[-1], re.S)
    assert [" ".join(re.sub(r"<[^>]+>", " ", r).split()) for r in roles] == [
        "Developer Fraud Detection fraud-detection"
    ]
    assert f'<option value="{alice.pk}">alice@example.com</option>' in detail
    response = owner_client.post(team_url(team, "organizations:team_member_add"), {"user": alice.pk})
    assert response.status_code == 302
    assert "alice@example.com added to ML Platform" in page_of(owner_client.get(team_url(team)))
    assert client.get(overview).status_code == 200

    detail = page_of(owner_client.get(team_url(team)))
    assert f'data-confirm-dialog="remove-member-{alice.pk}"' in detail
    assert "Remove alice@example.com from ML Platform?" in detail
    remove_url = team_url(team, "organizations:team_member_remove", alice.pk)
    response = owner_client.post(remove_url, HTTP_HX_REQUEST="true")
    assert response["HX-Refresh"] == "true"  # the count and the add list change too: the page reloads
    reloaded = page_of(owner_client.get(team_url(team)))
    assert (
        "alice@example.com removed from ML Platform." in reloaded and "Nobody is in this team yet" in reloaded
    )
    assert client.get(overview).status_code == 404
    actions = list(
        AuditEvent.objects.filter(action__startswith="team.member").values_list("action", flat=True)
    )
    assert sorted(actions) == ["team.member_add", "team.member_remove"]


def test_a_team_with_an_organization_role_lets_its_members_see_every_workspace(
    client, organization, owner, add_member, make_workspace
):
    make_workspace("fraud-detection")
    make_workspace("churn-model")
    bob = add_member("member")
    client.force_login(bob)
    home = reverse("organizations:home", args=[organization.slug])
    assert "fraud-detection" not in page_of(client.get(home))

    team = team_create(organization=organization, name="Leads", role="manager", acting_user=owner)
    team_member_add(team=team, user=bob, acting_user=owner)
    page = page_of(client.get(home))
    assert "fraud-detection" in page and "churn-model" in page


def test_a_manager_cannot_join_people_to_a_team_above_their_role(client, organization, owner, add_member):
    admins = team_create(organization=organization, name="Admins", role="admin", acting_user=owner)
    manager = add_member("manager")
    client.force_login(manager)
    response = client.post(team_url(admins, "organizations:team_member_add"), {"user": manager.pk})
    assert response.status_code == 200
    assert "which is above your own" in page_of(response)
    assert not admins.members.exists()


def test_deleting_a_team_asks_first_and_takes_its_roles_away(
    owner_client, organization, owner, add_member, make_workspace
):
    workspace = make_workspace("fraud-detection")
    team = team_create(organization=organization, name="ML Platform", acting_user=owner)
    alice = add_member("member")
    team_member_add(team=team, user=alice, acting_user=owner)
    workspace_role_assign(workspace=workspace, acting_user=owner, team=team, role="viewer")
    client = Client()
    client.force_login(alice)
    overview = reverse("workspaces:overview", args=["fraud-detection"])
    assert client.get(overview).status_code == 200

    page = page_of(owner_client.get(team_url(team)))
    assert 'data-confirm-dialog="delete-team"' in page
    assert '<dialog class="confirm" id="delete-team"' in page and "Delete the team ML Platform?" in page

    response = owner_client.post(team_url(team, "organizations:team_delete"))
    assert response.status_code == 302 and response["Location"] == teams_url(organization)
    assert "Team “ML Platform” deleted." in page_of(owner_client.get(response["Location"]))
    assert not Team.objects.filter(pk=team.pk).exists()
    assert not WorkspaceRoleAssignment.objects.filter(workspace=workspace, team__isnull=False).exists()
    assert client.get(overview).status_code == 404
    assert AuditEvent.objects.filter(action="team.delete", target_label="ML Platform").exists()


def test_members_without_manage_teams_see_no_controls_and_get_403(client, organization, owner, add_member):
    team = team_create(organization=organization, name="ML Platform", acting_user=owner)
    viewer = add_member("viewer")
    client.force_login(viewer)
    page = page_of(client.get(team_url(team)))
    assert "ML Platform" in page and "Danger zone" not in page and "Add member" not in page
    assert client.post(team_url(team), {"name": "Renamed"}).status_code == 403
    assert client.post(team_url(team, "organizations:team_delete")).status_code == 403
    assert (
        client.post(team_url(team, "organizations:team_member_add"), {"user": viewer.pk}).status_code == 403
    )
    assert Team.objects.get(pk=team.pk).name == "ML Platform"


def test_team_pages_answer_in_bounded_queries(
    owner_client, organization, owner, add_member, django_assert_max_num_queries
):
    team = team_create(organization=organization, name="ML Platform", acting_user=owner)
    for _ in range(20):
        team_member_add(team=team, user=add_member("member"), acting_user=owner)
        team_create(organization=organization, name=f"Team {_}", acting_user=owner)
    with django_assert_max_num_queries(12):
        assert owner_client.get(teams_url(organization)).status_code == 200
    with django_assert_max_num_queries(14):
        assert owner_client.get(team_url(team)).status_code == 200


def test_a_refused_removal_keeps_the_row_and_says_why(client, organization, owner, add_member):
    admins = team_create(organization=organization, name="Admins", role="admin", acting_user=owner)
    carol = add_member("member", "carol@example.com")
    team_member_add(team=admins, user=carol, acting_user=owner)
    client.force_login(add_member("manager"))
    url = team_url(admins, "organizations:team_member_remove", carol.pk)
    response = client.post(url, HTTP_HX_REQUEST="true")
    assert page_of(response).lstrip().startswith(f'<tr id="team-member-{carol.pk}"')
    toast = json.loads(response["HX-Trigger"])["atrium:toast"]
    assert toast["level"] == "error" and "which is above your own" in toast["message"]
    assert admins.members.filter(pk=carol.pk).exists()

    response = client.post(url, follow=True)  # without htmx: back to the team page with the message
    assert "which is above your own" in page_of(response)


@pytest.mark.django_db
def test_a_manager_cannot_join_a_team_that_is_admin_of_a_workspace(
    organization, owner, add_member, make_workspace
):
    from governance.services import team_member_add
    from organizations.errors import PermissionDeniedError
    from organizations.services import team_create
    from workspaces.services import workspace_role_assign

    manager = add_member("manager")
    workspace = make_workspace("guarded-ws")
    team = team_create(organization=organization, name="WS Admins", acting_user=owner)
    workspace_role_assign(workspace=workspace, team=team, role="admin", acting_user=owner)
    with pytest.raises(PermissionDeniedError, match="above yours"):
        team_member_add(team=team, user=manager, acting_user=manager)
    assert not team.members.filter(pk=manager.pk).exists()
    team_member_add(team=team, user=manager, acting_user=owner)  # an owner may
    assert team.members.filter(pk=manager.pk).exists()


def test_the_team_page_marks_its_protected_workspaces(owner_client, organization, owner, make_workspace):
    from organizations.models import DimensionValue

    production = DimensionValue.objects.get(
        dimension__organization=organization, dimension__key="environment", value="production"
    )
    team = team_create(organization=organization, name="Payments", acting_user=owner)
    for slug, labels in (("pay-prod", [production]), ("pay-sandbox", [])):
        workspace_role_assign(
            workspace=make_workspace(slug, label_values=labels), team=team, role="viewer", acting_user=owner
        )
    page = owner_client.get(reverse("organizations:team", args=[organization.slug, team.pk])).content.decode()
    rows = page[page.index('id="workspace-roles-heading"') :]
    assert rows.count("mark--protected") == 1
    assert "mark--protected" in rows[rows.index("Pay Prod") : rows.index("pay-prod</td>")]
