"""An invitation's link: a random token that only the e-mail carries; only its hash is stored.

A link is made when the invitation's e-mail is sent (by the background task, see `invitation_mails`)
and works for `INVITATION_LIFETIME` from then. Making a new one, or withdrawing the current one,
makes every earlier link of the invitation stop working.
"""

import hashlib
import secrets
from datetime import timedelta

from django.utils import timezone

from ..models import Invitation

INVITATION_LIFETIME = timedelta(days=7)


def invitation_token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def invitation_issue(invitation: Invitation) -> str:
    """Give the invitation a new link (returned; only its hash is kept), valid for 7 days from now.
    The caller saves the invitation."""
    token = secrets.token_urlsafe(32)
    invitation.token_hash = invitation_token_hash(token)
    invitation.expires_at = timezone.now() + INVITATION_LIFETIME
    invitation.last_sent_at = timezone.now()
    invitation.send_count += 1
    return token


def invitation_link_withdraw(invitation: Invitation) -> None:
    """Make the invitation's current link stop working until its next e-mail brings a new one (the
    stored hash is of a token nobody sees), and give it 7 more days. The caller saves the invitation."""
    invitation.token_hash = invitation_token_hash(secrets.token_urlsafe(32))
    invitation.expires_at = timezone.now() + INVITATION_LIFETIME


def invitation_for_token_hash(token_hash: str) -> Invitation | None:
    return (
        Invitation.objects.select_related("organization", "invited_by").filter(token_hash=token_hash).first()
    )


def invitation_for_token(token: str) -> Invitation | None:
    return invitation_for_token_hash(invitation_token_hash(token))
