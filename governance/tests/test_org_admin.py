"""/org-admin/: Django's admin for organization Owners, scoped to the organizations they own."""

import csv
import io

import pytest
from django.core import mail
from django.urls import reverse

from governance.services import invitation_create
from organizations import services as organization_services
from organizations.models import AuditEvent, Invitation, Membership, OrganizationUserObjectPermission, Team
from organizations.roles import OrganizationRoleKey
from organizations.services import team_create
from workspaces.models import Workspace, WorkspaceRoleAssignment, WorkspaceUserObjectPermission
from workspaces.services import workspace_create

pytestmark = pytest.mark.django_db


def url(name, *args):
    return reverse(f"org_admin:{name}", args=args)


@pytest.fixture
def other_org(outsider):
    """The outsider's organization, with a workspace, a team and an invitation an owner of Acme must never see."""
    organization = outsider.memberships.get().organization
    workspace_create(
        organization=organization, slug="secret-ws", display_name="Secret WS", acting_user=outsider
    )
    team_create(organization=organization, name="Secret Team", acting_user=outsider)
    invitation_create(
        organization=organization, email="secret@example.com", role="member", acting_user=outsider
    )
    return organization


@pytest.fixture
def acme(organization, owner, add_member, make_workspace):
    """Acme ML with an admin, a member, a workspace, a team and a pending invitation."""
    people = {
        "admin": add_member(OrganizationRoleKey.ADMIN, "ada@example.com"),
        "member": add_member(OrganizationRoleKey.MEMBER, "max@example.com"),
    }
    make_workspace("fraud-prod")
    team_create(organization=organization, name="Platform", acting_user=owner)
    invitation_create(organization=organization, email="new@example.com", role="member", acting_user=owner)
    return people


# --- Who may enter --------------------------------------------------------------------------------


def test_anonymous_visitors_are_sent_to_the_panel_login(client):
    response = client.get(url("index"))
    assert response.status_code == 302
    assert response["Location"] == url("login") + "?next=/org-admin/"


def test_a_non_staff_owner_logs_in_with_the_panel_form_and_sees_the_models(
    client, owner, password, organization
):
    assert not owner.is_staff
    page = client.get(url("login")).content.decode()
    assert "Atrium · Organization admin" in page
    response = client.post(
        url("login") + "?next=/org-admin/",
        {"username": owner.email, "password": password, "next": "/org-admin/"},
    )
    assert response.status_code == 302 and response["Location"] == "/org-admin/"
    index = client.get(url("index")).content.decode()
    for name in (
        "Memberships",
        "Teams",
        "Invitations",
        "Audit events",
        "Workspaces",
        "Workspace role assignments",
    ):
        assert name in index, name


@pytest.mark.parametrize("role", [OrganizationRoleKey.ADMIN, OrganizationRoleKey.MEMBER])
def test_members_who_own_nothing_cannot_log_in_or_enter(client, add_member, password, make_user, role):
    user = add_member(role)
    user.is_staff = True  # not even a staff flag opens the panel
    user.save()
    response = client.post(url("login"), {"username": user.email, "password": password})
    assert response.status_code == 200
    assert "This panel is for organization Owners." in response.content.decode()
    assert "_auth_user_id" not in client.session

    client.force_login(user)
    assert client.get(url("index"))["Location"].startswith(url("login"))
    assert client.get(url("organizations_membership_changelist")).status_code == 302
    login_page = client.get(url("login")).content.decode()
    assert "not authorized to access this page" in login_page


def test_an_inactive_owner_is_refused(client, owner, organization):
    client.force_login(owner)
    owner.is_active = False
    owner.save()
    assert client.get(url("index")).status_code == 302


# --- Everything is scoped to the owned organizations ---------------------------------------------


@pytest.mark.parametrize(
    ("changelist", "mine", "theirs"),
    [
        ("organizations_membership_changelist", "ada@example.com", "outsider@example.com"),
        ("organizations_team_changelist", "Platform", "Secret Team"),
        ("organizations_invitation_changelist", "new@example.com", "secret@example.com"),
        ("workspaces_workspace_changelist", "fraud-prod", "secret-ws"),
        ("workspaces_workspaceroleassignment_changelist", "Fraud Prod", "Secret WS"),
        ("organizations_auditevent_changelist", "Platform", "Secret Team"),
    ],
)
def test_every_list_shows_only_the_owned_organizations(
    owner_client, acme, other_org, changelist, mine, theirs
):
    page = owner_client.get(url(changelist)).content.decode()
    assert mine in page
    assert theirs not in page and "Other Corp" not in page  # not even in a filter


