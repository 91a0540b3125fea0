"""Creating and deactivating service accounts, and making, rotating, revoking and using their keys.

Every write needs the organization's `manage_members` (service accounts are members that are not
people) and is audited in the same transaction. Keys are shown once: the functions that make one
return it beside its row, and only its hash is kept.
"""

import uuid
from datetime import datetime, timedelta

from django.contrib.auth import get_user_model
from django.db import IntegrityError, transaction
from django.utils import timezone

from organizations.access import Access
from organizations.audit import AuditAction, audit_record
from organizations.errors import ConflictError, InvalidError, NotFoundError
from organizations.models import Membership
from organizations.permission_sync import sync_organization_permissions
from organizations.roles import MANAGE_MEMBERS, OrganizationRoleKey
from organizations.services.members import check_may_grant

from .keys import key_generate, key_hash, key_hint
from .models import ServiceAccount, ServiceAccountKey

__all__ = [
    "service_account_create",
    "service_account_deactivate",
    "service_account_reactivate",
    "service_account_key_create",
    "service_account_key_rotate",
    "service_account_key_revoke",
]

MANAGE_MEMBERS_PERMISSION = f"organizations.{MANAGE_MEMBERS}"
DEFAULT_GRACE_PERIOD = timedelta(hours=24)
MAX_GRACE_PERIOD = timedelta(days=7)
# A key's last use is written at most this often (per address), so that calls stay reads.
LAST_USED_RESOLUTION = timedelta(minutes=1)
# The domain of the addresses of service accounts' users: reserved (RFC 2606), so no mail reaches anyone.
SERVICE_ACCOUNT_EMAIL_DOMAIN = "service-accounts.invalid"


class KeyRefused(Exception):
    """The presented key does not authenticate; `message` says why (for the 401 answer)."""

    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


def _check_text(*, name: str, description: str) -> tuple[str, str]:
    name, description = name.strip(), description.strip()
    if not name:
        raise InvalidError("Name the service account after what will use it.", field="name")
    if len(name) > ServiceAccount._meta.get_field("name").max_length:
        raise InvalidError("A name can be at most 100 characters long.", field="name")
    if len(description) > 2000:
        raise InvalidError("A description can be at most 2000 characters long.", field="description")
    return name, description


@transaction.atomic
def service_account_create(
    *, organization, name: str, role: str, acting_user, description: str = ""
) -> ServiceAccount:
    """Create a service account in `organization` holding the organization `role` (which the acting
    user must be allowed to grant, as for a person). It has no key yet: see `service_account_key_create`."""
    access = Access.for_user(acting_user, organization)
    access.require(MANAGE_MEMBERS_PERMISSION)
    name, description = _check_text(name=name, description=description)
    if role == OrganizationRoleKey.OWNER:
        raise InvalidError(
            "A service account cannot be an Owner: an Owner must be able to sign in.", field="role"
        )
    check_may_grant(access=access, role=role)
    user = get_user_model()(
        email=f"sa-{uuid.uuid4().hex}@{SERVICE_ACCOUNT_EMAIL_DOMAIN}",
        display_name=name,
        is_service_account=True,
    )
    user.set_unusable_password()
    user.save()
    try:
        with transaction.atomic():
            service_account = ServiceAccount.objects.create(
                organization=organization,
                user=user,
                name=name,
                description=description,
                created_by=acting_user,
            )
    except IntegrityError as error:
        raise ConflictError(
            f"{organization.name} already has a service account named {name}.", field="name"
        ) from error
    Membership.objects.create(organization=organization, user=user, role=role)
    sync_organization_permissions(organization, user_ids=[user.pk])
    audit_record(
        organization=organization,
        acting_user=acting_user,
        action=AuditAction.SERVICE_ACCOUNT_CREATE,
        target=service_account,
        principal=user,
        after={"name": name, "role": role},
    )
    return service_account


def _locked(service_account: ServiceAccount, acting_user) -> ServiceAccount:
    Access.for_user(acting_user, service_account.organization).require(MANAGE_MEMBERS_PERMISSION)
    locked = (
        ServiceAccount.objects.select_for_update(of=("self",))
        .select_related("organization", "user")
        .filter(pk=service_account.pk)
        .first()
    )
    if locked is None:
        raise NotFoundError("No such service account.")
    return locked


@transaction.atomic
def service_account_deactivate(*, service_account: ServiceAccount, acting_user) -> ServiceAccount:
    """Deactivate a service account: its keys, and the control-plane tokens they were exchanged
    for, stop working at their next call; its roles stay for a reactivation."""
    service_account = _locked(service_account, acting_user)
    if service_account.active:
        service_account.active = False
        service_account.save(update_fields=["active"])
        get_user_model().objects.filter(pk=service_account.user_id).update(is_active=False)
        audit_record(
            organization=service_account.organization,
            acting_user=acting_user,
            action=AuditAction.SERVICE_ACCOUNT_DEACTIVATE,
            target=service_account,
            principal=service_account.user,
        )
    return service_account


@transaction.atomic
def service_account_reactivate(*, service_account: ServiceAccount, acting_user) -> ServiceAccount:
    """Reactivate a deactivated service account: its keys that were neither revoked nor rotated out
    work again."""
    service_account = _locked(service_account, acting_user)
    if not service_account.active:
        service_account.active = True
        service_account.save(update_fields=["active"])
        get_user_model().objects.filter(pk=service_account.user_id).update(is_active=True)
        audit_record(
            organization=service_account.organization,
            acting_user=acting_user,
            action=AuditAction.SERVICE_ACCOUNT_REACTIVATE,
            target=service_account,
            principal=service_account.user,
        )
    return service_account


