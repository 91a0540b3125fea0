"""What every endpoint shares: the error responses it documents, and the doors into an organization
and a workspace (resolve, answer 404 to outsiders; the permission itself is the services')."""

from django.db.models import Prefetch

from organizations.access import Access
from organizations.errors import NotFoundError
from workspaces.models import Workspace, WorkspaceLabel
from workspaces.roles import VIEW_WORKSPACE

from ..errors import ApiError, Error
from ..services import token_policy_refusal

# Every operation may answer these, in the one error shape.
ERRORS = {401: Error, 403: Error, 404: Error, 422: Error, 429: Error}
WRITE_ERRORS = {**ERRORS, 400: Error, 409: Error}  # 400: a body that is not JSON


def organization_access(request, slug: str) -> Access:
    """The caller's access to the organization at `slug`; NotFoundError when they are not a member
    (whether or not it exists, so nothing leaks)."""
    access = Access.for_organization_slug(request.auth, slug)
    if access is None:
        raise NotFoundError("No such organization.")
    check_token_policy(request, access.organization)
    return access


def check_token_policy(request, organization) -> None:
    """Refuse (403 `token_policy`) a token that outlives the organization's maximum token lifetime."""
    token = getattr(request, "api_credential", None)
    if token is not None and (reason := token_policy_refusal(token, organization)):
        raise ApiError(403, "token_policy", reason)


def workspace_for(
    request,
    workspace_id: str,
    *,
    permission: str = f"workspaces.{VIEW_WORKSPACE}",
    include_deleted: bool = False,
):
    """The workspace with ID `workspace_id` and the caller's access to its organization, as the
    workspace pages resolve it: 404 for outsiders and for members who cannot see it, 403 for members
    who see it listed but lack `permission`. Deleted workspaces only `include_deleted` (to restore)."""
    workspaces = Workspace.objects.all() if include_deleted else Workspace.objects.live()
    workspace = (
        workspaces.select_related("organization")
        .prefetch_related(
            Prefetch("labels", queryset=WorkspaceLabel.objects.select_related("dimension", "value"))
        )
        .with_id(workspace_id)
        .first()
    )
    if workspace is None:
        raise NotFoundError("No such workspace.")
    access = Access.for_user(request.auth, workspace.organization)
    if not access.is_member:
        raise NotFoundError("No such workspace.")
    check_token_policy(request, workspace.organization)
    access.require(permission, workspace)
    return workspace, access


def next_page_url(request, *, offset: int, limit: int, count: int) -> str | None:
    """The URL of the page after [offset, offset + limit) of `count` rows, or None on the last page."""
    after = offset + limit
    if after >= count:
        return None
    query = request.GET.copy()
    query["offset"], query["limit"] = str(after), str(limit)
    return request.build_absolute_uri(f"{request.path}?{query.urlencode()}")


def offset_page(request, rows, *, offset: int, limit: int, to_json) -> dict:
    """One page of a queryset in the list shape every list endpoint shares: items, count, next."""
    count = rows.count()
    return {
        "items": [to_json(row) for row in rows[offset : offset + limit]],
        "count": count,
        "next": next_page_url(request, offset=offset, limit=limit, count=count),
    }
