"""Inviting someone new from a workspace's Members page, and copying an invitation as a link."""

import re

import pytest
from django.core import mail
from django.test import Client
from django.urls import reverse

from accounts.models import User
from organizations.models import AuditEvent, Invitation, InvitationMail
from workspaces.models import WorkspaceRoleAssignment
from workspaces.services import custom_role_create, workspace_role_assign

# Invitation e-mails are sent by the background worker, which needs real transactions (see run_tasks).
pytestmark = pytest.mark.django_db(transaction=True)

ACCEPT_URL = "/invitations/accept/"
LINK = re.compile(r"https?://[^/\s\"]+(/invitations/[^/\s\"]+/)")


def _members(workspace):
    return reverse("workspaces:members", args=[workspace.slug])


def _invite(workspace):
    return reverse("workspace_member_invite", args=[workspace.slug])


def test_a_workspace_members_page_invites_someone_new_with_a_custom_role(
    owner_client, organization, owner, make_workspace, run_tasks
):
    workspace = make_workspace("fraud-detection", display_name="Fraud detection")
    role = custom_role_create(
        organization=organization, name="Reviewer", base_role="viewer", acting_user=owner
    )
    page = owner_client.get(_members(workspace)).content.decode()
    assert "Invite someone new" in page and "Reviewer" in page
    response = owner_client.post(
        _invite(workspace),
        {"invite-email": "Rita@Example.com", "invite-role": f"custom:{role.pk}"},
        follow=True,
    )
    page = response.content.decode()
    assert "Invitation sent to rita@example.com: Reviewer of Fraud detection once they accept." in page
    assert "Invited, not joined yet" in page and "rita@example.com" in page
    invitation = Invitation.objects.get(email="rita@example.com")
    assert invitation.role == "member"
    assert invitation.workspace_roles == [{"workspace": str(workspace.pk), "custom_role": role.pk}]
    run_tasks()
    link = LINK.search(mail.outbox[-1].body).group(1)

    visitor = Client()
    visitor.get(link)
    accept_page = visitor.get(ACCEPT_URL).content.decode()
    assert "Waiting for you" in accept_page
    assert (
        "Fraud detection" in accept_page and "fraud-detection" in accept_page and "as Reviewer" in accept_page
    )
    response = visitor.post(ACCEPT_URL, {"password": "a-long-passphrase-7", "display_name": "Rita"})
    assert response.status_code == 302 and response["Location"] == f"/w/{workspace.slug}/"
    landing = visitor.get(response["Location"]).content.decode()
    assert "You are Reviewer of Fraud detection." in landing
    assignment = WorkspaceRoleAssignment.objects.get(workspace=workspace, user__email="rita@example.com")
    assert assignment.custom_role == role


def test_the_invite_form_keeps_what_was_typed_when_refused(owner_client, make_workspace, add_member):
    workspace = make_workspace("churn-model")
    add_member("viewer", "val@example.com")
    response = owner_client.post(
        _invite(workspace),
        {"invite-email": "val@example.com", "invite-role": "developer"},
        headers={"HX-Request": "true"},
    )
    page = response.content.decode()
    assert "val@example.com is already a member of Acme ML." in page
    assert 'value="val@example.com"' in page
    assert not Invitation.objects.exists()


def test_a_workspace_admin_who_cannot_invite_is_told_whom_to_ask(
    client, organization, owner, make_workspace, add_member
):
    workspace = make_workspace("churn-model")
    wes = add_member("member", "wes@example.com")
    workspace_role_assign(workspace=workspace, user=wes, role="admin", acting_user=owner)
    client.force_login(wes)
    page = client.get(_members(workspace)).content.decode()
    assert "Invite someone new" not in page
    assert "ask an admin of Acme ML to invite them" in page
    response = client.post(_invite(workspace), {"invite-email": "new@example.com", "invite-role": "viewer"})
    assert response.status_code == 403
    assert not Invitation.objects.exists()


def test_an_invitation_can_be_copied_as_a_link_that_works(owner_client, organization, make_workspace):
    workspace = make_workspace("churn-model")
    owner_client.post(_invite(workspace), {"invite-email": "lee@example.com", "invite-role": "viewer"})
    invitation = Invitation.objects.get(email="lee@example.com")
    url = reverse("organizations:invitation_link", args=[organization.slug, invitation.pk])
    response = owner_client.post(url, headers={"HX-Request": "true"})
    fragment = response.content.decode()
    assert "Works once, only for lee@example.com" in fragment and "Copy" in fragment
    link = LINK.search(fragment).group(1)
    # The mail still waiting would replace the link: it is not sent.
    assert not InvitationMail.objects.filter(invitation=invitation, status="queued").exists()
    assert AuditEvent.objects.filter(action="invitation.link_copy").count() == 1
    visitor = Client()
    visitor.get(link)
    response = visitor.post(ACCEPT_URL, {"password": "a-long-passphrase-7", "display_name": "Lee"})
    assert response["Location"] == f"/w/{workspace.slug}/"
    assert User.objects.get(email="lee@example.com")
    # Without htmx the link is shown at the top of the Invitations page.
    owner_client.post(_invite(workspace), {"invite-email": "kim@example.com", "invite-role": "viewer"})
    kim = Invitation.objects.get(email="kim@example.com")
    page = owner_client.post(
        reverse("organizations:invitation_link", args=[organization.slug, kim.pk])
    ).content.decode()
    assert "Link for kim@example.com" in page and LINK.search(page)


def test_the_invitations_page_offers_custom_roles_on_a_workspace(
    owner_client, organization, owner, make_workspace
):
    workspace = make_workspace("churn-model")
    role = custom_role_create(
        organization=organization, name="Reviewer", base_role="viewer", acting_user=owner
    )
    url = reverse("organizations:invitations", args=[organization.slug])
    assert '<optgroup label="Custom roles">' in owner_client.get(url).content.decode()
    owner_client.post(
        url,
        {
            "email": "cy@example.com",
            "role": "member",
            "workspace": str(workspace.pk),
            "workspace_role": f"custom:{role.pk}",
        },
    )
    invitation = Invitation.objects.get(email="cy@example.com")
    assert invitation.workspace_roles == [{"workspace": str(workspace.pk), "custom_role": role.pk}]
    page = owner_client.get(url).content.decode()
    assert "+ Reviewer on" in page