def _key_new(*, service_account, name: str, acting_user, now: datetime) -> tuple[ServiceAccountKey, str]:
    secret = key_generate()
    key = ServiceAccountKey.objects.create(
        service_account=service_account,
        name=name,
        key_hash=key_hash(secret),
        hint=key_hint(secret),
        created_by=acting_user,
        created_at=now,
    )
    return key, secret


@transaction.atomic
def service_account_key_create(
    *, service_account: ServiceAccount, name: str, acting_user
) -> tuple[ServiceAccountKey, str]:
    """A new API key for an active service account; returns it with the key itself (shown once)."""
    service_account = _locked(service_account, acting_user)
    name = name.strip()
    if not name:
        raise InvalidError("Name the key after where it will be kept, e.g. “GitHub Actions”.", field="name")
    if len(name) > 100:
        raise InvalidError("A key's name can be at most 100 characters long.", field="name")
    if not service_account.active:
        raise InvalidError("Reactivate the service account before giving it a key.")
    key, secret = _key_new(
        service_account=service_account, name=name, acting_user=acting_user, now=timezone.now()
    )
    audit_record(
        organization=service_account.organization,
        acting_user=acting_user,
        action=AuditAction.SERVICE_ACCOUNT_KEY_CREATE,
        target=key,
        principal=service_account.user,
        after={"name": name, "hint": key.hint},
    )
    return key, secret


def _locked_key(key: ServiceAccountKey, acting_user) -> ServiceAccountKey:
    _locked(key.service_account, acting_user)
    locked = (
        ServiceAccountKey.objects.select_for_update(of=("self",))
        .select_related("service_account__organization", "service_account__user")
        .filter(pk=key.pk)
        .first()
    )
    if locked is None:
        raise NotFoundError("No such key.")
    return locked


@transaction.atomic
def service_account_key_rotate(
    *, key: ServiceAccountKey, acting_user, grace_period: timedelta = DEFAULT_GRACE_PERIOD
) -> tuple[ServiceAccountKey, str]:
    """Replace `key` by a new one (returned with the new key itself, shown once). The old key keeps
    working for `grace_period` (24 hours by default, at most a week; zero ends it now), so the jobs
    using it can be moved over, then stops at its next call."""
    key = _locked_key(key, acting_user)
    if not timedelta(0) <= grace_period <= MAX_GRACE_PERIOD:
        raise InvalidError("Choose a grace period between 0 hours and 7 days.", field="grace_hours")
    now = timezone.now()
    if key.status not in {"active"}:
        raise InvalidError("Only an active key can be rotated; create a new key instead.")
    if not key.service_account.active:
        raise InvalidError("Reactivate the service account before rotating its keys.")
    new_key, secret = _key_new(
        service_account=key.service_account, name=key.name, acting_user=acting_user, now=now
    )
    key.expires_at, key.rotated_to = now + grace_period, new_key
    key.save(update_fields=["expires_at", "rotated_to"])
    audit_record(
        organization=key.service_account.organization,
        acting_user=acting_user,
        action=AuditAction.SERVICE_ACCOUNT_KEY_ROTATE,
        target=key,
        principal=key.service_account.user,
        after={
            "new_key": new_key.hint,
            "old_key_expires_at": key.expires_at.isoformat(),
            "grace_hours": round(grace_period.total_seconds() / 3600, 2),
        },
    )
    return new_key, secret


@transaction.atomic
def service_account_key_revoke(*, key: ServiceAccountKey, acting_user) -> ServiceAccountKey:
    """Revoke `key` now: it, and the control-plane tokens it was exchanged for, stop working at their
    next call. Revoking a revoked key changes nothing."""
    key = _locked_key(key, acting_user)
    if key.revoked_at is None:
        key.revoked_at = timezone.now()
        key.save(update_fields=["revoked_at"])
        audit_record(
            organization=key.service_account.organization,
            acting_user=acting_user,
            action=AuditAction.SERVICE_ACCOUNT_KEY_REVOKE,
            target=key,
            principal=key.service_account.user,
            after={"hint": key.hint},
        )
    return key


def service_account_key_use(secret: str, *, ip_address: str | None) -> ServiceAccountKey:
    """The key `secret` stands for, if it may act now, with its service account and user loaded;
    records its last use (time and address). Raises KeyRefused for an unknown, revoked, expired
    (rotated out past its grace period) key, or one of a deactivated service account."""
    key = (
        ServiceAccountKey.objects.select_related("service_account__user", "service_account__organization")
        .filter(key_hash=key_hash(secret))
        .first()
    )
    if key is None:
        raise KeyRefused("Bad credentials: no such API key.")
    now = timezone.now()
    if key.revoked_at is not None:
        raise KeyRefused("This API key was revoked.")
    if key.expires_at is not None and key.expires_at <= now:
        raise KeyRefused("This API key was rotated and its grace period is over; use its successor.")
    if not key.service_account.active or not key.service_account.user.is_active:
        raise KeyRefused("This API key's service account is deactivated.")
    stale = key.last_used_at is None or now - key.last_used_at >= LAST_USED_RESOLUTION
    if stale or key.last_used_ip != ip_address:
        ServiceAccountKey.objects.filter(pk=key.pk).update(last_used_at=now, last_used_ip=ip_address)
        key.last_used_at, key.last_used_ip = now, ip_address
    return key


def service_account_key_is_usable(key_id: int) -> bool:
    """Does the key with this id still authenticate (for tokens it was exchanged for)?"""
    return (
        ServiceAccountKey.objects.usable()
        .filter(pk=key_id, service_account__active=True, service_account__user__is_active=True)
        .exists()
    )