def test_objects_of_other_organizations_cannot_be_opened(owner_client, acme, other_org):
    foreign = {
        "organizations_membership": Membership.objects.get(organization=other_org),
        "organizations_team": Team.objects.get(organization=other_org),
        "workspaces_workspace": Workspace.objects.get(organization=other_org),
        "organizations_auditevent": AuditEvent.objects.filter(organization=other_org).first(),
    }
    for prefix, obj in foreign.items():
        response = owner_client.get(url(f"{prefix}_change", obj.pk))
        assert response.status_code == 302 and response["Location"] == url("index"), prefix
        assert owner_client.post(url(f"{prefix}_delete", obj.pk), {"post": "yes"}).status_code in (302, 403)
    assert Membership.objects.filter(organization=other_org).exists()
    assert Team.objects.filter(organization=other_org).exists()


def test_foreign_key_choices_are_scoped(owner_client, acme, other_org, organization):
    add_team = owner_client.get(url("organizations_team_add")).content.decode()
    assert "Acme ML" in add_team and "Other Corp" not in add_team
    assert "ada@example.com" in add_team and "outsider@example.com" not in add_team
    add_assignment = owner_client.get(url("workspaces_workspaceroleassignment_add")).content.decode()
    assert "Fraud Prod" in add_assignment and "Secret WS" not in add_assignment
    assert "Platform" in add_assignment and "Secret Team" not in add_assignment

    response = owner_client.post(
        url("organizations_team_add"),
        {"organization": str(other_org.pk), "name": "Sneaky", "description": "", "role": "", "members": []},
    )
    assert response.status_code == 200
    assert "Select a valid choice" in response.content.decode()
    assert not Team.objects.filter(name="Sneaky").exists()


# --- Memberships ----------------------------------------------------------------------------------


def test_members_can_be_searched_filtered_and_exported(owner_client, acme, organization, other_org):
    page = owner_client.get(url("organizations_membership_changelist"), {"q": "ada@"}).content.decode()
    assert "ada@example.com" in page and "max@example.com" not in page
    page = owner_client.get(
        url("organizations_membership_changelist"), {"role__exact": "member"}
    ).content.decode()
    assert "max@example.com" in page and "ada@example.com" not in page

    everyone = Membership.objects.filter(organization=organization)
    response = owner_client.post(
        url("organizations_membership_changelist"),
        {"action": "export_members_csv", "_selected_action": [m.pk for m in everyone], "index": "0"},
    )
    assert response["Content-Type"].startswith("text/csv")
    rows = list(csv.reader(io.StringIO(response.content.decode())))
    assert rows[0] == ["email", "name", "organization", "role", "joined"]
    assert {row[0]: row[3] for row in rows[1:]} == {
        "owner@example.com": "Owner",
        "ada@example.com": "Admin",
        "max@example.com": "Member",
    }


def test_changing_a_role_goes_through_the_service(owner_client, acme, organization):
    membership = Membership.objects.get(user=acme["member"])
    response = owner_client.post(url("organizations_membership_change", membership.pk), {"role": "manager"})
    assert response.status_code == 302
    membership.refresh_from_db()
    assert membership.role == "manager"
    assert AuditEvent.objects.filter(action="membership.role_change", after={"role": "manager"}).exists()
    assert OrganizationUserObjectPermission.objects.filter(
        user=acme["member"], content_object=organization, permission__codename="create_workspace"
    ).exists()


def test_a_refused_change_is_explained_on_the_form(owner_client, owner, organization):
    own = Membership.objects.get(user=owner)
    response = owner_client.post(url("organizations_membership_change", own.pk), {"role": "member"})
    assert response.status_code == 200
    page = response.content.decode()
    assert "You cannot change your own role." in page
    assert '<option value="member" selected>' in page  # what was chosen stays chosen
    own.refresh_from_db()
    assert own.role == OrganizationRoleKey.OWNER

    response = owner_client.post(url("organizations_membership_delete", own.pk), {"post": "yes"}, follow=True)
    assert "The last Owner cannot leave" in response.content.decode()
    assert Membership.objects.filter(pk=own.pk).exists()


