"""Deleting a workspace, restoring it within the grace period, and purging it for good afterwards.

Deletion is soft: the workspace turns `deleted` (hidden from every page and list at once; its server is
stopped, because the supervisor runs no server of a workspace that is not wanted available) and keeps
its roles, labels and data, so a restore within `restore_days()` brings it back as it was, deactivated.
After that, `workspace_purge_expired` (`manage.py purge_deleted_workspaces`) removes the row and
what hangs off it. The ID is never freed: a deleted workspace's row holds it, and a purged one leaves
a `RetiredWorkspaceId`.

Both people's actions ask `Access` for `workspaces.delete_workspace` on the workspace, which
organization Owners and Admins hold on every workspace and workspace Admins on theirs; a policy that
asks more (protected workspaces) tightens that one check.
"""

import logging
from datetime import timedelta

from django.conf import settings
from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from organizations.access import Access
from organizations.audit import AuditAction, audit_record
from organizations.errors import ConflictError, InvalidError, PermissionDeniedError

from ..models import DesiredState, RetiredWorkspaceId, Workspace, WorkspaceStatus
from ..provisioners import get_provisioner
from ..roles import DELETE_WORKSPACE

logger = logging.getLogger(__name__)
DELETE_PERMISSION = f"workspaces.{DELETE_WORKSPACE}"


def restore_days() -> int:
    """How long a deleted workspace can be restored (ATRIUM_WORKSPACE_RESTORE_DAYS, 30 by default)."""
    return int(getattr(settings, "ATRIUM_WORKSPACE_RESTORE_DAYS", 30))


def workspace_restorable_until(workspace: Workspace):
    """When the grace period of a deleted workspace ends (None if it is not deleted)."""
    deleted_at = workspace.deleted_at or workspace.status_changed_at
    if workspace.status != WorkspaceStatus.DELETED or deleted_at is None:
        return None
    return deleted_at + timedelta(days=restore_days())


def _stop_server(workspace: Workspace) -> None:
    try:
        get_provisioner().stop(workspace)
    except Exception:  # the supervisor stops it anyway: a deleted workspace is not wanted running
        logger.exception("Stopping the server of deleted workspace %s failed", workspace.slug)


@transaction.atomic
def workspace_delete(*, workspace: Workspace, acting_user, typed_id: str) -> Workspace:
    """Delete a workspace (soft): `typed_id` must be its ID, as the person typed it to confirm.

    It turns `deleted` with `deleted_at` and `deleted_by` set, its server is stopped after commit, and
    the deletion is audited. Raises PermissionDeniedError/NotFoundError (checked first, so a refusal
    says nothing about the ID), InvalidError when `typed_id` does not match, ConflictError when it is
    already deleted.
    """
    access = Access.for_user(acting_user, workspace.organization)
    access.require(
        DELETE_PERMISSION,
        workspace,
        message="Only an Admin of this workspace or of the organization may delete it.",
    )
    if not access.may_delete_workspace(workspace):  # a protected workspace: its Admins only
        raise PermissionDeniedError(
            "This workspace is protected: only its Admins and the organization's Admins may delete it."
        )
    workspace = (
        Workspace.objects.select_for_update(of=("self",)).select_related("organization").get(pk=workspace.pk)
    )
    if workspace.status == WorkspaceStatus.DELETED:
        raise ConflictError(f"“{workspace.slug}” is already deleted.")
    if (typed_id or "").strip() != workspace.slug:
        raise InvalidError(
            f"That is not this workspace's ID. Type “{workspace.slug}” exactly to delete it.",
            field="typed_id",
        )
    now = timezone.now()
    before = {"status": workspace.status, "desired_state": workspace.desired_state}
    who = getattr(acting_user, "email", "") or "an administrator"
    fields = {
        "status": WorkspaceStatus.DELETED,
        "desired_state": DesiredState.DELETED,
        "status_reason": f"Deleted by {who}",
        "status_changed_at": now,
        "deleted_at": now,
        "deleted_by": acting_user,
        "updated_at": now,
    }
    Workspace.objects.filter(pk=workspace.pk).update(**fields)
    for name, value in fields.items():
        setattr(workspace, name, value)
    audit_record(
        organization=workspace.organization,
        acting_user=acting_user,
        action=AuditAction.WORKSPACE_DELETE,
        target=workspace,
        before=before,
        after={
            "status": WorkspaceStatus.DELETED,
            "restorable_until": workspace_restorable_until(workspace).isoformat(),
        },
    )
    transaction.on_commit(lambda: _stop_server(workspace))
    return workspace


