"""Reads of the control plane: tokens presented by callers, and the workspaces a user may look up."""

import uuid

from django.utils import timezone

from organizations.access import Access
from organizations.models import Organization
from service_accounts.services import service_account_key_is_usable
from workspaces.models import Workspace, WorkspaceStatus
from workspaces.selectors import workspace_list_for_user

from .models import AccessToken, Device, DeviceStatus, ExternalIdentity, TokenKind
from .tokens import token_decode

# Workspaces whose server may talk to the control plane.
RUNNABLE = frozenset({WorkspaceStatus.PENDING, WorkspaceStatus.AVAILABLE})


def access_token_get(value: str, *, kind: str) -> AccessToken | None:
    """The live token of `kind` that `value` carries, or None: unknown, forged, expired, revoked, of a
    revoked (or re-requested) device, of a revoked or rotated-out API key, or a server token of a
    deleted workspace. One query (two for a service account's token)."""
    token_id = token_decode(value) if value else None
    if token_id is None:
        return None
    token = (
        AccessToken.objects.select_related("user", "workspace__organization", "device")
        .filter(pk=token_id, kind=kind, revoked_at__isnull=True, expires_at__gt=timezone.now())
        .first()
    )
    if token is None:
        return None
    if token.device_id and token.device.status != DeviceStatus.APPROVED:
        return None
    if token.service_account_key_id and not service_account_key_is_usable(token.service_account_key_id):
        return None
    if kind == TokenKind.SERVER and token.workspace.status not in RUNNABLE:
        return None  # a server of a deactivated, failed or deleted workspace gets nothing more
    return token


def external_identity_for(user) -> ExternalIdentity:
    """The user's stable ZenML id, made the first time it is needed."""
    identity, _ = ExternalIdentity.objects.get_or_create(user=user)
    return identity


def workspace_by_name_or_id(value: str) -> Workspace | None:
    """A live workspace by its ID (the slug ZenML calls its name) or its UUID."""
    workspaces = Workspace.objects.live().select_related("organization", "server")
    try:
        return workspaces.filter(pk=uuid.UUID(str(value))).first()
    except ValueError:
        return workspaces.with_id(value).first()


def token_organization_id(token):
    """The organization a user token may act in: the one its device was approved for."""
    workspace = token.device.workspace if token.device_id else None
    return workspace.organization_id if workspace is not None else None


def workspaces_for_lookup(*, user, name: str = "", url: str = "", organization_id=None) -> list[Workspace]:
    """The workspaces `user` may see that ZenML's `GET /workspaces` asked for: by name (the workspace
    ID), by server URL, or all of them; each organization's checked with one `Access`. With
    `organization_id`, only that organization's (a device approved there acts nowhere else)."""
    if not user.is_active:
        return []
    if not name and not url:
        found = []
        organizations = Organization.objects.filter(memberships__user=user)
        if organization_id is not None:
            organizations = organizations.filter(pk=organization_id)
        for organization in organizations:
            access = Access.for_user(user, organization)
            found.extend(
                workspace_list_for_user(organization=organization, access=access).select_related("server")
            )
        return found
    candidates = Workspace.objects.live().filter(organization__memberships__user=user)
    if organization_id is not None:
        candidates = candidates.filter(organization_id=organization_id)
    if name:
        candidates = candidates.with_id(name)
    candidates = candidates.select_related("organization", "server")
    if url:
        wanted = url.rstrip("/")
        candidates = [
            ws for ws in candidates if ws.server_address and ws.server_address.rstrip("/") == wanted
        ]
    accesses: dict[object, Access] = {}
    found = []
    for workspace in candidates:
        if workspace.organization_id not in accesses:
            accesses[workspace.organization_id] = Access.for_user(user, workspace.organization)
        if accesses[workspace.organization_id].can_see(workspace):
            found.append(workspace)
    return found


def device_list_for_user(user):
    """The command lines the person logged in (or tried to), newest first, with their workspaces."""
    return (
        Device.objects.filter(
            user=user, status__in=[DeviceStatus.APPROVED, DeviceStatus.REVOKED, DeviceStatus.DENIED]
        )
        .select_related("workspace__organization")
        .order_by("-created_at")
    )
