"""The `zenml` command line's device login (RFC 8628): asked for, approved or denied on Atrium's
verification page by a person, exchanged for a user token by the polling CLI, revoked."""

import hashlib
import secrets
from datetime import timedelta

from django.db import transaction
from django.utils import timezone

from organizations.access import VIEW_WORKSPACE_PERMISSION, Access
from organizations.audit import AuditAction, audit_record
from organizations.errors import ConflictError, NotFoundError, PermissionDeniedError

from ..errors import OAuthError
from ..models import AccessToken, Device, DeviceStatus, TokenKind
from ..tokens import USER_TOKEN_LIFETIME, token_encode

DEVICE_CODE_LIFETIME = timedelta(minutes=10)
POLL_INTERVAL = 5  # seconds
# RFC 8628 §6.1: no vowels (no words), no look-alikes.
USER_CODE_ALPHABET = "BCDFGHJKLMNPQRSTVWXZ"


def device_code_digest(device_code: str) -> str:
    return hashlib.sha256(device_code.encode()).hexdigest()


def user_code_normalize(value: str) -> str:
    """What a person typed ("bcdf ghjk", "BCDFGHJK") as the stored form "BCDF-GHJK"."""
    letters = "".join(ch for ch in value.upper() if ch.isalnum())
    return f"{letters[:4]}-{letters[4:8]}" if len(letters) == 8 else letters


def _new_user_code() -> str:
    letters = "".join(secrets.choice(USER_CODE_ALPHABET) for _ in range(8))
    return f"{letters[:4]}-{letters[4:]}"


def user_agent_parse(header: str) -> dict[str, str]:
    """The ZenML CLI's User-Agent, "Host/<h> ZenML/<v> Python/<v> OS/<os>", as Device fields."""
    fields = {"Host": "hostname", "ZenML": "zenml_version", "Python": "python_version", "OS": "os"}
    parsed = {}
    for part in header.split():
        key, _, value = part.partition("/")
        if key in fields and value and value != "None":
            parsed[fields[key]] = value[: Device._meta.get_field(fields[key]).max_length]
    return parsed


# One address may have this many login requests waiting at once (each lasts DEVICE_CODE_LIFETIME):
# plenty for a team behind one NAT, and a flood of requests stops there.
PENDING_REQUESTS_PER_ADDRESS = 30


@transaction.atomic
def device_authorization_start(
    *, client_id, device_id=None, user_agent: str = "", ip_address: str | None = None
) -> tuple[Device, str]:
    """Start (or restart, for a device the CLI names by `device_id`) a device login. Returns the
    device and its device code, which is only kept as a digest. A restart puts the device back into
    `pending` with fresh codes, so its earlier tokens stop working; a revoked device is never
    reused. Refuses (OAuthError `slow_down`, 429) an address with too many requests waiting."""
    now = timezone.now()
    if ip_address:
        waiting = Device.objects.filter(
            ip_address=ip_address, status=DeviceStatus.PENDING, code_expires_at__gt=now
        ).exclude(pk=device_id)
        if waiting.count() >= PENDING_REQUESTS_PER_ADDRESS:
            raise OAuthError(
                "slow_down",
                "Too many login requests from this address; try again in a few minutes.",
                status=429,
            )
    device_code = secrets.token_urlsafe(32)
    user_code = _new_user_code()
    while Device.objects.filter(user_code=user_code, status=DeviceStatus.PENDING).exists():
        user_code = _new_user_code()
    values = {
        "device_code_digest": device_code_digest(device_code),
        "user_code": user_code,
        "status": DeviceStatus.PENDING,
        "code_expires_at": now + DEVICE_CODE_LIFETIME,
        "interval": POLL_INTERVAL,
        "last_polled_at": None,
        "decided_at": None,
        "workspace": None,
        "user": None,
        "ip_address": ip_address,
        "hostname": "",
        "os": "",
        "python_version": "",
        "zenml_version": "",
        **user_agent_parse(user_agent),
    }
    device = None
    if device_id:
        device = (
            Device.objects.select_for_update()
            .filter(pk=device_id, client_id=client_id)
            .exclude(status=DeviceStatus.REVOKED)
            .first()
        )
    if device is None:
        device = Device(client_id=client_id)
    for name, value in values.items():
        setattr(device, name, value)
    device.save()
    return device, device_code


def device_for_user_code(user_code: str) -> Device | None:
    """The pending device a person's code names (expired ones included, so the page can say so)."""
    code = user_code_normalize(user_code)
    if not code:
        return None
    return Device.objects.filter(user_code=code, status=DeviceStatus.PENDING).order_by("-created_at").first()