def test_removing_a_member(owner_client, acme):
    membership = Membership.objects.get(user=acme["member"])
    response = owner_client.post(url("organizations_membership_delete", membership.pk), {"post": "yes"})
    assert response.status_code == 302
    assert not Membership.objects.filter(pk=membership.pk).exists()
    assert AuditEvent.objects.filter(
        action="membership.remove",
        target_type="membership",
        target_id=str(membership.pk),
        principal_type="user",
        principal_id=str(acme["member"].pk),
    ).exists()


# --- Teams, invitations ---------------------------------------------------------------------------


def test_adding_a_team_with_members_goes_through_the_services(owner_client, acme, organization):
    response = owner_client.post(
        url("organizations_team_add"),
        {"organization": str(organization.pk), "name": "Research", "description": "Models",
         "role": "viewer", "members": [acme["member"].pk]},
    )  # fmt: skip
    assert response.status_code == 302
    team = Team.objects.get(name="Research")
    assert list(team.members.all()) == [acme["member"]]
    assert AuditEvent.objects.filter(action="team.create", target_id=str(team.pk)).exists()
    assert AuditEvent.objects.filter(action="team.member_add", target_id=str(team.pk)).exists()
    assert OrganizationUserObjectPermission.objects.filter(
        user=acme["member"], content_object=organization, permission__codename="list_all_workspaces"
    ).exists()

    duplicate = owner_client.post(
        url("organizations_team_add"),
        {
            "organization": str(organization.pk),
            "name": "research",
            "description": "",
            "role": "",
            "members": [],
        },
    )
    assert "A team with this name already exists" in duplicate.content.decode()


@pytest.mark.django_db(transaction=True)  # the worker sends the mails
def test_resending_pending_invitations(owner_client, acme, organization, run_tasks):
    invitation = Invitation.objects.get(email="new@example.com")
    run_tasks()
    mail.outbox.clear()
    response = owner_client.post(
        url("organizations_invitation_changelist"),
        {"action": "resend_invitations", "_selected_action": [invitation.pk], "index": "0"},
        follow=True,
    )
    run_tasks()
    assert "Resent 1 invitation." in response.content.decode()
    invitation.refresh_from_db()
    assert invitation.send_count == 2
    assert [m.to for m in mail.outbox] == [["new@example.com"]]
    assert AuditEvent.objects.filter(action="invitation.resend", target_id=str(invitation.pk)).exists()


def test_a_resend_over_the_hourly_limit_is_reported(owner_client, owner, acme, organization):
    invitation = Invitation.objects.get(email="new@example.com")
    for _ in range(2):  # with the invitation's own, the 3 e-mails an address gets an hour
        organization_services.invitation_resend(invitation=invitation, acting_user=owner)
    response = owner_client.post(
        url("organizations_invitation_changelist"),
        {"action": "resend_invitations", "_selected_action": [invitation.pk], "index": "0"},
        follow=True,
    )
    page = response.content.decode()
    assert response.status_code == 200
    # (the admin capitalizes its messages)
    assert "new@example.com has already been sent 3 invitation e-mails in the last hour" in page.lower()
    assert "Resent" not in page
    assert AuditEvent.objects.filter(action="invitation.resend").count() == 2


# --- Workspaces and their role assignments --------------------------------------------------------


def test_deactivating_workspaces(owner_client, acme, organization):
    workspace = Workspace.objects.get(slug="fraud-prod")
    page = owner_client.get(url("workspaces_workspace_changelist"), {"q": "fraud"}).content.decode()
    assert "fraud-prod" in page and "Deactivate workspaces" in page
    response = owner_client.post(
        url("workspaces_workspace_changelist"),
        {"action": "deactivate_workspaces", "_selected_action": [workspace.pk], "index": "0"},
        follow=True,
    )
    assert "Deactivated fraud-prod." in response.content.decode()
    workspace.refresh_from_db()
    assert workspace.status == "deactivated" and workspace.desired_state == "deactivated"
    event = AuditEvent.objects.get(action="workspace.deactivate")
    assert event.after == {"status": "deactivated", "desired_state": "deactivated"}
    filtered = owner_client.get(url("workspaces_workspace_changelist"), {"status__exact": "available"})
    assert "fraud-prod" not in filtered.content.decode()


