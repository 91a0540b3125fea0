"""Reads of access reviews: who holds a role on a workspace, with where it came from and when they were
last active, as the review page shows it and its evidence records it.

A row is a direct role assignment (a person or a team); the organization Owners and Admins, who reach
every workspace through their organization role, come as rows that cannot be decided here (their access
is reviewed on the organization's Members page). "Granted by" and "when" come from the audit trail (the
last grant or change of that role, or the workspace's creation); last activity is the person's last
audited action in the organization, or their last sign-in, whichever is later.
"""

import csv
import io
import json
from dataclasses import asdict, dataclass
from datetime import datetime

from django.db.models import Max

from organizations.audit import AuditAction, audit_object_type
from organizations.models import AuditEvent, Membership, Team
from organizations.roles import ADMINISTER_ALL_WORKSPACES, ORGANIZATION_ROLES

from .models import AccessReview, Workspace, WorkspaceRoleAssignment

KEEP, REMOVE = "keep", "remove"
DECISIONS = [(KEEP, "Keep"), (REMOVE, "Remove")]
# What the evidence says of rows the reviewer did not decide.
OWN_ACCESS = "not reviewed: the reviewer's own access"
ORGANIZATION_ACCESS = "not reviewed here: organization role"


@dataclass
class ReviewRow:
    """One holder of access to the workspace."""

    key: str  # "assignment-<pk>" or "organization-<user pk>"
    principal_type: str  # "user" or "team"
    name: str
    email: str
    role: str
    source: str  # "direct", "team" (the team itself holds it) or "organization role"
    until: str  # ISO date the role ends, or ""
    granted_by: str
    granted_at: datetime | None
    last_activity: datetime | None
    assignment: WorkspaceRoleAssignment | None = None
    is_own: bool = False  # the reviewer's own access (their row, or a team they are in)
    allowed_by_policy: bool = True

    @property
    def decidable(self) -> bool:
        return self.assignment is not None and not self.is_own


def _grants_from_audit(workspace: Workspace) -> dict[tuple[str, str], tuple[str, datetime]]:
    """(principal type, id) → (who granted, when): the latest grant or change of each principal's role
    on the workspace, falling back to the workspace's creation (whose event lists its first roles)."""
    events = AuditEvent.objects.filter(
        organization_id=workspace.organization_id,
        target_type="workspace",
        target_id=str(workspace.pk),
        action__in=[
            AuditAction.WORKSPACE_ROLE_ASSIGN,
            AuditAction.WORKSPACE_ROLE_CHANGE,
            AuditAction.WORKSPACE_CREATE,
        ],
    ).order_by("-created_at", "-id")
    grants: dict[tuple[str, str], tuple[str, datetime]] = {}
    for event in events.select_related("actor").only(
        "action",
        "actor_email",
        "actor__display_name",
        "principal_type",
        "principal_id",
        "after",
        "created_at",
    ):
        # People by name where they have one (the e-mail otherwise); the system as Atrium.
        granter = (event.actor.display_name if event.actor_id else "") or event.actor_email or "Atrium"
        if event.action == AuditAction.WORKSPACE_CREATE:
            for role in (event.after or {}).get("roles", []):
                principal = ("team", str(role["team"])) if "team" in role else ("user", str(role.get("user")))
                grants.setdefault(principal, (granter, event.created_at))
            continue
        on_behalf_of = (event.after or {}).get("on_behalf_of")
        if on_behalf_of:  # an invitation accepted: granted by its inviter
            granter = on_behalf_of.get("name", granter)
        grants.setdefault((event.principal_type, event.principal_id), (granter, event.created_at))
    return grants


def _last_activity(organization_id, users) -> dict[int, datetime]:
    """Each user's last audited action in the organization, or last sign-in if later. One query."""
    latest = dict(
        AuditEvent.objects.filter(organization_id=organization_id, actor__in=[u.pk for u in users])
        .values("actor")
        .annotate(last=Max("created_at"))
        .values_list("actor", "last")
    )
    activity = {}
    for user in users:
        moments = [m for m in (latest.get(user.pk), user.last_login) if m]
        if moments:
            activity[user.pk] = max(moments)
    return activity


