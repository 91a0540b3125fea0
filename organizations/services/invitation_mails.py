"""Invitation e-mails: queued by the action that needs one, sent by a background task, throttled.

A person's action (inviting, resending) only records that a mail is due (an `InvitationMail` row) and
enqueues `organizations.tasks.send_invitation_mail` with that row's id once the transaction commits.
The task gives the invitation a new link and mails it, so the link's token is written nowhere: not in
the task's stored arguments, not in the database (only its hash), not in the audit trail.

Throttling counts the mails queued or sent in the last hour (not the ones skipped): at most
`MAILS_PER_ADDRESS_PER_HOUR` to one address from one organization (resending cannot flood an inbox),
and at most `MAILS_PER_ORGANIZATION_PER_HOUR` from one organization (one full bulk invite fits).
The address limit is per organization, so another organization can neither exhaust nor observe it.
"""

import math
from datetime import datetime, timedelta

from django.core.mail import send_mail
from django.db import transaction
from django.db.models import QuerySet
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone

from config.site import site_url

from ..audit import AuditAction, audit_record
from ..errors import ConflictError
from ..models import Invitation, InvitationMail, InvitationMailStatus, InvitationStatus, Organization
from .invitation_links import invitation_issue

MAILS_PER_ADDRESS_PER_HOUR = 3
MAILS_PER_ORGANIZATION_PER_HOUR = 1000  # a full bulk invite (500 lines), with as much again to spare
THROTTLE_WINDOW = timedelta(hours=1)


def _counted(mails: QuerySet, now: datetime) -> QuerySet:
    return mails.filter(
        queued_at__gt=now - THROTTLE_WINDOW,
        status__in=[InvitationMailStatus.QUEUED, InvitationMailStatus.SENT],
    )


def _next_slot(mails: QuerySet, limit: int) -> datetime | None:
    """When one more of `mails` (already counted ones) fits under `limit`; None when one fits now."""
    count = mails.count()
    if count < limit:
        return None
    oldest_to_age_out = mails.order_by("queued_at").values_list("queued_at", flat=True)[count - limit]
    return oldest_to_age_out + THROTTLE_WINDOW


def _when(moment: datetime, now: datetime) -> str:
    minutes = max(1, math.ceil((moment - now).total_seconds() / 60))
    local = timezone.localtime(moment)
    return f"after {local:%H:%M} {local.tzname()} (in {minutes} minute{'s' if minutes != 1 else ''})"


def invitation_mail_check_throttle(*, organization: Organization, email: str) -> None:
    """Refuse (ConflictError, saying when it will be possible) one more invitation e-mail to `email`
    from `organization` when either hourly limit is reached."""
    now = timezone.now()
    mails = _counted(InvitationMail.objects.filter(organization=organization), now)
    to_address = _next_slot(mails.filter(email=email.lower()), MAILS_PER_ADDRESS_PER_HOUR)
    if to_address:
        raise ConflictError(
            f"{email} has already been sent {MAILS_PER_ADDRESS_PER_HOUR} invitation e-mails in the last "
            f"hour, the most one address gets. You can send another {_when(to_address, now)}.",
            field="email",
        )
    from_organization = _next_slot(mails, MAILS_PER_ORGANIZATION_PER_HOUR)
    if from_organization:
        raise ConflictError(
            f"{organization.name} has sent {MAILS_PER_ORGANIZATION_PER_HOUR:,} invitation e-mails in the "
            "last hour, the most an organization may send. "
            f"You can send more {_when(from_organization, now)}."
        )


def invitation_mail_queue(invitation: Invitation, *, throttle_checked: bool = False) -> InvitationMail:
    """Record that `invitation` is due an e-mail (throttled: see the module) and have the background
    task send it once the current transaction commits. Call it inside the action's transaction; with
    `throttle_checked`, the action already asked `invitation_mail_check_throttle` (before writing)."""
    from ..tasks import send_invitation_mail

    if not throttle_checked:
        invitation_mail_check_throttle(organization=invitation.organization, email=invitation.email)
    mail = InvitationMail.objects.create(
        organization=invitation.organization,
        invitation=invitation,
        email=invitation.email.lower(),
        site_address=site_url(),
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
    link = (mail.site_address or site_url()) + reverse("invitation_link", args=[token])
    context = {"invitation": invitation, "link": link, "inviter": invitation.invited_by}
    body = render_to_string("organizations/invitation_email.txt", context)
    send_mail(f"Join {organization.name} on Atrium", body, None, [invitation.email])
    return mail.status
