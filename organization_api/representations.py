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
