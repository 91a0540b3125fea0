"""The one way a view enters a workspace: resolve it by ID, answer 404 to outsiders, check a permission."""

from functools import wraps

from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied
from django.http import Http404

from organizations.access import Access
from organizations.errors import PermissionDeniedError
from organizations.scoping import answer_permission_refusal

from .roles import VIEW_WORKSPACE
from .selectors import workspace_get_by_slug


def workspace_view(permission: str = f"workspaces.{VIEW_WORKSPACE}"):
    """Decorate a view taking `workspace_slug`: sets request.workspace, .organization and .access.

    People outside the organization, and members who cannot even see the workspace in the list, get
    404; members who see it listed but lack `permission` get 403.
    """

    def decorator(view):
        @wraps(view)
        def wrapper(request, workspace_slug, *args, **kwargs):
            if not request.user.is_authenticated:
                return redirect_to_login(request.get_full_path())
            workspace = workspace_get_by_slug(workspace_slug)
            if workspace is None:
                raise Http404("No such workspace.")
            access = Access.for_user(request.user, workspace.organization)
            if not access.is_member:
                raise Http404("No such workspace.")
            if not access.can(permission, workspace):
                if access.can_see(workspace):
                    request.organization, request.access = workspace.organization, access  # for the 403 page
                    raise PermissionDenied
                raise Http404("No such workspace.")
            request.workspace, request.organization, request.access = (
                workspace,
                workspace.organization,
                access,
            )
            try:
                return view(request, *args, **kwargs)
            except PermissionDeniedError as refusal:
                return answer_permission_refusal(request, refusal)

        wrapper.access_scope = "workspace"
        return wrapper

    return decorator
