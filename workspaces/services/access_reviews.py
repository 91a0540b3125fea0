"""Access reviews: completing one, a workspace's own cadence, and reminding reviewers of overdue ones.

A reviewer is an Admin of the workspace or an organization Admin or Owner (`Access.may_review_access`),
and never decides on their own access (their own role, or a team's they are in). Completing a review
removes the roles the reviewer marked, records the evidence (`AccessReview.evidence`) and sets the
next due date, all in one transaction with one audit event.
"""

from django.conf import settings
from django.core.mail import send_mail
from django.db import transaction
from django.db.models import F
from django.urls import reverse
from django.utils import timezone

from config.site import site_url
from organizations.access import Access
from organizations.audit import AuditAction, audit_record
from organizations.errors import ConflictError, InvalidError, PermissionDeniedError, TargetDeniedError
from organizations.models import Membership, Team
from organizations.roles import ADMINISTER_ALL_WORKSPACES, ORGANIZATION_ROLES

from ..access_reviews import (
    KEEP,
    ORGANIZATION_ACCESS,
    OWN_ACCESS,
    REMOVE,
    access_review_rows,
    evidence_row,
)
from ..models import AccessReview, Workspace, WorkspaceRoleAssignment
from ..policies import review_schedule_refresh, workspace_review_cadence, workspaces_review_overdue
from ..roles import WorkspaceRoleKey
from .role_assignments import workspace_role_remove

VIEW_WORKSPACE_PERMISSION = "workspaces.view_workspace"
REASON_MAX_LENGTH = 500
MAX_CADENCE_DAYS = 3650


def check_may_review(*, workspace: Workspace, acting_user) -> Access:
    """Refuse unless `acting_user` may review access to `workspace` (not_found if they cannot see it)."""
    access = Access.for_user(acting_user, workspace.organization)
    access.require(VIEW_WORKSPACE_PERMISSION, workspace)
    if not access.may_review_access(workspace):
        raise PermissionDeniedError("Only the workspace's Admins and organization Admins review its access.")
    return access


@transaction.atomic
def access_review_complete(
    *, workspace: Workspace, decisions: dict[int, tuple[str, str]], acting_user
) -> AccessReview:
    """Complete a review of `workspace`: `decisions` maps each role assignment's id to (KEEP or REMOVE,
    reason). Every role the reviewer may decide needs a decision, and none of their own may have one;
    if who holds a role changed since the page was shown, ConflictError. Returns the review."""
    check_may_review(workspace=workspace, acting_user=acting_user)
    workspace = Workspace.objects.select_for_update().select_related("organization").get(pk=workspace.pk)
    rows = access_review_rows(workspace, reviewer=acting_user)
    own = {row.assignment.pk for row in rows if row.assignment is not None and row.is_own}
    decidable = {row.assignment.pk for row in rows if row.decidable}
    if set(decisions) & own:
        raise TargetDeniedError("You cannot review your own access: another Admin decides on it.")
    if set(decisions) != decidable:
        raise ConflictError("Who has access changed since the page was shown: reload it and review again.")
    evidence, kept, removed = [], 0, 0
    for row in rows:
        if not row.decidable:
            evidence.append(evidence_row(row, decision=OWN_ACCESS if row.is_own else ORGANIZATION_ACCESS))
            continue
        decision, reason = decisions[row.assignment.pk]
        reason = " ".join((reason or "").split())
        if decision not in (KEEP, REMOVE):
            raise InvalidError(f"Choose keep or remove for {row.name}.", field="decision")
        if len(reason) > REASON_MAX_LENGTH:
            raise InvalidError(
                f"A reason can be at most {REASON_MAX_LENGTH} characters long.", field="reason"
            )
        if decision == REMOVE:
            workspace_role_remove(assignment=row.assignment, acting_user=acting_user, reason=reason)
            removed += 1
        else:
            kept += 1
        evidence.append(evidence_row(row, decision=decision, reason=reason))
    now = timezone.now()
    cadence = workspace_review_cadence(workspace)
    was_due = workspace.access_review_due_at
    workspace.access_reviewed_at = now
    workspace.save(update_fields=["access_reviewed_at"])
    review_schedule_refresh([workspace])
    workspace.refresh_from_db(fields=["access_review_due_at"])
    review = AccessReview.objects.create(
        workspace=workspace,
        reviewer=acting_user,
        reviewer_email=acting_user.email,
        completed_at=now,
        was_due_at=was_due,
        next_due_at=workspace.access_review_due_at,
        cadence_days=cadence,
        kept=kept,
        removed=removed,
        evidence=evidence,
    )
    audit_record(
        organization=workspace.organization,
        acting_user=acting_user,
        action=AuditAction.ACCESS_REVIEW_COMPLETE,
        target=workspace,
        after={
            "review": review.pk,
            "kept": kept,
            "removed": removed,
            "next_due_at": review.next_due_at.isoformat() if review.next_due_at else None,
        },
    )
    return review