def test_the_workspace_id_is_not_editable_here(owner_client, acme):
    workspace = Workspace.objects.get(slug="fraud-prod")
    response = owner_client.post(
        url("workspaces_workspace_change", workspace.pk),
        {"slug": "renamed", "display_name": "Fraud (prod)", "description": "d", "readme": ""},
    )
    assert response.status_code == 302
    workspace.refresh_from_db()
    assert workspace.slug == "fraud-prod" and workspace.display_name == "Fraud (prod)"
    assert AuditEvent.objects.filter(action="workspace.update", target_id=str(workspace.pk)).exists()


def test_assigning_a_workspace_role_goes_through_the_service(owner_client, acme, organization, other_org):
    workspace = Workspace.objects.get(slug="fraud-prod")
    member = acme["member"]
    response = owner_client.post(
        url("workspaces_workspaceroleassignment_add"),
        {
            "workspace": str(workspace.pk),
            "user": member.pk,
            "team": "",
            "role": "developer",
            "custom_role": "",
        },
    )
    assert response.status_code == 302
    assert WorkspaceRoleAssignment.objects.filter(workspace=workspace, user=member, role="developer").exists()
    assert WorkspaceUserObjectPermission.objects.filter(
        user=member, content_object=workspace, permission__codename="update_pipelines"
    ).exists()
    assert AuditEvent.objects.filter(action="workspace_role.assign").exists()

    both = owner_client.post(
        url("workspaces_workspaceroleassignment_add"),
        {"workspace": str(workspace.pk), "user": acme["admin"].pk, "team": Team.objects.get(name="Platform").pk,
         "role": "", "custom_role": ""},
    )  # fmt: skip
    page = both.content.decode()
    assert "Choose either a person or a team" in page and "Choose either a predefined role" in page

    foreign = owner_client.post(
        url("workspaces_workspaceroleassignment_add"),
        {"workspace": str(Workspace.objects.get(organization=other_org).pk), "user": member.pk, "team": "",
         "role": "viewer", "custom_role": ""},
    )  # fmt: skip
    assert "Select a valid choice" in foreign.content.decode()


# --- The audit trail is read-only -----------------------------------------------------------------


def test_audit_events_are_read_only(owner_client, acme, organization):
    event = AuditEvent.objects.filter(organization=organization).first()
    assert owner_client.get(url("organizations_auditevent_add")).status_code == 403
    page = owner_client.get(url("organizations_auditevent_change", event.pk)).content.decode()
    assert event.action in page and 'name="_save"' not in page
    assert (
        owner_client.post(url("organizations_auditevent_change", event.pk), {"action": "x"}).status_code
        == 403
    )
    assert (
        owner_client.post(url("organizations_auditevent_delete", event.pk), {"post": "yes"}).status_code
        == 403
    )
    event.refresh_from_db()
    assert event.action != "x"


def test_an_owner_of_two_organizations_cannot_mix_them(owner_client, owner, acme, organization):
    from organizations.services import organization_create

    beta = organization_create(name="Beta Labs", acting_user=owner)
    beta_workspace = workspace_create(
        organization=beta, slug="beta-ws", display_name="Beta WS", acting_user=owner
    )
    page = owner_client.get(url("workspaces_workspaceroleassignment_add")).content.decode()
    assert "Beta WS" in page and "Fraud Prod" in page  # both are offered: the owner owns both

    response = owner_client.post(
        url("workspaces_workspaceroleassignment_add"),
        {"workspace": str(beta_workspace.pk), "user": acme["member"].pk, "team": "", "role": "viewer",
         "custom_role": ""},
    )  # fmt: skip
    assert response.status_code == 200
    page = response.content.decode()
    assert "Only members of the organization can get a role on its workspaces." in page
    assert f'<option value="{beta_workspace.pk}" selected>' in page
    assert not WorkspaceRoleAssignment.objects.filter(workspace=beta_workspace, user=acme["member"]).exists()
    assert not AuditEvent.objects.filter(organization=beta, action="workspace_role.assign").exists()


def test_a_refused_invitation_is_explained(owner_client, acme, organization):
    response = owner_client.post(
        url("organizations_invitation_add"),
        {"organization": str(organization.pk), "email": "new@example.com", "role": "member"},
    )
    assert response.status_code == 200
    assert "already has a pending invitation" in response.content.decode()
    assert Invitation.objects.filter(email="new@example.com").count() == 1

    response = owner_client.post(
        url("organizations_invitation_add"),
        {"organization": str(organization.pk), "email": "Fresh@Example.com", "role": "viewer"},
    )
    assert response.status_code == 302
    assert Invitation.objects.get(email="fresh@example.com").invited_by.email == "owner@example.com"
