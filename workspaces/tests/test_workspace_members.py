import json
import re

import pytest
from django.test import Client
from django.urls import reverse

from governance.services import team_member_add
from organizations.models import AuditEvent, Membership, Team
from organizations.services import team_create
from workspaces.models import WorkspaceRoleAssignment
from workspaces.permission_sync import sync_workspace_permissions
from workspaces.services import custom_role_create, custom_role_set_cell, workspace_role_assign

pytestmark = pytest.mark.django_db


def members_url(slug, teams=False):
    return reverse("workspaces:members_teams" if teams else "workspaces:members", args=[slug])


def page_of(response) -> str:
    return response.content.decode()


def text_of(html: str) -> str:
    """The words a person reads: tags dropped, whitespace folded."""
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html))


def toast_of(response, level="success") -> str:
    """The toast an htmx answer asks the page to show."""
    event = json.loads(response["HX-Trigger"])["atrium:toast"]
    assert event["level"] == level
    return event["message"]


def client_for(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


@pytest.fixture
def workspace(make_workspace):
    return make_workspace("fraud-detection", display_name="Fraud detection")


@pytest.fixture
def ws_admin(workspace, owner, add_member):
    """An organization Member who is Admin of the workspace only."""
    user = add_member("member", "wsadmin@example.com")
    workspace_role_assign(workspace=workspace, acting_user=owner, user=user, role="admin")
    return user


def assignment_of(workspace, user=None, team=None):
    return WorkspaceRoleAssignment.objects.get(workspace=workspace, user=user, team=team)


def test_the_users_tab_says_where_each_persons_access_comes_from(owner, organization, workspace, add_member):
    alice = add_member("member", "alice@example.com")
    bob = add_member("member", "bob@example.com")
    add_member("member", "nobody@example.com")
    team = team_create(organization=organization, name="ML Platform", acting_user=owner)
    team_member_add(team=team, user=alice, acting_user=owner)
    team_member_add(team=team, user=bob, acting_user=owner)
    workspace_role_assign(workspace=workspace, acting_user=owner, team=team, role="developer")
    workspace_role_assign(workspace=workspace, acting_user=owner, user=bob, role="viewer")

    page = page_of(client_for(alice).get(members_url("fraud-detection")))
    text = text_of(page)
    assert "Developer via team ML Platform" in text
    assert "Admin via organization role Owner" in text
    assert "alice@example.com" in text and "bob@example.com" in text
    assert "nobody@example.com" not in text
    assert re.search(r"bob@example\.com.*?Viewer.*?Developer via team ML Platform", text)
    assert 'aria-current="page">Members</a>' in page and 'aria-current="page">Users</a>' in page
    # Alice can read the members but not change them: no select, no form, no remove.
    assert "hx-post" not in page and "Add people" not in page


def test_an_organization_admin_through_a_team_shows_the_team(owner, organization, workspace, add_member):
    carol = add_member("member", "carol@example.com")
    admins = team_create(organization=organization, name="Admins", role="admin", acting_user=owner)
    team_member_add(team=admins, user=carol, acting_user=owner)
    text = text_of(page_of(client_for(owner).get(members_url("fraud-detection"))))
    assert "Admin via organization role Admin of team Admins" in text


def test_a_workspace_admin_adds_a_person_who_then_gets_in(ws_admin, workspace, add_member):
    dana = add_member("member", "dana@example.com")
    dana_client = client_for(dana)
    overview = reverse("workspaces:overview", args=["fraud-detection"])
    assert dana_client.get(overview).status_code == 404

    admin = client_for(ws_admin)
    form = page_of(admin.get(members_url("fraud-detection")))
    assert "Add people" in form and f'<option value="{dana.pk}">dana@example.com</option>' in form
    response = admin.post(
        reverse("workspaces:member_assign", args=["fraud-detection"]),
        {"add": "person", "person-user": dana.pk, "person-role": "contributor"},
    )
    assert response.status_code == 302 and response["Location"] == members_url("fraud-detection")
    page = text_of(page_of(admin.get(response["Location"])))
    assert "dana@example.com is now Contributor of Fraud detection." in page
    assert assignment_of(workspace, user=dana).role == "contributor"
    assert dana_client.get(overview).status_code == 200
    event = AuditEvent.objects.get(
        action="workspace_role.assign", principal_type="user", principal_id=str(dana.pk)
    )
    assert event.actor == ws_admin and event.after["role"] == "Contributor"


def test_adding_with_htmx_answers_with_the_section_and_a_toast(ws_admin, workspace, add_member):
    dana = add_member("member", "dana@example.com")
    response = client_for(ws_admin).post(
        reverse("workspaces:member_assign", args=["fraud-detection"]),
        {"add": "person", "person-user": dana.pk, "person-role": "viewer"},
        HTTP_HX_REQUEST="true",
    )
    page = page_of(response)
    assert response.status_code == 200 and page.lstrip().startswith('<section id="users-section"')
    assert "dana@example.com is now Viewer of Fraud detection." in toast_of(response)
    assert "dana@example.com" in text_of(page.split('id="add-people-heading"')[0])


def test_changing_a_role_inline_swaps_the_row(ws_admin, workspace, add_member, owner):
    erin = add_member("member", "erin@example.com")
    workspace_role_assign(workspace=workspace, acting_user=owner, user=erin, role="viewer")
    assignment = assignment_of(workspace, user=erin)
    admin = client_for(ws_admin)
    change_url = reverse("workspaces:member_change", args=["fraud-detection", assignment.pk])

    page = page_of(admin.get(members_url("fraud-detection")))
    assert f'hx-post="{change_url}" hx-trigger="change" hx-target="closest tr" hx-swap="outerHTML"' in page
    assert (
        '<noscript><button type="submit" class="btn btn--secondary btn--small">Save</button></noscript>'
        in page
    )

    response = admin.post(change_url, {"role": "developer"}, HTTP_HX_REQUEST="true")
    row = page_of(response)
    assert row.lstrip().startswith(f'<tr id="member-user-{erin.pk}"')
    assert (
        '<option value="developer" selected>' in row
        and toast_of(response) == "erin@example.com is now Developer."
    )
    assert assignment_of(workspace, user=erin).role == "developer"

    response = admin.post(change_url, {"role": "viewer"})  # the plain form, without JavaScript
    assert response.status_code == 302
    assert "erin@example.com is now Viewer." in page_of(admin.get(response["Location"]))
    assert AuditEvent.objects.filter(action="workspace_role.change").count() == 2


def test_a_custom_role_can_be_given(ws_admin, workspace, organization, owner, add_member):
    custom_role_create(organization=organization, name="Auditor", base_role="viewer", acting_user=owner)
    role = organization.workspace_roles.get(name="Auditor")
    frank = add_member("member", "frank@example.com")
    admin = client_for(ws_admin)
    assert f'<option value="custom:{role.pk}">Auditor</option>' in page_of(
        admin.get(members_url("fraud-detection"))
    )
    admin.post(
        reverse("workspaces:member_assign", args=["fraud-detection"]),
        {"add": "person", "person-user": frank.pk, "person-role": f"custom:{role.pk}"},
    )
    assert assignment_of(workspace, user=frank).custom_role == role
    assert "Auditor" in text_of(page_of(admin.get(members_url("fraud-detection"))))


def test_removing_a_role_asks_first_and_takes_access_away(ws_admin, workspace, owner, add_member):
    gus = add_member("member", "gus@example.com")
    workspace_role_assign(workspace=workspace, acting_user=owner, user=gus, role="viewer")
    assignment = assignment_of(workspace, user=gus)
    admin = client_for(ws_admin)
    page = page_of(admin.get(members_url("fraud-detection")))
    assert f'data-confirm-dialog="remove-assignment-{assignment.pk}"' in page
    assert "Remove gus@example.com's role?" in page

    response = admin.post(
        reverse("workspaces:member_remove", args=["fraud-detection", assignment.pk]), HTTP_HX_REQUEST="true"
    )
    assert response["HX-Refresh"] == "true"  # counts and lists change too: the tab reloads
    reloaded = text_of(page_of(admin.get(members_url("fraud-detection"))))
    assert "gus@example.com no longer has a direct role" in reloaded
    assert client_for(gus).get(reverse("workspaces:overview", args=["fraud-detection"])).status_code == 404
    assert AuditEvent.objects.filter(action="workspace_role.remove").exists()


def test_removing_a_direct_role_keeps_the_row_of_someone_with_team_access(
    ws_admin, workspace, organization, owner, add_member
):
    hana = add_member("member", "hana@example.com")
    team = team_create(organization=organization, name="ML Platform", acting_user=owner)
    team_member_add(team=team, user=hana, acting_user=owner)
    workspace_role_assign(workspace=workspace, acting_user=owner, team=team, role="viewer")
    workspace_role_assign(workspace=workspace, acting_user=owner, user=hana, role="developer")
    assignment = assignment_of(workspace, user=hana)
    admin = client_for(ws_admin)
    response = admin.post(
        reverse("workspaces:member_remove", args=["fraud-detection", assignment.pk]), HTTP_HX_REQUEST="true"
    )
    assert response["HX-Refresh"] == "true"
    page = text_of(page_of(admin.get(members_url("fraud-detection"))))
    assert "hana@example.com" in page and "Viewer via team ML Platform" in page


def test_the_teams_tab_adds_changes_and_removes_team_roles(
    ws_admin, workspace, organization, owner, add_member
):
    team = team_create(organization=organization, name="ML Platform", acting_user=owner)
    ivan = add_member("member", "ivan@example.com")
    team_member_add(team=team, user=ivan, acting_user=owner)
    admin = client_for(ws_admin)
    page = page_of(admin.get(members_url("fraud-detection", teams=True)))
    assert 'aria-current="page">Teams</a>' in page and "Add a team" in page

    response = admin.post(
        reverse("workspaces:member_assign", args=["fraud-detection"]),
        {"add": "team", "team-team": team.pk, "team-role": "developer"},
    )
    assert response["Location"] == members_url("fraud-detection", teams=True)
    text = text_of(page_of(admin.get(response["Location"])))
    assert "Team ML Platform is now Developer of Fraud detection." in text and "ML Platform" in text
    assert client_for(ivan).get(reverse("workspaces:overview", args=["fraud-detection"])).status_code == 200

    assignment = assignment_of(workspace, team=team)
    row = page_of(
        admin.post(
            reverse("workspaces:member_change", args=["fraud-detection", assignment.pk]),
            {"role": "viewer"},
            HTTP_HX_REQUEST="true",
        )
    )
    assert (
        row.lstrip().startswith(f'<tr id="member-team-{team.pk}"')
        and '<option value="viewer" selected>' in row
    )

    response = admin.post(
        reverse("workspaces:member_remove", args=["fraud-detection", assignment.pk]), HTTP_HX_REQUEST="true"
    )
    assert response["HX-Refresh"] == "true"
    assert "Team ML Platform no longer has a role" in text_of(
        page_of(admin.get(members_url("fraud-detection", teams=True)))
    )
    assert client_for(ivan).get(reverse("workspaces:overview", args=["fraud-detection"])).status_code == 404


@pytest.mark.parametrize("role", ["developer", "viewer"])
def test_developers_and_viewers_read_the_members_but_get_403_on_changes(role, workspace, owner, add_member):
    reader = add_member("member")
    workspace_role_assign(workspace=workspace, acting_user=owner, user=reader, role=role)
    target = add_member("member")
    workspace_role_assign(workspace=workspace, acting_user=owner, user=target, role="viewer")
    assignment = assignment_of(workspace, user=target)
    client = client_for(reader)
    assert client.get(members_url("fraud-detection")).status_code == 200
    assert client.get(members_url("fraud-detection", teams=True)).status_code == 200
    posts = [
        (
            reverse("workspaces:member_assign", args=["fraud-detection"]),
            {"person-user": reader.pk, "person-role": "admin"},
        ),
        (reverse("workspaces:member_change", args=["fraud-detection", assignment.pk]), {"role": "admin"}),
        (reverse("workspaces:member_remove", args=["fraud-detection", assignment.pk]), {}),
    ]
    for url, data in posts:
        assert client.post(url, data).status_code == 403
    assert assignment_of(workspace, user=target).role == "viewer"


def test_nobody_changes_their_own_role(ws_admin, workspace):
    mine = assignment_of(workspace, user=ws_admin)
    admin = client_for(ws_admin)
    page = page_of(admin.get(members_url("fraud-detection")))
    assert f"remove-assignment-{mine.pk}" not in page  # no controls on one's own row

    url = reverse("workspaces:member_change", args=["fraud-detection", mine.pk])
    response = admin.post(url, {"role": "viewer"}, HTTP_HX_REQUEST="true")
    assert response.status_code == 200
    assert "You cannot change your own role. Ask another admin." in page_of(response)  # in the row
    assert toast_of(response, "error") == "You cannot change your own role. Ask another admin."
    response = admin.post(reverse("workspaces:member_remove", args=["fraud-detection", mine.pk]), follow=True)
    assert "You cannot remove your own role. Ask another admin." in page_of(response)
    assert assignment_of(workspace, user=ws_admin).role == "admin"


def test_nobody_grants_above_their_own_role(workspace, organization, owner, add_member):
    custom_role_create(
        organization=organization, name="People lead", base_role="developer", acting_user=owner
    )
    lead_role = organization.workspace_roles.get(name="People lead")
    custom_role_set_cell(role=lead_role, resource="members", action="update", granted=True, acting_user=owner)
    lead = add_member("member", "lead@example.com")
    workspace_role_assign(workspace=workspace, acting_user=owner, user=lead, custom_role=lead_role)
    newcomer = add_member("member", "new@example.com")
    client = client_for(lead)

    page = page_of(client.get(members_url("fraud-detection")))
    assert '<option value="developer"' in page and '<option value="admin"' not in page
    response = client.post(
        reverse("workspaces:member_assign", args=["fraud-detection"]),
        {"add": "person", "person-user": newcomer.pk, "person-role": "admin"},
    )
    assert response.status_code == 200
    assert "You cannot grant a role above your own (Admin)." in page_of(response)
    assert f'<option value="{newcomer.pk}" selected>' in page_of(response)  # what was chosen stays
    assert not WorkspaceRoleAssignment.objects.filter(user=newcomer).exists()


def test_outsiders_and_members_without_access_get_404(workspace, outsider, add_member, owner):
    assignment = assignment_of(workspace, user=owner)
    for user in (outsider, add_member("member")):
        client = client_for(user)
        assert client.get(members_url("fraud-detection")).status_code == 404
        assert client.get(members_url("fraud-detection", teams=True)).status_code == 404
        assert (
            client.post(
                reverse("workspaces:member_remove", args=["fraud-detection", assignment.pk])
            ).status_code
            == 404
        )
    assert WorkspaceRoleAssignment.objects.filter(pk=assignment.pk).exists()


def test_an_assignment_of_another_workspace_is_not_found(ws_admin, make_workspace, owner):
    other = make_workspace("churn-model")
    foreign = assignment_of(other, user=owner)
    response = client_for(ws_admin).post(
        reverse("workspaces:member_change", args=["fraud-detection", foreign.pk]), {"role": "viewer"}
    )
    assert response.status_code == 404


def _crowd(organization, workspace, owner, people: int, teams: int):
    """`people` members with a direct role and `teams` teams (each with up to five members) holding a role."""
    from accounts.models import User

    users = User.objects.bulk_create(
        User(email=f"crowd{i}@example.com", display_name=f"Crowd {i}") for i in range(people)
    )
    Membership.objects.bulk_create(
        Membership(organization=organization, user=u, role="member") for u in users
    )
    team_rows = Team.objects.bulk_create(
        Team(organization=organization, name=f"Crowd team {i}") for i in range(teams)
    )
    Team.members.through.objects.bulk_create(
        Team.members.through(team=team, user=users[(i * 5 + k) % people])
        for i, team in enumerate(team_rows)
        for k in range(min(5, people))
    )
    roles = ["viewer", "developer", "contributor"]
    WorkspaceRoleAssignment.objects.bulk_create(
        [WorkspaceRoleAssignment(workspace=workspace, user=u, role=roles[i % 3]) for i, u in enumerate(users)]
        + [
            WorkspaceRoleAssignment(workspace=workspace, team=t, role=roles[i % 3])
            for i, t in enumerate(team_rows)
        ]
    )
    sync_workspace_permissions(workspace)


@pytest.mark.parametrize(("people", "teams"), [(3, 1), (100, 20)])
@pytest.mark.parametrize("tab", ["users", "teams"])
def test_the_members_pages_answer_in_bounded_queries(
    tab, people, teams, organization, workspace, owner, ws_admin, django_assert_max_num_queries
):
    _crowd(organization, workspace, owner, people, teams)
    for user in (owner, ws_admin):  # an organization Owner, and a workspace-only Admin
        client = client_for(user)
        with django_assert_max_num_queries(16):
            response = client.get(members_url("fraud-detection", teams=tab == "teams"))
        assert response.status_code == 200
        page = page_of(response)
        if tab == "users":
            assert page.count('<tr id="member-user-') == min(50, people + 2)
        else:
            assert page.count('<tr id="member-team-') == teams
