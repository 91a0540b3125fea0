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
