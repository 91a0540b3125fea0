"""Who sees which workspaces (PRODUCT.md §5): always scoped to one organization first."""

import pytest
from django.contrib.auth.models import Permission
from django.urls import reverse

from governance.services import team_member_add
from organizations.access import Access
from organizations.services import membership_add, organization_create, team_create
from workspaces.models import WorkspaceRoleAssignment
from workspaces.permission_sync import sync_workspace_permissions
from workspaces.selectors import workspace_list_for_user
from workspaces.services import workspace_create

pytestmark = pytest.mark.django_db


@pytest.fixture
def two_workspaces(make_workspace):
    return make_workspace("alpha-ws"), make_workspace("beta-ws")


def listed(user, organization):
    access = Access.for_user(user, organization)
    return {w.slug for w in workspace_list_for_user(organization=organization, access=access)}


@pytest.mark.parametrize("role", ["owner", "admin", "manager", "viewer"])
def test_roles_that_list_every_workspace(organization, add_member, two_workspaces, role, owner):
    user = owner if role == "owner" else add_member(role)
    assert listed(user, organization) == {"alpha-ws", "beta-ws"}


def test_members_list_only_workspaces_where_they_or_their_team_hold_a_role(
    organization, owner, add_member, two_workspaces
):
    alpha, beta = two_workspaces
    member = add_member("member")
    assert listed(member, organization) == set()
    WorkspaceRoleAssignment.objects.create(workspace=alpha, user=member, role="viewer")
    sync_workspace_permissions(alpha)
    assert listed(member, organization) == {"alpha-ws"}
    team = team_create(organization=organization, name="Beta team", acting_user=owner)
    WorkspaceRoleAssignment.objects.create(workspace=beta, team=team, role="developer")
    team_member_add(team=team, user=member, acting_user=owner)
    assert listed(member, organization) == {"alpha-ws", "beta-ws"}


def test_managers_and_viewers_list_but_cannot_open_without_a_role(client, add_member, two_workspaces):
    for role in ("manager", "viewer"):
        client.force_login(add_member(role))
        assert client.get(reverse("workspaces:overview", args=["alpha-ws"])).status_code == 403


def test_owners_and_admins_have_admin_rights_everywhere(client, add_member, two_workspaces):
    client.force_login(add_member("admin"))
    assert client.get(reverse("workspaces:settings", args=["beta-ws"])).status_code == 200


def test_a_global_permission_never_leaks_another_organization(make_user, organization, two_workspaces):
    stranger = make_user("stranger@example.com")
    elsewhere = organization_create(name="Elsewhere", acting_user=stranger)
    workspace_create(organization=elsewhere, slug="their-ws", display_name="Theirs", acting_user=stranger)
    member = make_user("member@example.com")
    membership_add(organization=elsewhere, user=member, role="member", acting_user=stranger)
    member.user_permissions.add(Permission.objects.get(codename="view_workspace"))
    assert member.has_perm("workspaces.view_workspace")  # the global permission is real
    assert listed(member, elsewhere) == set()
    assert listed(member, organization) == set()  # not a member there: nothing at all
