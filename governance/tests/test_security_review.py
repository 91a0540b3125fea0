"""The holes a security review found, each closed, each with the test that failed before the fix.

(Login lockout, secrets, proxies and Vary are tested in accounts/ and config/; invitation e-mails and
links in test_invitations.)
"""

import threading

import pytest
from django.db import connection
from django.test import Client
from django.urls import reverse

from governance.services import invitation_accept, invitation_create, membership_remove, team_delete
from organizations.errors import ConflictError, InvalidError, NotFoundError, PermissionDeniedError
from organizations.models import AuditEvent, Membership, Organization, Team
from organizations.services import (
    membership_change_role,
    organization_create,
    organization_update,
    team_create,
)
from workspaces.models import WorkspaceRoleAssignment
from workspaces.services import custom_role_create, workspace_role_assign, workspace_role_remove


def page(response) -> str:
    return response.content.decode()


def test_the_custom_role_page_names_holders_only_on_workspaces_the_reader_can_see(
    client, organization, owner, add_member, make_workspace
):
    role = custom_role_create(
        organization=organization, name="Auditor", base_role="viewer", acting_user=owner
    )
    seen, hidden = make_workspace("seen-ws"), make_workspace("hidden-ws")
    holder = add_member("member", "holder@example.com")
    reader = add_member("member", "reader@example.com")
    for workspace in (seen, hidden):
        workspace_role_assign(workspace=workspace, user=holder, custom_role=role, acting_user=owner)
    workspace_role_assign(workspace=seen, user=reader, role="viewer", acting_user=owner)
    client.force_login(reader)
    shown = page(client.get(reverse("workspaces:role", args=[organization.slug, role.pk])))
    assert "seen-ws" in shown and "hidden-ws" not in shown
    client.force_login(owner)
    shown = page(client.get(reverse("workspaces:role", args=[organization.slug, role.pk])))
    assert "seen-ws" in shown and "hidden-ws" in shown


def test_a_manager_cannot_rename_or_redescribe_a_team_whose_role_is_above_their_own(
    client, organization, owner, add_member
):
    admins = team_create(organization=organization, name="Platform admins", role="admin", acting_user=owner)
    plain = team_create(organization=organization, name="Readers", acting_user=owner)
    manager = add_member("manager")
    client.force_login(manager)
    response = client.post(
        reverse("organizations:team", args=[organization.slug, admins.pk]),
        {"name": "Renamed by manager", "description": "mine now", "role": "admin"},
    )
    assert response.status_code == 200
    assert "above your own" in page(response)
    admins.refresh_from_db()
    assert (admins.name, admins.description) == ("Platform admins", "")
    # A team within their reach they may still rename.
    response = client.post(
        reverse("organizations:team", args=[organization.slug, plain.pk]),
        {"name": "Readers and writers", "description": "", "role": ""},
    )
    assert response.status_code == 302
    assert Team.objects.get(pk=plain.pk).name == "Readers and writers"


def test_text_fields_have_a_maximum_length_at_every_door(client, organization, owner):
    huge = "x" * 2_000_000
    with pytest.raises(InvalidError) as refusal:
        organization_update(organization=organization, name="Acme ML", description=huge, acting_user=owner)
    assert refusal.value.field == "description" and "at most 2,000" in refusal.value.message
    client.force_login(owner)
    response = client.post(
        reverse("organizations:settings", args=[organization.slug]), {"name": "Acme ML", "description": huge}
    )
    assert response.status_code == 200 and "at most 2000 characters" in page(response)
    organization.refresh_from_db()
    assert organization.description == ""
    assert not AuditEvent.objects.filter(action="organization.update").exists()
    with pytest.raises(InvalidError):
        team_create(organization=organization, name="T", description=huge, acting_user=owner)


def test_two_identical_create_organization_submissions_make_one_organization(client, owner):
    client.force_login(owner)
    url = reverse("organizations:create")
    first = client.post(url, {"name": "Twice Corp"})
    second = client.post(url, {"name": "Twice Corp"})
    assert Organization.objects.filter(name="Twice Corp").count() == 1
    assert first["Location"] == second["Location"] == reverse("organizations:home", args=["twice-corp"])
    # A deliberate second organization of the same name, later, is still possible.
    assert organization_create(name="Other Corp", acting_user=owner).slug == "other-corp"


