"""Creating, using and revoking personal access tokens.

A token belongs to one person and acts only as them, so only its owner may create, see or revoke it;
another person's token answers not_found. A token belongs to no organization but reaches every one its
owner belongs to, and Atrium has no account-level audit trail (every audit event belongs to one
organization), so creating and revoking one is audited in each organization the owner is an active
member of: each organization's admins see the credentials that can act in it. What the token then does
in an organization is audited there, as the token (`organizations.audit.audit_credential`).
"""

from datetime import datetime, timedelta

from django.db import transaction
from django.utils import timezone

from organizations.access import Access
from organizations.audit import AuditAction, audit_record
from organizations.errors import InvalidError, NotFoundError
from organizations.models import Membership
from organizations.roles import MANAGE_POLICIES

from .models import PersonalAccessToken, TokenPolicy
from .tokens import token_generate, token_hash, token_hint

MAX_TOKEN_LIFETIME = timedelta(days=366)
# A token's last use is written at most this often (per address), so that calls stay reads.
LAST_USED_RESOLUTION = timedelta(minutes=1)


class CredentialRefused(Exception):
    """The presented token does not authenticate; `message` says why (for the 401 answer)."""

    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


@transaction.atomic
def personal_access_token_create(
    *, name: str, expires_at: datetime, acting_user, now: datetime | None = None
) -> tuple[PersonalAccessToken, str]:
    """Create a token for `acting_user`; returns it with the token itself, which is never stored and
    so can be shown only now. The expiry is required, in the future and at most `MAX_TOKEN_LIFETIME`
    away."""
    now = now or timezone.now()
    name = name.strip()
    if not name:
        raise InvalidError("Name the token after what will use it.", field="name")
    if len(name) > PersonalAccessToken._meta.get_field("name").max_length:
        raise InvalidError("A token's name can be at most 100 characters long.", field="name")
    if expires_at is None:
        raise InvalidError("Choose when the token expires.", field="expires_at")
    if expires_at <= now:
        raise InvalidError("Choose an expiry date in the future.", field="expires_at")
    if expires_at > now + MAX_TOKEN_LIFETIME:
        raise InvalidError(
            "A token can live at most a year; choose an earlier expiry date.", field="expires_at"
        )
    secret = token_generate()
    token = PersonalAccessToken.objects.create(
        user=acting_user,
        name=name,
        token_hash=token_hash(secret),
        hint=token_hint(secret),
        created_at=now,
        expires_at=expires_at,
    )
    _audit_in_every_organization(
        token,
        AuditAction.PERSONAL_ACCESS_TOKEN_CREATE,
        after={"name": token.name, "hint": token.hint, "expires_at": expires_at.isoformat()},
    )
    return token, secret


def _audit_in_every_organization(token: PersonalAccessToken, action: str, *, after: dict) -> None:
    """Record `action` on `token` in each organization its owner is an active member of (the token
    can act in each of them; a deactivated membership cannot, so its organization is not told)."""
    memberships = Membership.objects.active().filter(user_id=token.user_id).select_related("organization")
    for membership in memberships:
        audit_record(
            organization=membership.organization,
            acting_user=token.user,
            action=action,
            target=token,
            after=after,
        )


@transaction.atomic
def personal_access_token_revoke(*, token_id: int, acting_user) -> PersonalAccessToken:
    """Revoke one of `acting_user`'s tokens; it stops working at its next call. Revoking a revoked
    token changes nothing; someone else's token is not_found."""
    token = (
        PersonalAccessToken.objects.select_for_update().filter(pk=token_id, user=acting_user).first()
        if acting_user.is_authenticated
        else None
    )
    if token is None:
        raise NotFoundError("No such token.")
    if token.revoked_at is None:
        token.revoked_at = timezone.now()
        token.save(update_fields=["revoked_at"])
        _audit_in_every_organization(
            token, AuditAction.PERSONAL_ACCESS_TOKEN_REVOKE, after={"name": token.name, "hint": token.hint}
        )
    return token


def personal_access_token_use(secret: str, *, ip_address: str | None) -> PersonalAccessToken:
    """The token `secret` stands for, if it may act now, with its owner loaded; records its last use
    (time and address). Raises CredentialRefused for an unknown, revoked or expired token, or one
    whose owner was deactivated."""
    token = PersonalAccessToken.objects.select_related("user").filter(token_hash=token_hash(secret)).first()
    if token is None:
        raise CredentialRefused("Bad credentials: no such token.")
    now = timezone.now()
    if token.revoked_at is not None:
        raise CredentialRefused("This token was revoked.")
    if token.expires_at <= now:
        raise CredentialRefused("This token has expired.")
    if not token.user.is_active:
        raise CredentialRefused("This token's account is deactivated.")
    stale = token.last_used_at is None or now - token.last_used_at >= LAST_USED_RESOLUTION
    if stale or token.last_used_ip != ip_address:
        PersonalAccessToken.objects.filter(pk=token.pk).update(last_used_at=now, last_used_ip=ip_address)
        token.last_used_at, token.last_used_ip = now, ip_address
    return token


@transaction.atomic
def token_policy_update(*, organization, max_lifetime_days: int | None, acting_user) -> TokenPolicy:
    """Set the longest lifetime (creation to expiry, in days) of the tokens that may act in
    `organization`; None lifts the maximum. Needs `manage_policies`; audited when it changes."""
    Access.for_user(acting_user, organization).require(f"organizations.{MANAGE_POLICIES}")
    if max_lifetime_days is not None and not 1 <= max_lifetime_days <= MAX_TOKEN_LIFETIME.days:
        raise InvalidError(
            f"Choose a maximum between 1 and {MAX_TOKEN_LIFETIME.days} days.", field="max_token_lifetime_days"
        )
    policy, _ = TokenPolicy.objects.select_for_update().get_or_create(organization=organization)
    before = policy.max_lifetime_days
    if before != max_lifetime_days:
        policy.max_lifetime_days = max_lifetime_days
        policy.save(update_fields=["max_lifetime_days", "updated_at"])
        audit_record(
            organization=organization,
            acting_user=acting_user,
            action=AuditAction.TOKEN_POLICY_UPDATE,
            target=organization,
            before={"max_token_lifetime_days": before},
            after={"max_token_lifetime_days": max_lifetime_days},
        )
    return policy


def token_policy_refusal(token: PersonalAccessToken, organization) -> str | None:
    """Why `token` may not act in `organization` under its token policy, or None when it may. The
    policy is about personal access tokens: a service account's key is governed by rotation instead."""
    if not isinstance(token, PersonalAccessToken):
        return None
    policy = TokenPolicy.objects.filter(organization=organization).first()
    if policy is None or policy.max_lifetime_days is None:
        return None
    if token.expires_at - token.created_at <= timedelta(days=policy.max_lifetime_days):
        return None
    return (
        f"{organization.name} allows personal access tokens that live at most {policy.max_lifetime_days} days; "
        "this one lives longer. Create a token that expires sooner."
    )
