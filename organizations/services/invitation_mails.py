"""Invitation e-mails: queued by the action that needs one, sent by a background task.

A person's action (inviting, resending) only records that a mail is due (an `InvitationMail` row) and
enqueues `organizations.tasks.send_invitation_mail` with that row's id once the transaction commits.
The task gives the invitation a new link and mails it, so the link's token is written nowhere: not in
the task's stored arguments, not in the database (only its hash), not in the audit trail.
"""

from django.conf import settings
from django.core.mail import send_mail
from django.db import transaction
from django.template.loader import render_to_string
from django.urls import reverse

from ..audit import AuditAction, audit_record
from ..models import Invitation, InvitationMail, InvitationMailStatus, InvitationStatus
from .invitation_links import invitation_issue


def invitation_mail_queue(invitation: Invitation) -> InvitationMail:
    """Record that `invitation` is due an e-mail and have the background task send it once the
    current transaction commits. Call it inside the action's transaction."""
    from ..tasks import send_invitation_mail

    mail = InvitationMail.objects.create(
        organization=invitation.organization, invitation=invitation, email=invitation.email.lower()
    )
    transaction.on_commit(lambda: send_invitation_mail.enqueue(mail.pk))
    return mail


@transaction.atomic
def invitation_mail_deliver(*, invitation_mail_id: int) -> str:
    """Send one queued invitation e-mail with a new link (the invitation's previous link stops
    working) and return what became of it: "sent", "skipped" or "missing".

    Nothing is sent when the invitation is no longer pending (revoked, accepted or expired while the
    mail waited), nor twice for one queued mail. The mail goes out before the transaction commits, so
    when sending fails the new link is not kept, the row stays queued and the task's result shows
    the error.
    """
    mail = InvitationMail.objects.select_for_update().filter(pk=invitation_mail_id).first()
    if mail is None:
        return "missing"
    if mail.status != InvitationMailStatus.QUEUED:
        return mail.status
    invitation = (
        Invitation.objects.select_for_update(of=("self",))
        .select_related("organization", "invited_by")
        .get(pk=mail.invitation_id)
    )
    organization = invitation.organization
    status = invitation.effective_status
    if status != InvitationStatus.PENDING:
        mail.status = InvitationMailStatus.SKIPPED
        mail.save(update_fields=["status"])
        audit_record(organization=organization, acting_user=None,
                     action=AuditAction.INVITATION_MAIL_SKIPPED, target=invitation,
                     after={"email": mail.email, "invitation_status": status})  # fmt: skip
        return mail.status
    token = invitation_issue(invitation)
    invitation.save(update_fields=["token_hash", "expires_at", "last_sent_at", "send_count"])
    mail.status, mail.sent_at = InvitationMailStatus.SENT, invitation.last_sent_at
    mail.save(update_fields=["status", "sent_at"])
    audit_record(organization=organization, acting_user=None, action=AuditAction.INVITATION_MAIL_SENT,
                 target=invitation, after={"email": mail.email})  # fmt: skip
    link = settings.ATRIUM_BASE_URL + reverse("invitation_accept", args=[token])
    context = {"invitation": invitation, "link": link, "inviter": invitation.invited_by}
    body = render_to_string("organizations/invitation_email.txt", context)
    send_mail(f"Join {organization.name} on Atrium", body, None, [invitation.email])
    return mail.status
