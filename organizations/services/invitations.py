"""Invitations of an organization: resending and revoking them.

Creating an invitation (which may carry workspace grants) and accepting one (which applies them)
also touch workspaces, so they live in `governance.services.invitations`. Links are made in
`invitation_links`, e-mails queued, throttled and sent in `invitation_mails`.
"""

from django.db import transaction

from ..access import Access
from ..audit import AuditAction, audit_record
from ..errors import ConflictError
from ..models import Invitation, InvitationMailStatus, InvitationStatus
from ..roles import MANAGE_MEMBERS
from .invitation_links import invitation_issue, invitation_link_withdraw
from .invitation_mails import invitation_mail_queue
from .members import check_may_grant

MANAGE_MEMBERS_PERMISSION = f"organizations.{MANAGE_MEMBERS}"


def _locked_pending(invitation: Invitation, verb: str) -> Invitation:
    invitation = Invitation.objects.select_for_update(of=("self",)).get(pk=invitation.pk)
    if invitation.status != InvitationStatus.PENDING:
        raise ConflictError(f"Only pending invitations can be {verb}.")
    return invitation


@transaction.atomic
def invitation_resend(*, invitation: Invitation, acting_user) -> Invitation:
    """Mail a new link, valid for 7 days (the old one stops working now; the background task sends
    the new one). The invitation is then on the resender's behalf, so they must be able to give its
    role themselves. Refused with ConflictError, changing nothing, when the address or the
    organization has had its hourly share of invitation e-mails (see `invitation_mails`)."""
    access = Access.for_user(acting_user, invitation.organization)
    access.require(MANAGE_MEMBERS_PERMISSION)
    check_may_grant(access=access, role=invitation.role)
    invitation = _locked_pending(invitation, "resent")
    invitation_mail_queue(invitation)  # refuses before anything changes when the e-mail is throttled
    invitation_link_withdraw(invitation)
    invitation.invited_by = acting_user
    invitation.save(update_fields=["token_hash", "expires_at", "invited_by"])
    audit_record(organization=invitation.organization, acting_user=acting_user,
                 action=AuditAction.INVITATION_RESEND, target=invitation,
                 after={"email": invitation.email})  # fmt: skip
    return invitation


@transaction.atomic
def invitation_revoke(*, invitation: Invitation, acting_user) -> Invitation:
    """Withdraw a pending invitation: its link stops working and a mail still queued is not sent."""
    Access.for_user(acting_user, invitation.organization).require(MANAGE_MEMBERS_PERMISSION)
    invitation = _locked_pending(invitation, "revoked")
    invitation.status = InvitationStatus.REVOKED
    invitation.save(update_fields=["status"])
    audit_record(organization=invitation.organization, acting_user=acting_user,
                 action=AuditAction.INVITATION_REVOKE, target=invitation,
                 before={"status": "pending"}, after={"status": "revoked"})  # fmt: skip
    return invitation


@transaction.atomic
def invitation_link_copy(*, invitation: Invitation, acting_user) -> str:
    """Give a pending invitation a new link to hand over by other means than e-mail (an installation
    without mail, a chat message) and return it; only its hash is kept, so it is shown once.

    Like a resend, the link is on the copier's behalf (they must be able to give its role) and valid
    for 7 days; every earlier link stops working, and an e-mail still waiting to be sent is not sent
    (its new link would replace this one)."""
    access = Access.for_user(acting_user, invitation.organization)
    access.require(MANAGE_MEMBERS_PERMISSION)
    check_may_grant(access=access, role=invitation.role)
    invitation = _locked_pending(invitation, "copied as a link")
    invitation.mails.filter(status=InvitationMailStatus.QUEUED).update(status=InvitationMailStatus.SKIPPED)
    token = invitation_issue(invitation)
    invitation.invited_by = acting_user
    invitation.save(update_fields=["token_hash", "expires_at", "last_sent_at", "send_count", "invited_by"])
    audit_record(organization=invitation.organization, acting_user=acting_user,
                 action=AuditAction.INVITATION_LINK_COPY, target=invitation,
                 after={"email": invitation.email})  # fmt: skip
    return token