def test_an_invitation_grants_no_more_than_its_inviter_now_could(organization, owner, add_member, make_user):
    inviter = add_member("admin", "inviter@example.com")
    invitation = invitation_create(
        organization=organization, email="newcomer@example.com", role="admin", acting_user=inviter
    )
    membership_change_role(
        membership=Membership.objects.get(user=inviter, organization=organization),
        role="viewer",
        acting_user=owner,
    )
    newcomer = make_user("newcomer@example.com")
    with pytest.raises(PermissionDeniedError, match="can no longer give the role Admin"):
        invitation_accept(invitation=invitation, user=newcomer)
    assert not Membership.objects.filter(user=newcomer).exists()
    assert not AuditEvent.objects.filter(action="invitation.accept").exists()


def test_removing_a_member_already_removed_is_not_found_and_recorded_once(organization, owner, add_member):
    gone = add_member("member", "gone@example.com")
    membership = Membership.objects.get(user=gone, organization=organization)
    membership_remove(membership=membership, acting_user=owner)
    with pytest.raises(NotFoundError):
        membership_remove(membership=membership, acting_user=owner)
    assert AuditEvent.objects.filter(action="membership.remove", principal_id=str(gone.pk)).count() == 1


def test_the_last_owner_is_a_conflict(organization, owner):
    with pytest.raises(ConflictError, match="last Owner"):
        membership_remove(membership=Membership.objects.get(user=owner), acting_user=owner)


# --- Concurrent duplicates: real threads, real transactions (PostgreSQL; SQLite serializes writers) ---


def _at_once(*calls):
    """Run the calls in threads released together; returns each one's result or the exception it raised."""
    barrier = threading.Barrier(len(calls))
    results = [None] * len(calls)

    def run(i, call):
        try:
            barrier.wait(5)
            results[i] = call()
        except Exception as error:
            results[i] = error
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(i, call)) for i, call in enumerate(calls)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(20)
    return results


