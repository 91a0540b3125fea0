"""/api/v1/workspaces: list with filters, create (idempotently), read, edit, deactivate, reactivate,
delete and restore (within the organization's grace period), each through the same service as the
pages.
"""

import json
from typing import Annotated, Literal

from django.core.serializers.json import DjangoJSONEncoder
from django.db import transaction
from django.db.models import Prefetch, Q
from ninja import Field, Header, Query, Router, Schema, Status

from organizations.access import Access
from organizations.errors import InvalidError
from workspaces.models import Workspace, WorkspaceLabel, WorkspaceStatus
from workspaces.services import (
    workspace_create,
    workspace_deactivate,
    workspace_delete,
    workspace_labels_update,
    workspace_reactivate,
    workspace_restore,
    workspace_update,
)

from ..errors import fields_renamed
from ..idempotency import idempotent
from ..representations import workspace_json
from ..schemas import WorkspaceCreateIn, WorkspaceDetailOut, WorkspaceOut, WorkspacePatchIn
from ..selectors import dimension_values_for_labels, membership_list_for_user, workspace_list_filtered
from ..services import token_policy_refusal
from .common import ERRORS, WRITE_ERRORS, next_page_url, organization_access, workspace_for

router = Router(tags=["workspaces"])

# The services' field names, as the API calls them.
API_FIELDS = {"slug": "id", "display_name": "name"}
MAX_PAGE = 100
IDEMPOTENCY_HELP = "Retrying with the same key returns the first result instead of creating twice."


class WorkspaceFilters(Schema):
    organization: str | None = Field(
        None, description="An organization's slug; all of the caller's if absent."
    )
    q: str = Field(
        "",
        description="Search, as the organization home searches: part of the name, ID, description or a "
        "label value (from three characters; one or two match the start of the name or the ID).",
    )
    name: str = Field("", description="Part of the name or the ID.")
    status: Literal[tuple(WorkspaceStatus.values)] | None = None  # type: ignore[valid-type]
    label: list[str] = Field(
        default_factory=list, description="`dimension:value`, repeatable; a workspace must hold all."
    )
    member_only: bool = Field(
        False, description="Only workspaces where the caller or a team of theirs holds a role."
    )
    offset: int = Field(0, ge=0)
    limit: int = Field(50, ge=1, le=MAX_PAGE)


class WorkspacePage(Schema):
    items: list[WorkspaceOut]
    count: int = Field(description="How many workspaces match, over all pages.")
    next: str | None = Field(description="The URL of the next page, or null on the last one.")


def _labels(filters: WorkspaceFilters) -> list[tuple[str, str]]:
    pairs = []
    for label in filters.label:
        dimension, sep, value = label.partition(":")
        if not sep or not dimension or not value:
            raise InvalidError(f"“{label}” is not a label; write dimension:value.", field="label")
        pairs.append((dimension, value))
    return pairs


@router.get("/workspaces", response={200: WorkspacePage, **ERRORS})
def workspace_list(request, filters: Query[WorkspaceFilters]):
    """The workspaces the caller may see (as in each organization's workspace list), newest first."""
    labels = _labels(filters)
    if filters.organization:
        accesses = [organization_access(request, filters.organization)]
    else:
        token = getattr(request, "api_credential", None)
        accesses = [  # organizations whose token policy refuses this token are left out
            Access(request.auth, m.organization, m)
            for m in membership_list_for_user(user=request.auth)
            if token is None or token_policy_refusal(token, m.organization) is None
        ]
    visible = Q(pk__in=[])
    for access in accesses:
        matching = workspace_list_filtered(
            access=access, search=filters.q, name=filters.name, status=filters.status or "",
            labels=labels, member_only=filters.member_only,
        )  # fmt: skip
        visible |= Q(pk__in=matching.order_by().values("pk"))
    workspaces = (
        Workspace.objects.filter(visible)
        .select_related("organization")
        .prefetch_related(
            Prefetch("labels", queryset=WorkspaceLabel.objects.select_related("dimension", "value"))
        )
        .order_by("-created_at", "slug")
    )
    count = workspaces.count()
    page = workspaces[filters.offset : filters.offset + filters.limit]
    return {
        "items": [workspace_json(workspace) for workspace in page],
        "count": count,
        "next": next_page_url(request, offset=filters.offset, limit=filters.limit, count=count),
    }


