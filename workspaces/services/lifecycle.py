"""A workspace's lifecycle: provisioning (by the background task), retry, deactivation, reactivation.

People's lifecycle actions need `manage_workspace_lifecycle` on the workspace; provisioning itself
is the system's (the task acts for nobody), and so are the supervisor's steps (`workspace_server_up`,
`workspace_server_failed`, `workspace_provisioning_progress`), which is why the package does not export
them beside the people's services.
"""

import logging

from django.db import transaction
from django.utils import timezone

from organizations.access import Access
from organizations.audit import AuditAction, audit_record
from organizations.errors import ConflictError

from ..models import DesiredState, Workspace, WorkspaceStatus
from ..provisioners import ProvisioningError, ServerInfo, get_provisioner
from ..roles import MANAGE_WORKSPACE_LIFECYCLE

logger = logging.getLogger(__name__)
LIFECYCLE_PERMISSION = f"workspaces.{MANAGE_WORKSPACE_LIFECYCLE}"
READY_REASON = "The workspace is ready"  # the status reason of an available workspace


def enqueue_provisioning(workspace: Workspace) -> None:
    from ..tasks import provision_workspace

    transaction.on_commit(lambda: provision_workspace.enqueue(str(workspace.pk)))


def _set_status(
    workspace: Workspace, status: str, reason: str, *, while_provisioning: bool = False, **fields
) -> bool:
    """Record a status transition with a targeted update, so it never overwrites what a person edits.

    With `while_provisioning`, the update only happens if the workspace is still pending and still
    wanted available (someone may have deactivated it meanwhile); returns whether it happened.
    """
    now = timezone.now()
    rows = Workspace.objects.filter(pk=workspace.pk)
    if while_provisioning:
        rows = rows.filter(status=WorkspaceStatus.PENDING, desired_state=DesiredState.AVAILABLE)
    if not rows.update(status=status, status_reason=reason, status_changed_at=now, updated_at=now, **fields):
        return False
    workspace.status, workspace.status_reason, workspace.status_changed_at = status, reason, now
    for name, value in fields.items():
        setattr(workspace, name, value)
    return True


class ProvisioningSuperseded(Exception):
    """The workspace was deactivated or deleted while it was being provisioned."""


def workspace_provision(*, workspace_pk) -> Workspace | None:
    """Run the configured provisioner for one workspace (called by the background task)."""
    # Claim this round first, so two workers (or a worker and a direct call) never provision twice.
    claimed = Workspace.objects.filter(
        pk=workspace_pk, status=WorkspaceStatus.PENDING, provisioning_started_at__isnull=True
    ).update(provisioning_started_at=timezone.now())
    workspace = Workspace.objects.select_related("organization").filter(pk=workspace_pk).first()
    if not claimed:
        return workspace
    provisioner = get_provisioner()

    def report(phase: str) -> None:
        if not _set_status(workspace, WorkspaceStatus.PENDING, phase, while_provisioning=True):
            raise ProvisioningSuperseded

    try:
        server = provisioner.start(workspace, report=report)
    except ProvisioningSuperseded:
        provisioner.stop(workspace)
        workspace.refresh_from_db()
        return workspace
    except Exception as error:
        logger.exception("Provisioning workspace %s failed", workspace.slug)
        # Only a provisioner's own words reach the page; anything else may carry internals.
        reason = (
            str(error) if isinstance(error, ProvisioningError) else "an unexpected error (see the server log)"
        )
        with transaction.atomic():
            if _set_status(
                workspace,
                WorkspaceStatus.FAILED,
                f"Provisioning failed: {reason}"[:300],
                while_provisioning=True,
            ):
                audit_record(
                    organization=workspace.organization,
                    acting_user=None,
                    action=AuditAction.WORKSPACE_PROVISIONING_FAILED,
                    target=workspace,
                    after={"status": WorkspaceStatus.FAILED, "reason": reason},
                )
        return workspace
    if server is None:  # a supervised provisioner: the supervisor calls workspace_server_up later
        return workspace
    if not workspace_server_up(workspace=workspace, server=server):
        provisioner.stop(workspace)
        workspace.refresh_from_db()
    return workspace


@transaction.atomic
def workspace_server_up(*, workspace: Workspace, server: ServerInfo) -> bool:
    """The workspace's server answers at `server`: a workspace being provisioned becomes available
    (audited); an available one only records the server's address and version if they changed (a
    restart on another port, an upgrade). Returns whether the workspace is available now."""
    if _set_status(
        workspace,
        WorkspaceStatus.AVAILABLE,
        READY_REASON,
        while_provisioning=True,
        server_url=server.url,
        server_version=server.version,
    ):
        audit_record(
            organization=workspace.organization,
            acting_user=None,
            action=AuditAction.WORKSPACE_AVAILABLE,
            target=workspace,
            after={"status": WorkspaceStatus.AVAILABLE, "server_url": server.url, "version": server.version},
        )
        return True
    available = Workspace.objects.filter(
        pk=workspace.pk, status=WorkspaceStatus.AVAILABLE, desired_state=DesiredState.AVAILABLE
    )
    available.exclude(server_url=server.url, server_version=server.version).update(
        server_url=server.url, server_version=server.version, updated_at=timezone.now()
    )
    return available.exists()


def workspace_provisioning_progress(*, workspace: Workspace, phase: str) -> bool:
    """Show a supervised start's phase as the reason of a workspace being provisioned (no audit)."""
    return _set_status(workspace, WorkspaceStatus.PENDING, phase[:300], while_provisioning=True)