def access_review_rows(workspace: Workspace, *, reviewer) -> list[ReviewRow]:
    """Everyone and every team with access to `workspace`, direct holders first (people by name, then
    teams), then the organization's Owners and Admins. A handful of queries, however many rows."""
    assignments = list(
        WorkspaceRoleAssignment.objects.filter(workspace=workspace)
        .select_related("user", "team", "custom_role")
        .order_by("created_at")
    )
    admin_roles = [k for k, r in ORGANIZATION_ROLES.items() if ADMINISTER_ALL_WORKSPACES in r.permissions]
    org_admins = list(
        Membership.objects.filter(organization_id=workspace.organization_id, role__in=admin_roles)
        .select_related("user")
        .order_by("user__email")
    )
    users = [a.user for a in assignments if a.user_id] + [m.user for m in org_admins]
    activity = _last_activity(workspace.organization_id, users)
    grants = _grants_from_audit(workspace)
    reviewer_teams = set(
        Team.members.through.objects.filter(
            user_id=reviewer.pk, team__organization_id=workspace.organization_id
        ).values_list("team_id", flat=True)
    )
    allowed = workspace.grantable_role_keys
    rows = []
    for assignment in assignments:
        principal = assignment.user or assignment.team
        ptype = audit_object_type(principal)
        granted_by, granted_at = grants.get((ptype, str(principal.pk)), ("", assignment.created_at))
        is_user = assignment.user_id is not None
        rows.append(
            ReviewRow(
                key=f"assignment-{assignment.pk}",
                principal_type=ptype,
                name=(principal.display_name or principal.email) if is_user else principal.name,
                email=principal.email if is_user else "",
                role=assignment.role_definition.label,
                source="direct" if is_user else "team",
                until=assignment.expires_on.isoformat() if assignment.expires_on else "",
                granted_by=granted_by,
                granted_at=granted_at,
                last_activity=activity.get(assignment.user_id) if is_user else None,
                assignment=assignment,
                is_own=(assignment.user_id == reviewer.pk)
                if is_user
                else assignment.team_id in reviewer_teams,
                allowed_by_policy=allowed is None or assignment.base_role_key in allowed,
            )
        )
    rows.sort(key=lambda r: (r.principal_type != "user", r.name.lower()))
    for membership in org_admins:
        rows.append(
            ReviewRow(
                key=f"organization-{membership.user_id}",
                principal_type="user",
                name=membership.user.display_name or membership.user.email,
                email=membership.user.email,
                role=f"Organization {membership.get_role_display()}",
                source="organization role",
                until="",
                granted_by="",
                granted_at=membership.created_at,
                last_activity=activity.get(membership.user_id),
                is_own=membership.user_id == reviewer.pk,
            )
        )
    return rows


def access_review_list(workspace: Workspace):
    return AccessReview.objects.filter(workspace=workspace).order_by("-completed_at", "-id")


# --- Evidence --------------------------------------------------------------------------------------

EVIDENCE_COLUMNS = [
    "principal_type", "name", "email", "role", "source", "until", "granted_by", "granted_at",
    "last_activity", "decision", "reason",
]  # fmt: skip


def evidence_row(row: ReviewRow, *, decision: str, reason: str = "") -> dict:
    data = {k: v for k, v in asdict(row).items() if k in EVIDENCE_COLUMNS}
    for moment in ("granted_at", "last_activity"):
        data[moment] = data[moment].isoformat() if data[moment] else ""
    return data | {"decision": decision, "reason": reason}


def evidence_json(review: AccessReview) -> str:
    workspace = review.workspace
    document = {
        "workspace": {"id": workspace.slug, "uuid": str(workspace.pk), "name": workspace.display_name},
        "organization": workspace.organization.slug,
        "reviewer": review.reviewer_email,
        "completed_at": review.completed_at.isoformat(),
        "was_due_at": review.was_due_at.isoformat() if review.was_due_at else None,
        "next_due_at": review.next_due_at.isoformat() if review.next_due_at else None,
        "cadence_days": review.cadence_days,
        "kept": review.kept,
        "removed": review.removed,
        "entries": review.evidence,
    }
    return json.dumps(document, indent=2)


def evidence_csv(review: AccessReview) -> str:
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=EVIDENCE_COLUMNS, extrasaction="ignore")
    writer.writeheader()
    for entry in review.evidence:
        # A leading =, +, - or @ would make a spreadsheet evaluate a name as a formula.
        writer.writerow(
            {k: ("'" + v if isinstance(v, str) and v and v[0] in "=+-@" else v) for k, v in entry.items()}
        )
    return out.getvalue()