def _client_for(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def _require_postgresql():
    if connection.vendor != "postgresql":
        pytest.skip("Real concurrent transactions need PostgreSQL (SQLite serializes writers).")


@pytest.mark.django_db(transaction=True)
def test_removing_the_same_member_twice_at_once(organization, owner, add_member):
    _require_postgresql()
    gone = add_member("member", "gone@example.com")
    membership = Membership.objects.get(user=gone, organization=organization)
    url = reverse("organizations:member_remove", args=[organization.slug, membership.pk])
    clients = [_client_for(owner), _client_for(owner)]
    responses = _at_once(*[lambda c=c: c.post(url) for c in clients])
    assert sorted(r.status_code for r in responses) == [302, 302], responses
    assert not Membership.objects.filter(pk=membership.pk).exists()
    assert AuditEvent.objects.filter(action="membership.remove", principal_id=str(gone.pk)).count() == 1


@pytest.mark.django_db(transaction=True)
def test_leaving_twice_at_once(organization, add_member):
    _require_postgresql()
    leaver = add_member("member", "leaver@example.com")
    membership = Membership.objects.get(user=leaver, organization=organization)
    url = reverse("organizations:member_remove", args=[organization.slug, membership.pk])
    clients = [_client_for(leaver), _client_for(leaver)]
    responses = _at_once(*[lambda c=c: c.post(url) for c in clients])
    assert all(not isinstance(r, Exception) and r.status_code in {302, 404} for r in responses), responses
    assert AuditEvent.objects.filter(action="membership.leave", principal_id=str(leaver.pk)).count() == 1


@pytest.mark.django_db(transaction=True)
def test_deleting_the_same_team_twice_at_once(organization, owner):
    _require_postgresql()
    team = team_create(organization=organization, name="Doomed", acting_user=owner)
    results = _at_once(
        lambda: team_delete(team=team, acting_user=owner), lambda: team_delete(team=team, acting_user=owner)
    )
    assert sum(r is None for r in results) == 1
    assert sum(isinstance(r, NotFoundError) for r in results) == 1, results
    assert AuditEvent.objects.filter(action="team.delete", target_id=str(team.pk)).count() == 1


@pytest.mark.django_db(transaction=True)
def test_removing_the_same_role_assignment_twice_at_once(organization, owner, add_member, make_workspace):
    _require_postgresql()
    workspace = make_workspace("race-roles")
    holder = add_member("member", "holder@example.com")
    assignment = workspace_role_assign(workspace=workspace, user=holder, role="viewer", acting_user=owner)
    url = reverse("workspaces:member_remove", args=[workspace.slug, assignment.pk])
    clients = [_client_for(owner), _client_for(owner)]
    responses = _at_once(*[lambda c=c: c.post(url) for c in clients])
    assert all(not isinstance(r, Exception) and r.status_code in {200, 302, 404} for r in responses), (
        responses
    )
    assert not WorkspaceRoleAssignment.objects.filter(pk=assignment.pk).exists()
    assert AuditEvent.objects.filter(action="workspace_role.remove", principal_id=str(holder.pk)).count() == 1
    with pytest.raises(NotFoundError):
        workspace_role_remove(assignment=assignment, acting_user=owner)


def test_the_custom_roles_list_counts_only_holders_the_reader_can_see(
    client, organization, owner, add_member, make_workspace
):
    role = custom_role_create(
        organization=organization, name="Counted", base_role="viewer", acting_user=owner
    )
    seen, hidden = make_workspace("count-seen"), make_workspace("count-hidden")
    holder, reader = add_member("member", "holder@example.com"), add_member("member", "reader@example.com")
    for workspace in (seen, hidden):
        workspace_role_assign(workspace=workspace, user=holder, custom_role=role, acting_user=owner)
    workspace_role_assign(workspace=seen, user=reader, role="viewer", acting_user=owner)
    client.force_login(reader)
    response = client.get(reverse("workspaces:roles", args=[organization.slug]))
    assert [r.holder_count for r in response.context["page"].object_list] == [1]
    client.force_login(owner)
    response = client.get(reverse("workspaces:roles", args=[organization.slug]))
    assert [r.holder_count for r in response.context["page"].object_list] == [2]


def test_adding_the_same_person_twice_is_a_conflict_not_an_error(
    organization, owner, add_member, make_workspace
):
    from django.db import IntegrityError

    from workspaces.services import role_assignments

    workspace = make_workspace("twice-added")
    dana = add_member("member", "dana@example.com")
    original = role_assignments.WorkspaceRoleAssignment.save

    def lose_the_race(self, *args, **kwargs):  # the other request inserted first
        raise IntegrityError("workspace_role_unique_user")

    role_assignments.WorkspaceRoleAssignment.save = lose_the_race
    try:
        with pytest.raises(ConflictError, match="a moment ago"):
            workspace_role_assign(workspace=workspace, user=dana, role="viewer", acting_user=owner)
    finally:
        role_assignments.WorkspaceRoleAssignment.save = original


def test_the_stepper_refuses_bad_grants_before_writing(organization, owner, add_member):
    from workspaces.models import Workspace
    from workspaces.services import RoleGrant, workspace_create

    dana = add_member("member", "dana@example.com")
    twice = [RoleGrant(role="viewer", user=dana), RoleGrant(role="developer", user=dana)]
    with pytest.raises(InvalidError, match="twice"):
        workspace_create(
            organization=organization, slug="bad-grants", display_name="B", grants=twice, acting_user=owner
        )
    with pytest.raises(InvalidError, match="one person or one team"):
        workspace_create(
            organization=organization, slug="bad-grants", display_name="B", grants=[RoleGrant(role="viewer")],
            acting_user=owner,
        )  # fmt: skip
    assert not Workspace.objects.filter(slug="bad-grants").exists()


def test_an_invitation_naming_a_malformed_workspace_is_not_found(organization, owner):
    with pytest.raises(NotFoundError):
        invitation_create(
            organization=organization, email="x@example.com", role="member", acting_user=owner,
            workspace_roles=[{"workspace": "not-a-uuid", "role": "viewer"}],
        )  # fmt: skip