@transaction.atomic
def workspace_server_failed(*, workspace: Workspace, reason: str) -> bool:
    """The workspace's server keeps failing: a workspace that should run turns `failed` with `reason`
    (its admins may retry). Audited as a provisioning failure while it was being provisioned, else as a
    server failure. Returns whether the status changed."""
    rows = Workspace.objects.filter(
        pk=workspace.pk,
        status__in=[WorkspaceStatus.PENDING, WorkspaceStatus.AVAILABLE],
        desired_state=DesiredState.AVAILABLE,
    )
    before = rows.values_list("status", flat=True).first()
    if before is None:
        return False
    now = timezone.now()
    reason = reason[:300]
    if not rows.filter(status=before).update(
        status=WorkspaceStatus.FAILED, status_reason=reason, status_changed_at=now, updated_at=now
    ):
        return False
    workspace.status, workspace.status_reason, workspace.status_changed_at = (
        WorkspaceStatus.FAILED,
        reason,
        now,
    )
    audit_record(
        organization=workspace.organization,
        acting_user=None,
        action=(
            AuditAction.WORKSPACE_PROVISIONING_FAILED
            if before == WorkspaceStatus.PENDING
            else AuditAction.WORKSPACE_SERVER_FAILED
        ),
        target=workspace,
        before={"status": before},
        after={"status": WorkspaceStatus.FAILED, "reason": reason},
    )
    return True


@transaction.atomic
def workspace_retry_provisioning(*, workspace: Workspace, acting_user) -> Workspace:
    Access.for_user(acting_user, workspace.organization).require(LIFECYCLE_PERMISSION, workspace)
    workspace = (
        Workspace.objects.select_for_update(of=("self",)).select_related("organization").get(pk=workspace.pk)
    )
    if workspace.status != WorkspaceStatus.FAILED:
        raise ConflictError("Only a workspace whose provisioning failed can be retried.")
    before = {"status": workspace.status, "reason": workspace.status_reason}
    _set_status(
        workspace,
        WorkspaceStatus.PENDING,
        "Waiting for a worker to retry provisioning",
        provisioning_started_at=None,
    )
    audit_record(
        organization=workspace.organization,
        acting_user=acting_user,
        action=AuditAction.WORKSPACE_PROVISIONING_RETRY,
        target=workspace,
        before=before,
        after={"status": WorkspaceStatus.PENDING},
    )
    enqueue_provisioning(workspace)
    return workspace


# --- Lifecycle: deactivation -----------------------------------------------------------------------


def _provisioner_stop(workspace: Workspace) -> None:
    try:
        get_provisioner().stop(workspace)
    except Exception:  # the workspace stays deactivated; its server is stopped on the next attempt
        logger.exception("Stopping the server of workspace %s failed", workspace.slug)


@transaction.atomic
def workspace_deactivate(*, workspace: Workspace, acting_user) -> Workspace:
    """Deactivate a workspace: status and desired state become `deactivated`, its server is stopped
    after commit, and the change is audited. Deactivating a deactivated workspace changes nothing.

    Raises ConflictError for a deleted workspace.
    """
    Access.for_user(acting_user, workspace.organization).require(LIFECYCLE_PERMISSION, workspace)
    workspace = (
        Workspace.objects.select_for_update(of=("self",)).select_related("organization").get(pk=workspace.pk)
    )
    if workspace.status == WorkspaceStatus.DELETED:
        raise ConflictError(f"“{workspace.slug}” is deleted; it cannot be deactivated.")
    if (
        workspace.status == WorkspaceStatus.DEACTIVATED
        and workspace.desired_state == DesiredState.DEACTIVATED
    ):
        return workspace
    before = {"status": workspace.status, "desired_state": workspace.desired_state}
    who = getattr(acting_user, "email", "") or "an administrator"
    _set_status(
        workspace,
        WorkspaceStatus.DEACTIVATED,
        f"Deactivated by {who}",
        desired_state=DesiredState.DEACTIVATED,
    )
    audit_record(
        organization=workspace.organization,
        acting_user=acting_user,
        action=AuditAction.WORKSPACE_DEACTIVATE,
        target=workspace,
        before=before,
        after={"status": WorkspaceStatus.DEACTIVATED, "desired_state": DesiredState.DEACTIVATED},
    )
    transaction.on_commit(lambda: _provisioner_stop(workspace))
    return workspace


@transaction.atomic
def workspace_reactivate(*, workspace: Workspace, acting_user) -> Workspace:
    """Bring a deactivated workspace back: it provisions again and becomes available."""
    Access.for_user(acting_user, workspace.organization).require(LIFECYCLE_PERMISSION, workspace)
    workspace = (
        Workspace.objects.select_for_update(of=("self",)).select_related("organization").get(pk=workspace.pk)
    )
    if workspace.status != WorkspaceStatus.DEACTIVATED:
        raise ConflictError("Only a deactivated workspace can be reactivated.")
    Workspace.objects.filter(pk=workspace.pk).update(desired_state=DesiredState.AVAILABLE)
    workspace.desired_state = DesiredState.AVAILABLE
    _set_status(
        workspace,
        WorkspaceStatus.PENDING,
        "Waiting for a worker to start the workspace",
        provisioning_started_at=None,
    )
    audit_record(
        organization=workspace.organization,
        acting_user=acting_user,
        action=AuditAction.WORKSPACE_REACTIVATE,
        target=workspace,
        before={"status": WorkspaceStatus.DEACTIVATED, "desired_state": DesiredState.DEACTIVATED},
        after={"status": WorkspaceStatus.PENDING, "desired_state": DesiredState.AVAILABLE},
    )
    enqueue_provisioning(workspace)
    return workspace
