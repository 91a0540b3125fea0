"""Model instances as the API's JSON (the schemas in `schemas.py` describe them)."""

from organizations.models import Organization
from workspaces.models import Workspace


def organization_json(organization: Organization, *, role: str | None = None) -> dict:
    return {
        "id": organization.pk,
        "slug": organization.slug,
        "name": organization.name,
        "description": organization.description,
        "created_at": organization.created_at,
        "role": role,
    }


def workspace_json(workspace: Workspace, *, detail: bool = False) -> dict:
    """A workspace; its labels come from the prefetched `labels` (with dimension and value)."""
    data = {
        "id": workspace.slug,
        "uuid": workspace.pk,
        "organization": workspace.organization.slug,
        "name": workspace.display_name,
        "description": workspace.description,
        "status": workspace.status,
        "status_reason": workspace.status_reason,
        "desired_state": workspace.desired_state,
        "server_url": workspace.server_address if workspace.server_url else "",
        "server_version": workspace.server_version,
        "labels": {label.dimension.key: label.value.value for label in workspace.labels.all()},
        "created_at": workspace.created_at,
        "updated_at": workspace.updated_at,
    }
    if detail:
        data["readme"] = workspace.readme
    return data


def user_json(user) -> dict | None:
    if user is None:
        return None
    return {"id": user.pk, "email": user.email, "name": user.display_name}


def member_json(membership) -> dict:
    return {"id": membership.pk, "user": user_json(membership.user), "role": membership.role,
            "created_at": membership.created_at, "active": membership.deactivated_at is None,
            "provisioned_by_scim": membership.provisioned_by_scim}  # fmt: skip


def invitation_json(invitation) -> dict:
    return {
        "id": invitation.pk,
        "email": invitation.email,
        "role": invitation.role,
        "status": invitation.effective_status,
        "invited_by": invitation.invited_by.email if invitation.invited_by else None,
        "created_at": invitation.created_at,
        "expires_at": invitation.expires_at,
    }


def team_json(team, *, members=None) -> dict:
    data = {
        "id": team.pk,
        "name": team.name,
        "description": team.description,
        "role": team.role,
        "member_count": team.member_count,
        "created_at": team.created_at,
    }
    if members is not None:
        data["members"] = [user_json(membership.user) for membership in members]
    return data


def role_json(option) -> dict:
    """A `workspaces.selectors.RoleOption` (predefined or custom workspace role)."""
    definition = option.definition
    return {
        "id": option.value,
        "name": option.label,
        "custom": option.is_custom,
        "base_role": definition.base_role if option.is_custom else option.value,
        "description": definition.description,
        "permissions": sorted(definition.permissions),
    }


def role_assignment_json(assignment) -> dict:
    return {
        "id": assignment.pk,
        "workspace": assignment.workspace.slug,
        "user": user_json(assignment.user),
        "team": assignment.team_id,
        "team_name": assignment.team.name if assignment.team_id else None,
        "role": f"custom:{assignment.custom_role_id}" if assignment.custom_role_id else assignment.role,
        "created_at": assignment.created_at,
    }


def audit_event_json(event) -> dict:
    return {
        "id": event.pk,
        "created_at": event.created_at,
        "action": event.action,
        "actor_type": event.actor_type,
        "actor": user_json(event.actor),
        "actor_email": event.actor_email,
        "credential": event.actor_credential_label or None,
        "target_type": event.target_type,
        "target_id": event.target_id,
        "target_label": event.target_label,
        "principal_type": event.principal_type,
        "principal_id": event.principal_id,
        "principal_label": event.principal_label,
        "before": event.before,
        "after": event.after,
        "ip_address": event.ip_address,
    }


def dimension_value_json(value) -> dict:
    """A dimension value with its policy (`workspaces.policies` reads it for the workspaces holding it)."""
    return {
        "value": value.value,
        "label": value.label,
        "color": value.color,
        "protected": value.protected,
        "review_cadence_days": value.review_cadence_days,
        "grantable_roles": list(value.grantable_roles),
    }


def access_review_due_json(workspace, *, now) -> dict:
    due = workspace.access_review_due_at
    return {
        "workspace": workspace.slug,
        "name": workspace.display_name,
        "due_at": due,
        "overdue": due is not None and due <= now,
        "last_reviewed_at": workspace.access_reviewed_at,
    }


def access_review_summary_json(review) -> dict:
    return {
        "id": review.pk,
        "reviewer": review.reviewer_email,
        "completed_at": review.completed_at,
        "was_due_at": review.was_due_at,
        "next_due_at": review.next_due_at,
        "cadence_days": review.cadence_days,
        "kept": review.kept,
        "removed": review.removed,
    }


def access_review_row_json(row) -> dict:
    """A `workspaces.access_reviews.ReviewRow`: one holder of access, as the review page lists it."""
    return {
        "assignment": row.assignment.pk if row.assignment is not None else None,
        "principal_type": row.principal_type,
        "name": row.name,
        "email": row.email,
        "role": row.role,
        "source": row.source,
        "until": row.until,
        "granted_by": row.granted_by,
        "granted_at": row.granted_at,
        "last_activity": row.last_activity,
        "decidable": row.decidable,
        "allowed_by_policy": row.allowed_by_policy,
    }


def service_account_key_json(key, *, secret: str | None = None) -> dict:
    data = {
        "id": key.pk,
        "name": key.name,
        "hint": key.hint,
        "status": key.status,
        "created_at": key.created_at,
        "expires_at": key.expires_at,
        "rotated_to": key.rotated_to_id,
        "last_used_at": key.last_used_at,
        "last_used_ip": key.last_used_ip,
        "revoked_at": key.revoked_at,
    }
    if secret is not None:
        data["key"] = secret
    return data


def service_account_json(service_account) -> dict:
    """A service account from `service_accounts.selectors.service_account_list` (keys prefetched), with
    `role` annotated."""
    return {
        "id": service_account.pk,
        "name": service_account.name,
        "description": service_account.description,
        "active": service_account.active,
        "role": service_account.role,
        "user": user_json(service_account.user),
        "created_by": service_account.created_by.email if service_account.created_by else None,
        "created_at": service_account.created_at,
        "keys_usable": sum(1 for key in service_account.keys.all() if key.status in {"active", "rotating"}),
    }