@transaction.atomic
def workspace_review_cadence_set(*, workspace: Workspace, days: int | None, acting_user) -> Workspace:
    """Give the workspace its own review cadence (days; None: its labels' or the organization's). Its
    labels' cadences still apply when they are stricter. Audited; the due date moves at once."""
    check_may_review(workspace=workspace, acting_user=acting_user)
    if days is not None and not 1 <= days <= MAX_CADENCE_DAYS:
        raise InvalidError(f"Choose between 1 and {MAX_CADENCE_DAYS} days.", field="days")
    before = workspace.access_review_days
    if before == days:
        return workspace
    workspace.access_review_days = days
    workspace.save(update_fields=["access_review_days"])
    review_schedule_refresh([workspace])
    workspace.refresh_from_db(fields=["access_review_due_at"])
    audit_record(
        organization=workspace.organization,
        acting_user=acting_user,
        action=AuditAction.WORKSPACE_REVIEW_CADENCE,
        target=workspace,
        before={"days": before},
        after={"days": days, "due_at": workspace.access_review_due_at.isoformat()},
    )
    return workspace


def access_reviewers(workspace: Workspace) -> list:
    """Who is reminded of a workspace's review: its Admins (their own role or a team's); if it has none,
    the organization's Owners and Admins. Active users only, by e-mail."""
    admins = WorkspaceRoleAssignment.objects.filter(workspace=workspace, role=WorkspaceRoleKey.ADMIN)
    users = {a.user for a in admins.filter(user__isnull=False).select_related("user")}
    team_ids = admins.filter(team__isnull=False).values("team_id")
    users |= {
        link.user for link in Team.members.through.objects.filter(team_id__in=team_ids).select_related("user")
    }
    members = set(
        Membership.objects.filter(organization_id=workspace.organization_id).values_list("user_id", flat=True)
    )
    users = {u for u in users if u.pk in members}
    if not users:
        admin_roles = [k for k, r in ORGANIZATION_ROLES.items() if ADMINISTER_ALL_WORKSPACES in r.permissions]
        users = {
            m.user
            for m in Membership.objects.filter(
                organization_id=workspace.organization_id, role__in=admin_roles
            ).select_related("user")
        }
    return sorted((u for u in users if u.is_active), key=lambda u: u.email)


def access_review_reminders_send(*, now=None) -> int:
    """E-mail the reviewers of every overdue workspace, once per due date (`access_review_reminded_for`).
    Each workspace is one transaction: a failing mail leaves the others sent. Returns how many
    workspaces were reminded about."""
    from organizations.models import Organization

    now = now or timezone.now()
    sent = 0
    for organization in Organization.objects.filter(workspaces__access_review_due_at__lte=now).distinct():
        for workspace in workspaces_review_overdue(organization, now=now).exclude(
            access_review_reminded_for=F("access_review_due_at")
        ):
            with transaction.atomic():
                locked = Workspace.objects.select_for_update().filter(pk=workspace.pk).first()
                if locked is None or locked.access_review_reminded_for == locked.access_review_due_at:
                    continue  # another run reminded meanwhile
                reviewers = access_reviewers(locked)
                if reviewers:
                    _send_reminder(locked, organization, reviewers)
                locked.access_review_reminded_for = locked.access_review_due_at
                locked.save(update_fields=["access_review_reminded_for"])
                audit_record(
                    organization=organization,
                    acting_user=None,
                    action=AuditAction.ACCESS_REVIEW_REMINDER,
                    target=locked,
                    after={
                        "due_at": locked.access_review_due_at.isoformat(),
                        "to": [u.email for u in reviewers],
                    },
                )
                sent += 1
    return sent


def _send_reminder(workspace: Workspace, organization, reviewers) -> None:
    url = site_url(reverse("workspaces:access_review", args=[workspace.slug]))
    due = timezone.localtime(workspace.access_review_due_at)
    send_mail(
        subject=f"Access review of {workspace.slug} is overdue",
        message=(
            f"The access review of the workspace {workspace.display_name} ({workspace.slug}) in "
            f"{organization.name} was due on {due:%d %B %Y}.\n\n"
            f"Review who has access, keep or remove each role, and complete the review:\n{url}\n\n"
            "You receive this because you are an Admin of the workspace (or of the organization)."
        ),
        from_email=settings.DEFAULT_FROM_EMAIL,
        recipient_list=[u.email for u in reviewers],
    )