@router.post("/workspaces", response={201: WorkspaceDetailOut, **WRITE_ERRORS})
def workspace_post(
    request,
    payload: WorkspaceCreateIn,
    idempotency_key: Annotated[
        str | None, Header(alias="Idempotency-Key", description=IDEMPOTENCY_HELP)
    ] = None,
):
    """Create a workspace: the caller becomes its Admin, and it starts provisioning."""

    def create():
        access = organization_access(request, payload.organization)
        with fields_renamed(API_FIELDS):
            label_values = dimension_values_for_labels(
                organization=access.organization, labels=payload.labels
            )
            workspace = workspace_create(
                organization=access.organization,
                slug=payload.id,
                display_name=payload.name,
                description=payload.description,
                label_values=label_values,
                acting_user=request.auth,
            )
        workspace, _ = workspace_for(request, workspace.slug)
        body = json.loads(json.dumps(workspace_json(workspace, detail=True), cls=DjangoJSONEncoder))
        return 201, body

    status, body = idempotent(
        request, key=idempotency_key, operation="workspace.create", body=payload.model_dump(), perform=create
    )
    return Status(status, body)


@router.get("/workspaces/{id}", response={200: WorkspaceDetailOut, **ERRORS})
def workspace_get(request, id: str):
    workspace, _ = workspace_for(request, id)
    return workspace_json(workspace, detail=True)


@router.patch("/workspaces/{id}", response={200: WorkspaceDetailOut, **WRITE_ERRORS})
def workspace_patch(request, id: str, payload: WorkspacePatchIn):
    """Edit the name, description, README or labels (a label set to null is removed). The ID never
    changes: sending another one is refused."""
    workspace, access = workspace_for(request, id)
    if payload.id is not None and payload.id != workspace.slug:
        raise InvalidError("A workspace ID is permanent; it can never change.", field="id")
    with transaction.atomic(), fields_renamed(API_FIELDS):
        if {"name", "description", "readme"} & payload.model_fields_set:
            workspace_update(
                workspace=workspace,
                display_name=workspace.display_name if payload.name is None else payload.name,
                description=workspace.description if payload.description is None else payload.description,
                readme=workspace.readme if payload.readme is None else payload.readme,
                acting_user=request.auth,
            )
        if payload.labels is not None:
            labels = {label.dimension.key: label.value.value for label in workspace.labels.all()}
            labels.update(payload.labels)
            wanted = {key: value for key, value in labels.items() if value is not None}
            workspace_labels_update(
                workspace=workspace,
                label_values=dimension_values_for_labels(organization=access.organization, labels=wanted),
                acting_user=request.auth,
            )
    workspace, _ = workspace_for(request, id)
    return workspace_json(workspace, detail=True)


@router.post("/workspaces/{id}/deactivate", response={200: WorkspaceDetailOut, **WRITE_ERRORS})
def workspace_deactivate_post(request, id: str):
    """Deactivate the workspace: its server stops. Deactivating it again changes nothing."""
    workspace, _ = workspace_for(request, id)
    workspace_deactivate(workspace=workspace, acting_user=request.auth)
    workspace, _ = workspace_for(request, id)
    return workspace_json(workspace, detail=True)


@router.post("/workspaces/{id}/reactivate", response={200: WorkspaceDetailOut, **WRITE_ERRORS})
def workspace_reactivate_post(request, id: str):
    """Reactivate a deactivated workspace: it provisions again."""
    workspace, _ = workspace_for(request, id)
    workspace_reactivate(workspace=workspace, acting_user=request.auth)
    workspace, _ = workspace_for(request, id)
    return workspace_json(workspace, detail=True)


@router.delete("/workspaces/{id}", response={204: None, **WRITE_ERRORS})
def workspace_delete_request(request, id: str):
    """Delete the workspace: its server stops, it leaves every list, and its ID stays reserved. Its
    Admins and the organization's Admins may restore it within the organization's grace period
    (`POST /workspaces/{id}/restore`). The ID in the path is the confirmation the page asks to type."""
    workspace, _ = workspace_for(request, id)
    workspace_delete(workspace=workspace, acting_user=request.auth, typed_id=workspace.slug)
    return Status(204, None)


@router.post("/workspaces/{id}/restore", response={200: WorkspaceDetailOut, **WRITE_ERRORS})
def workspace_restore_post(request, id: str):
    """Bring a deleted workspace back within the grace period, deactivated (reactivate it to start its
    server). Refused (409) once the grace period is over or when it is not deleted."""
    workspace, _ = workspace_for(request, id, include_deleted=True)
    workspace_restore(workspace=workspace, acting_user=request.auth)
    workspace, _ = workspace_for(request, id)
    return workspace_json(workspace, detail=True)
