"""Tokens for workspace servers (OAuth client credentials) and the exchange of a user's token by a
workspace server (ZenML's `users/authorize_server`)."""

import uuid
from datetime import timedelta

from django.db import transaction
from django.utils import timezone

from organizations.access import VIEW_WORKSPACE_PERMISSION, Access
from organizations.audit import AuditAction, audit_record
from organizations.errors import NotFoundError, PermissionDeniedError
from service_accounts.services import KeyRefused, service_account_key_use
from workspaces import onboarding
from workspaces.models import Workspace
from workspaces.roles import WORKSPACE_ROLES, WorkspaceRoleKey
from workspaces.server_secrets import enrollment_secret_matches
from workspaces.services import onboarding_step_complete
from workspaces.services.servers import workspace_server_ensure, workspace_server_used

from ..errors import OAuthError
from ..models import ATRIUM_SERVICE_ID, AccessToken, Device, DeviceStatus, TokenKind
from ..selectors import external_identity_for
from ..tokens import SERVER_TOKEN_LIFETIME, USER_TOKEN_LIFETIME, token_encode

PURGE_AFTER = timedelta(days=1)


def server_token_issue(*, client_id: str, client_secret: str) -> tuple[str, AccessToken]:
    """A workspace server's token (`grant_type=client_credentials`): `client_id` is the workspace's
    UUID, `client_secret` its enrollment secret (`workspaces.server_secrets`)."""
    try:
        workspace = Workspace.objects.live().filter(pk=uuid.UUID(str(client_id))).first()
    except ValueError:
        workspace = None
    if workspace is None or not enrollment_secret_matches(workspace_server_ensure(workspace), client_secret):
        raise OAuthError("invalid_client", "Unknown workspace or wrong secret.", status=401)
    token = AccessToken.objects.create(
        kind=TokenKind.SERVER, workspace=workspace, expires_at=timezone.now() + SERVER_TOKEN_LIFETIME
    )
    expired_purge()  # each server logs in about once an hour: often enough to keep the tables small
    return token_encode(token.pk), token


def expired_purge() -> None:
    """Forget what can no longer log anyone in: tokens expired a day ago, and login requests nobody
    approved that expired a day ago. Approved and revoked devices stay (the audit trail names them)."""
    cutoff = timezone.now() - PURGE_AFTER
    AccessToken.objects.filter(expires_at__lt=cutoff).delete()
    Device.objects.filter(
        status__in=[DeviceStatus.PENDING, DeviceStatus.DENIED], code_expires_at__lt=cutoff
    ).delete()


def workspace_admin_level(access: Access, workspace: Workspace) -> bool:
    """Does the user hold every permission of the workspace Admin role there (ZenML's `is_superuser`)?"""
    held = access.workspace_permissions(workspace)
    return held is None or WORKSPACE_ROLES[WorkspaceRoleKey.ADMIN].permissions <= held


@transaction.atomic
def server_user_authorize(*, token: AccessToken, workspace: Workspace) -> dict:
    """Who the holder of a user `token` is to `workspace`'s server, as ZenML's `ExternalUserModel`.

    Refuses (PermissionDeniedError) a deactivated user and anyone who may not open the workspace, on
    every call, not only when the token was issued. The token's first use is audited; a command-line
    device's token ticks the workspace's "Log in from the command line".
    """
    user = token.user
    access = Access.for_user(user, workspace.organization)
    if not user.is_active or not access.can(VIEW_WORKSPACE_PERMISSION, workspace):
        raise PermissionDeniedError("This user may not open this workspace.")
    approved_for = token.device.workspace if token.device_id else None
    if approved_for is not None and approved_for.organization_id != workspace.organization_id:
        raise PermissionDeniedError("This login was approved for another organization.")
    at_approved_workspace = approved_for is not None and approved_for.pk == workspace.pk
    identity = external_identity_for(user)
    if user.is_service_account:  # the name people gave it, not its placeholder address
        return {
            "id": str(identity.external_id),
            "username": user.service_account.name,
            "name": user.service_account.name,
            "is_superuser": workspace_admin_level(access, workspace),
            "is_service_account": True,
        }
    if token.first_used_at is None and at_approved_workspace:
        token.first_used_at = timezone.now()
        AccessToken.objects.filter(pk=token.pk).update(first_used_at=token.first_used_at)
        if token.device_id:
            audit_record(
                organization=workspace.organization,
                acting_user=user,
                action=AuditAction.DEVICE_FIRST_USE,
                target=token.device,
                principal=user,
                after={"workspace": workspace.slug},
            )
    if at_approved_workspace:  # the device approved for this workspace logged in to its server
        onboarding_step_complete(workspace=workspace, key=onboarding.CLI_LOGIN)
    workspace_server_used(workspace)
    return {
        "id": str(identity.external_id),
        "username": user.email,
        "email": user.email,
        "name": user.get_full_name(),
        "is_superuser": workspace_admin_level(access, workspace),
        "is_service_account": user.is_service_account,
    }