def _decide(*, device: Device, workspace, acting_user, status: str, action: str) -> Device:
    access = Access.for_user(acting_user, workspace.organization)
    access.require(
        VIEW_WORKSPACE_PERMISSION, workspace, message="Only people who may open this workspace may do that."
    )
    device = Device.objects.select_for_update().get(pk=device.pk)
    if device.status != DeviceStatus.PENDING:
        raise ConflictError("This login request was already answered.")
    if device.code_expires_at <= timezone.now():
        raise ConflictError("This login request has expired. Run `zenml login` again.")
    device.status, device.workspace, device.user = status, workspace, acting_user
    device.decided_at = timezone.now()
    device.save(update_fields=["status", "workspace", "user", "decided_at"])
    audit_record(
        organization=workspace.organization,
        acting_user=acting_user,
        action=action,
        target=device,
        principal=acting_user,
        after={
            "workspace": workspace.slug,
            "host": device.hostname,
            "os": device.os,
            "zenml_version": device.zenml_version,
        },
    )
    return device


@transaction.atomic
def device_approve(*, device: Device, workspace, acting_user) -> Device:
    """Let the waiting CLI log in as `acting_user`, for `workspace`; only someone who may open the
    workspace may. The CLI gets its token at its next poll."""
    return _decide(
        device=device,
        workspace=workspace,
        acting_user=acting_user,
        status=DeviceStatus.APPROVED,
        action=AuditAction.DEVICE_APPROVE,
    )


@transaction.atomic
def device_deny(*, device: Device, workspace, acting_user) -> Device:
    """Refuse the waiting CLI: its next poll gets `access_denied`."""
    return _decide(
        device=device,
        workspace=workspace,
        acting_user=acting_user,
        status=DeviceStatus.DENIED,
        action=AuditAction.DEVICE_DENY,
    )


@transaction.atomic
def device_revoke(*, device: Device, acting_user) -> Device:
    """Log a device out: every token it holds stops working at the next call. The person it logged
    in may, and so may whoever manages the members of its workspace."""
    if device.workspace is None or device.status != DeviceStatus.APPROVED:
        raise ConflictError("Only an approved device can be revoked.")
    access = Access.for_user(acting_user, device.workspace.organization)
    if device.user_id != acting_user.pk and not access.can(
        "workspaces.manage_workspace_members", device.workspace
    ):
        if not access.can_see(device.workspace):
            raise NotFoundError("No such device.")
        raise PermissionDeniedError("Only the device's owner or a workspace admin may revoke it.")
    now = timezone.now()
    Device.objects.filter(pk=device.pk).update(status=DeviceStatus.REVOKED)
    device.status = DeviceStatus.REVOKED
    AccessToken.objects.filter(device=device, revoked_at__isnull=True).update(revoked_at=now)
    audit_record(
        organization=device.workspace.organization,
        acting_user=acting_user,
        action=AuditAction.DEVICE_REVOKE,
        target=device,
        principal=device.user,
    )
    return device


def device_token_exchange(*, client_id, device_code: str) -> tuple[str, AccessToken]:
    """The CLI's poll (`grant_type=urn:ietf:params:oauth:grant-type:device_code`): a user token once
    the device is approved, else an OAuthError (`authorization_pending`, `slow_down`, `access_denied`,
    `expired_token`, `invalid_grant`). A device code gives one token."""
    error, token = _device_poll(client_id=client_id, device_code=device_code)
    if error is not None:
        raise error  # outside the transaction, so the poll's own bookkeeping is kept
    return token_encode(token.pk), token


@transaction.atomic
def _device_poll(*, client_id, device_code: str) -> tuple[OAuthError | None, AccessToken | None]:
    device = (
        Device.objects.select_for_update(of=("self",))
        .select_related("workspace__organization", "user")
        .filter(device_code_digest=device_code_digest(device_code or ""), client_id=client_id)
        .exclude(device_code_digest="")
        .first()
    )
    if device is None:
        return OAuthError("invalid_grant", "Unknown or already used device code."), None
    now = timezone.now()
    if device.status == DeviceStatus.DENIED:
        return OAuthError("access_denied", "The login request was denied."), None
    if device.code_expires_at <= now:
        return OAuthError("expired_token", "The login request expired; run `zenml login` again."), None
    if device.status != DeviceStatus.APPROVED:
        too_soon = device.last_polled_at and now - device.last_polled_at < timedelta(seconds=device.interval)
        device.last_polled_at = now
        if too_soon:
            device.interval += 5  # RFC 8628 §3.5: every slow_down adds five seconds
            device.save(update_fields=["last_polled_at", "interval"])
            return OAuthError("slow_down", "Polling too often."), None
        device.save(update_fields=["last_polled_at"])
        return OAuthError("authorization_pending", "Waiting for someone to approve the login."), None
    access = Access.for_user(device.user, device.workspace.organization)
    if not access.can(VIEW_WORKSPACE_PERMISSION, device.workspace):
        # Approved, but the approver lost access (or was deactivated) before the CLI came back.
        message = "The person who approved this login can no longer use the workspace."
        return OAuthError("access_denied", message), None
    token = AccessToken.objects.create(
        kind=TokenKind.USER, user=device.user, device=device, expires_at=now + USER_TOKEN_LIFETIME
    )
    device.device_code_digest, device.token_issued_at = "", now
    device.save(update_fields=["device_code_digest", "token_issued_at"])
    return None, token
