"""Workspace roles given until a date: they end by themselves, and their holders are warned a week before.

Both run from `manage.py expire_roles` (cron, or the task worker's schedule). A role holds through its
`expires_on` day (in the site's time zone) and ends on the first run after it; the end is audited as the
system's action. The warning goes once per end date (`expiry_warned_at`, reset when the date changes),
to the person, or to each member of the team, holding the role.
"""

import datetime

from django.conf import settings
from django.core.mail import send_mail
from django.db import transaction
from django.urls import reverse
from django.utils import timezone

from config.site import site_url
from organizations.audit import AuditAction, audit_record

from ..models import WorkspaceRoleAssignment
from ..permission_sync import sync_workspace_permissions

WARNING_DAYS = 7


def workspace_roles_expire(*, today: datetime.date | None = None) -> int:
    """End every role whose last day is before `today`; returns how many ended. Each in its own
    transaction, audited (by the system) with the role it was."""
    today = today or timezone.localdate()
    ended = 0
    due = WorkspaceRoleAssignment.objects.filter(expires_on__lt=today).values_list("pk", flat=True)
    for pk in list(due):
        with transaction.atomic():
            assignment = (
                WorkspaceRoleAssignment.objects.select_for_update(of=("self",))
                .select_related("workspace__organization", "user", "team", "custom_role")
                .filter(pk=pk, expires_on__lt=today)
                .first()
            )
            if assignment is None:  # removed or extended meanwhile
                continue
            workspace, principal = assignment.workspace, assignment.principal
            before = {"role": assignment.role_definition.label, "until": assignment.expires_on.isoformat()}
            assignment.delete()
            sync_workspace_permissions(workspace)
            audit_record(
                organization=workspace.organization,
                acting_user=None,
                action=AuditAction.WORKSPACE_ROLE_EXPIRE,
                target=workspace,
                principal=principal,
                before=before,
            )
            ended += 1
    return ended


def workspace_role_expiry_warnings_send(*, today: datetime.date | None = None) -> int:
    """E-mail the holders of roles ending within a week, once per end date. Returns how many roles
    were warned about."""
    today = today or timezone.localdate()
    horizon = today + datetime.timedelta(days=WARNING_DAYS)
    due = WorkspaceRoleAssignment.objects.filter(
        expires_on__gte=today, expires_on__lte=horizon, expiry_warned_at__isnull=True
    ).values_list("pk", flat=True)
    warned = 0
    for pk in list(due):
        with transaction.atomic():
            assignment = (
                WorkspaceRoleAssignment.objects.select_for_update(of=("self",))
                .select_related("workspace__organization", "user", "team", "custom_role")
                .filter(pk=pk, expiry_warned_at__isnull=True, expires_on__lte=horizon)
                .first()
            )
            if assignment is None:
                continue
            holders = [assignment.user] if assignment.user_id else list(assignment.team.members.all())
            recipients = [u.email for u in holders if u.is_active]
            if recipients:
                _send_warning(assignment, recipients)
            assignment.expiry_warned_at = timezone.now()
            assignment.save(update_fields=["expiry_warned_at"])
            warned += 1
    return warned


def _send_warning(assignment: WorkspaceRoleAssignment, recipients: list[str]) -> None:
    workspace = assignment.workspace
    who = "Your" if assignment.user_id else f"Team {assignment.team.name}'s"
    send_mail(
        subject=f"{who} role on {workspace.slug} ends on {assignment.expires_on:%d %B %Y}",
        message=(
            f"{who} role {assignment.role_definition.label} on the workspace {workspace.display_name} "
            f"({workspace.slug}) in {workspace.organization.name} holds until {assignment.expires_on:%d %B %Y} "
            "and then ends by itself.\n\n"
            f"If you still need it, ask an Admin of the workspace to extend it:\n"
            f"{site_url(reverse('workspaces:members', args=[workspace.slug]))}\n"
        ),
        from_email=settings.DEFAULT_FROM_EMAIL,
        recipient_list=recipients,
    )