def api_key_token_issue(*, api_key: str, ip_address: str | None) -> tuple[str, AccessToken]:
    """A service account's user token for its API key (`zenml login --api-key`: `auth/login` with
    `password=ZENPROKEY_…`). It lives `USER_TOKEN_LIFETIME` at most and dies with the key: revoking
    the key, its rotation's grace period ending or the service account's deactivation stop it."""
    try:
        key = service_account_key_use(api_key, ip_address=ip_address)
    except KeyRefused as refusal:
        raise OAuthError("invalid_grant", refusal.message, status=401) from refusal
    token = AccessToken.objects.create(
        kind=TokenKind.USER,
        user=key.service_account.user,
        service_account_key=key,
        expires_at=timezone.now() + USER_TOKEN_LIFETIME,
    )
    return token_encode(token.pk), token


def api_key_as_token(*, api_key: str, ip_address: str | None) -> AccessToken | None:
    """What a workspace server sends when a CLI logs in to it with the API key itself (ZenML passes
    `ZENPROKEY_…` verbatim to `users/authorize_server`): an unsaved user token of the key's service
    account, or None for a key that does not authenticate."""
    try:
        key = service_account_key_use(api_key, ip_address=ip_address)
    except KeyRefused:
        return None
    return AccessToken(
        kind=TokenKind.USER,
        user=key.service_account.user,
        service_account_key=key,
        expires_at=timezone.now() + USER_TOKEN_LIFETIME,
    )


def server_workspace_for(value: str) -> Workspace:
    """The live workspace a server names by its id (ZenML's `server_id`), or NotFoundError."""
    try:
        workspace = (
            Workspace.objects.live().select_related("organization").filter(pk=uuid.UUID(value)).first()
        )
    except ValueError:
        workspace = None
    if workspace is None:
        raise NotFoundError("No such workspace.")
    return workspace


SERVICE_TOKEN_LIFETIME = timedelta(minutes=10)


def service_token_issue(*, workspace: Workspace) -> str:
    """A short-lived token with which Atrium itself logs in to `workspace`'s server (to set it up:
    its first project). Called by the system, never by a person."""
    token = AccessToken.objects.create(
        kind=TokenKind.SERVICE, workspace=workspace, expires_at=timezone.now() + SERVICE_TOKEN_LIFETIME
    )
    return token_encode(token.pk)


PERSON_TOKEN_LIFETIME = timedelta(minutes=10)


def person_server_token_issue(*, user, workspace: Workspace) -> str:
    """A short-lived token with which Atrium's pages read `workspace`'s server as `user` (the server
    exchanges it for the user's workspace JWT). Only for someone who may open the workspace; it is
    sent to the workspace's server, never to the browser."""
    Access.for_user(user, workspace.organization).require(VIEW_WORKSPACE_PERMISSION, workspace)
    token = AccessToken.objects.create(
        kind=TokenKind.USER, user=user, expires_at=timezone.now() + PERSON_TOKEN_LIFETIME
    )
    return token_encode(token.pk)


def service_identity_authorize(*, token: AccessToken, workspace: Workspace) -> dict:
    """Atrium itself, to the one workspace server its service `token` was issued for: an admin service
    account (ZenML's `ExternalUserModel`)."""
    if token.workspace_id != workspace.pk:
        raise PermissionDeniedError("This token is for another workspace.")
    return {
        "id": str(ATRIUM_SERVICE_ID),
        "username": "atrium",
        "name": "Atrium",
        "is_superuser": True,
        "is_service_account": True,
    }