@transaction.atomic
def workspace_restore(*, workspace: Workspace, acting_user) -> Workspace:
    """Bring a deleted workspace back within its grace period, **deactivated**: its roles, labels and
    data are as they were, and its server starts only when someone reactivates it (so a restore never
    starts a server, or charges for one, by surprise). Audited.

    Raises PermissionDeniedError/NotFoundError, ConflictError when it is not deleted or its grace
    period is over.
    """
    Access.for_user(acting_user, workspace.organization).require(
        DELETE_PERMISSION,
        workspace,
        message="Only an Admin of this workspace or of the organization may restore it.",
    )
    workspace = (
        Workspace.objects.select_for_update(of=("self",)).select_related("organization").get(pk=workspace.pk)
    )
    if workspace.status != WorkspaceStatus.DELETED:
        raise ConflictError(f"“{workspace.slug}” is not deleted; there is nothing to restore.")
    until = workspace_restorable_until(workspace)
    if until is not None and until <= timezone.now():
        raise ConflictError(
            f"“{workspace.slug}” was deleted more than {restore_days()} days ago; it can't be restored."
        )
    now = timezone.now()
    who = getattr(acting_user, "email", "") or "an administrator"
    before = {"status": WorkspaceStatus.DELETED, "deleted_at": _iso(workspace.deleted_at)}
    fields = {
        "status": WorkspaceStatus.DEACTIVATED,
        "desired_state": DesiredState.DEACTIVATED,
        "status_reason": f"Restored by {who}; reactivate it to start its server",
        "status_changed_at": now,
        "deleted_at": None,
        "deleted_by": None,
        "updated_at": now,
    }
    Workspace.objects.filter(pk=workspace.pk).update(**fields)
    for name, value in fields.items():
        setattr(workspace, name, value)
    audit_record(
        organization=workspace.organization,
        acting_user=acting_user,
        action=AuditAction.WORKSPACE_RESTORE,
        target=workspace,
        before=before,
        after={"status": WorkspaceStatus.DEACTIVATED, "desired_state": DesiredState.DEACTIVATED},
    )
    return workspace


def workspace_purge_expired(*, now=None) -> list[str]:
    """Remove for good every workspace deleted longer ago than the grace period (the system acts, for
    nobody): its row and everything that hangs off it (roles, labels, server records), and its server's
    files. Each purge is audited and leaves a `RetiredWorkspaceId`, so the ID stays taken. Returns the
    purged IDs."""
    now = now or timezone.now()
    cutoff = now - timedelta(days=restore_days())
    expired = Workspace.objects.filter(status=WorkspaceStatus.DELETED).filter(
        Q(deleted_at__lte=cutoff) | Q(deleted_at__isnull=True, status_changed_at__lte=cutoff)
    )
    purged = []
    for workspace in expired.select_related("organization").order_by("deleted_at", "slug"):
        with transaction.atomic():
            locked = (
                Workspace.objects.select_for_update(of=("self",))
                .filter(pk=workspace.pk, status=WorkspaceStatus.DELETED)
                .first()
            )
            if locked is None:  # restored meanwhile
                continue
            RetiredWorkspaceId.objects.get_or_create(slug=workspace.slug.lower())
            audit_record(
                organization=workspace.organization,
                acting_user=None,
                action=AuditAction.WORKSPACE_PURGE,
                target=workspace,
                before={"status": WorkspaceStatus.DELETED, "deleted_at": _iso(workspace.deleted_at)},
                after={"purged": True},
            )
            purged_pk = workspace.pk
            workspace.delete()
            workspace.pk = purged_pk  # delete() clears it; the provisioner finds the files by it
            transaction.on_commit(lambda workspace=workspace: _discard_server_files(workspace))
        purged.append(workspace.slug)
    return purged


def _discard_server_files(workspace: Workspace) -> None:
    try:
        get_provisioner().discard(workspace)
    except Exception:  # the row is gone; files left behind are the operator's to remove
        logger.exception("Discarding the server files of workspace %s failed", workspace.slug)


def _iso(value):
    return value.isoformat() if value else None
