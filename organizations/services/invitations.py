"""Invitations of an organization: their links, resending and revoking.

Creating an invitation (which may carry workspace grants) and accepting one (which applies them)
also touch workspaces, so they live in `governance.services.invitations`.
"""

import hashlib
import secrets
from datetime import timedelta

from django.db import transaction
from django.utils import timezone

from config.site import site_url

from ..access import Access
from ..audit import AuditAction, audit_record
from ..errors import ConflictError
from ..models import Invitation, InvitationStatus
from ..roles import MANAGE_MEMBERS
from .members import check_may_grant

MANAGE_MEMBERS_PERMISSION = f"organizations.{MANAGE_MEMBERS}"
INVITATION_LIFETIME = timedelta(days=7)


def invitation_token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def invitation_send(invitation: Invitation, token: str) -> None:
    """Mail the invitation after the transaction commits (nothing is sent for a rolled-back one)."""
    from django.core.mail import send_mail
    from django.template.loader import render_to_string
    from django.urls import reverse

    link = site_url(reverse("invitation_accept", args=[token]))
    context = {"invitation": invitation, "link": link, "inviter": invitation.invited_by}
    subject = f"Join {invitation.organization.name} on Atrium"
    body = render_to_string("organizations/invitation_email.txt", context)
    transaction.on_commit(lambda: send_mail(subject, body, None, [invitation.email]))


def invitation_issue(invitation: Invitation) -> str:
    """Give the invitation a new link (returned; only its hash is kept), valid for 7 days from now."""
    token = secrets.token_urlsafe(32)
    invitation.token_hash = invitation_token_hash(token)
    invitation.expires_at = timezone.now() + INVITATION_LIFETIME
    invitation.last_sent_at = timezone.now()
    invitation.send_count += 1
    return token


def _locked_pending(invitation: Invitation, verb: str) -> Invitation:
    invitation = Invitation.objects.select_for_update(of=("self",)).get(pk=invitation.pk)
    if invitation.status != InvitationStatus.PENDING:
        raise ConflictError(f"Only pending invitations can be {verb}.")
    return invitation


@transaction.atomic
def invitation_resend(*, invitation: Invitation, acting_user) -> Invitation:
    """Send a new link (the old one stops working). The invitation is then on the resender's behalf,
    so they must be able to give its role themselves."""
    access = Access.for_user(acting_user, invitation.organization)
    access.require(MANAGE_MEMBERS_PERMISSION)
    check_may_grant(access=access, role=invitation.role)
    invitation = _locked_pending(invitation, "resent")
    token = invitation_issue(invitation)  # a new link, valid for 7 more days; the old link stops working
    invitation.invited_by = acting_user
    invitation.save(update_fields=["token_hash", "expires_at", "last_sent_at", "send_count", "invited_by"])
    audit_record(organization=invitation.organization, acting_user=acting_user,
                 action=AuditAction.INVITATION_RESEND, target=invitation,
                 after={"email": invitation.email})  # fmt: skip
    invitation_send(invitation, token)
    return invitation


@transaction.atomic
def invitation_revoke(*, invitation: Invitation, acting_user) -> Invitation:
    Access.for_user(acting_user, invitation.organization).require(MANAGE_MEMBERS_PERMISSION)
    invitation = _locked_pending(invitation, "revoked")
    invitation.status = InvitationStatus.REVOKED
    invitation.save(update_fields=["status"])
    audit_record(organization=invitation.organization, acting_user=acting_user,
                 action=AuditAction.INVITATION_REVOKE, target=invitation,
                 before={"status": "pending"}, after={"status": "revoked"})  # fmt: skip
    return invitation


def invitation_for_token(token: str) -> Invitation | None:
    return (
        Invitation.objects.select_related("organization", "invited_by")
        .filter(token_hash=invitation_token_hash(token))
        .first()
    )
