"""Regression tests for the rules of role changes (issue 3 §1): nobody grants above their own, by any
path — custom roles, teams, invitations — and an organization never loses its last Owner."""

import threading

import pytest
from django.core.exceptions import ValidationError
from django.db import connection, transaction

from governance.services import (
    invitation_accept,
    invitation_create,
    team_delete,
    team_member_add,
    team_member_remove,
)
from organizations.errors import PermissionDeniedError
from organizations.models import AuditEvent, Membership
from organizations.services import membership_change_role, team_create
from workspaces.roles import RESOURCE_KEYS, cell
from workspaces.services import (
    custom_role_create,
    custom_role_set_cell,
    workspace_role_assign,
)

pytestmark = pytest.mark.django_db


def test_a_custom_role_cannot_smuggle_permissions_its_granter_lacks(
    organization, owner, add_member, make_workspace
):
    workspace = make_workspace("guarded")
    delegate_role = custom_role_create(
        organization=organization, name="Delegate", base_role="viewer", acting_user=owner
    )
    custom_role_set_cell(
        role=delegate_role, resource="members", action="create", granted=True, acting_user=owner
    )
    power = custom_role_create(organization=organization, name="Power", base_role="viewer", acting_user=owner)
    for resource in RESOURCE_KEYS:
        custom_role_set_cell(role=power, resource=resource, action="delete", granted=True, acting_user=owner)
    power.refresh_from_db()
    delegate, friend = add_member("member"), add_member("member")
    workspace_role_assign(workspace=workspace, user=delegate, custom_role=delegate_role, acting_user=owner)

    with pytest.raises(PermissionDeniedError, match="above your own"):
        workspace_role_assign(workspace=workspace, user=friend, custom_role=power, acting_user=delegate)
    workspace_role_assign(
        workspace=workspace, user=friend, role="viewer", acting_user=delegate
    )  # within theirs
    team = team_create(organization=organization, name="Delegates", acting_user=owner)
    team_member_add(team=team, user=delegate, acting_user=owner)
    # Giving one's own team its first role there changes nobody's access beyond the giver's own rights;
    # changing that role afterwards would change the giver's own access, so someone else must.
    workspace_role_assign(workspace=workspace, team=team, role="viewer", acting_user=delegate)
    with pytest.raises(PermissionDeniedError, match="would change your own"):
        workspace_role_assign(workspace=workspace, team=team, role="contributor", acting_user=delegate)
    other_team = team_create(organization=organization, name="Others", acting_user=owner)
    with pytest.raises(PermissionDeniedError, match="above your own"):
        workspace_role_assign(workspace=workspace, team=other_team, custom_role=power, acting_user=delegate)
    assert cell("workspace_settings", "delete") in power.permissions


def test_organization_roles_through_teams_need_the_right_to_manage_members(organization, add_member):
    manager, viewer = add_member("manager"), add_member("viewer")
    with pytest.raises(PermissionDeniedError, match="manage members"):
        team_create(organization=organization, name="Promoted", role="manager", acting_user=manager)
    team = team_create(organization=organization, name="Plain", acting_user=manager)  # no role: fine
    team_member_add(team=team, user=viewer, acting_user=manager)
    assert Membership.objects.get(user=viewer).role == "viewer"


def test_a_manager_cannot_strip_or_delete_a_team_that_administers_a_workspace(
    organization, owner, add_member, make_workspace
):
    workspace = make_workspace("team-guarded")
    manager, admin_person = add_member("manager"), add_member("member")
    team = team_create(organization=organization, name="WS Admins", acting_user=owner)
    team_member_add(team=team, user=admin_person, acting_user=owner)
    workspace_role_assign(workspace=workspace, team=team, role="admin", acting_user=owner)
    with pytest.raises(PermissionDeniedError, match="above yours"):
        team_member_remove(team=team, user=admin_person, acting_user=manager)
    with pytest.raises(PermissionDeniedError, match="above yours"):
        team_delete(team=team, acting_user=manager)
    assert team.members.filter(pk=admin_person.pk).exists()


def test_invited_workspace_roles_follow_the_same_rules_and_are_audited(
    organization, owner, add_member, make_workspace, make_user
):
    workspace = make_workspace("invited-to")
    admin = add_member("admin")
    manager = add_member("manager")
    with pytest.raises(PermissionDeniedError):  # a Manager holds no role on the workspace: nothing to give
        invitation_create(
            organization=organization, email="x@example.com", role="member", acting_user=manager,
            workspace_roles=[{"workspace": str(workspace.pk), "role": "admin"}],
        )  # fmt: skip
    invitation = invitation_create(
        organization=organization, email="newbie@example.com", role="member", acting_user=admin,
        workspace_roles=[{"workspace": str(workspace.pk), "role": "developer"}],
    )  # fmt: skip
    newbie = make_user("newbie@example.com")
    invitation_accept(invitation=invitation, user=newbie)
    assert workspace.role_assignments.get(user=newbie).role == "developer"
    granted = AuditEvent.objects.get(
        action="workspace_role.assign", principal_type="user", principal_id=str(newbie.pk)
    )
    # The invitee acted (accepting); the inviter's right made the grant, and is named.
    assert granted.actor == newbie and granted.after["on_behalf_of"]["user"] == admin.pk


@pytest.mark.django_db(transaction=True)
def test_two_owners_demoting_each_other_at_once_leave_one_owner(organization, owner, add_member):
    if connection.vendor != "postgresql":
        pytest.skip("Real concurrent transactions need PostgreSQL (SQLite serializes writers).")
    second = add_member("owner", "second-owner@example.com")
    barrier = threading.Barrier(2)
    outcomes = []

    def demote(actor, target):
        try:
            barrier.wait(5)
            with transaction.atomic():
                membership_change_role(
                    membership=Membership.objects.get(organization=organization, user=target),
                    role="admin",
                    acting_user=actor,
                )
            outcomes.append("demoted")
        except ValidationError as error:
            outcomes.append(" ".join(error.messages))
        finally:
            connection.close()

    threads = [threading.Thread(target=demote, args=pair) for pair in ((owner, second), (second, owner))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(10)
    assert Membership.objects.filter(organization=organization, role="owner").count() >= 1
    assert outcomes.count("demoted") == 1 and len(outcomes) == 2
