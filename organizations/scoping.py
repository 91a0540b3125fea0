"""The one way a view enters an organization: resolve it, answer 404 to outsiders, check a permission.

Every view under /orgs/<org>/ is wrapped in `organization_view`; a test walks the URLconf and fails
on a scoped route whose view is not. Views that change something declare no permission: the service
they call decides, and its `PermissionDeniedError` becomes the answer here (`refusals_answered`).
"""

from functools import wraps

from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpResponse
from django_htmx.http import trigger_client_event

from .access import Access
from .errors import PermissionDeniedError


def answer_permission_refusal(request, refusal: PermissionDeniedError):
    """A service said no: a full page gets the 403 page (with the reason), an htmx request a 403 whose
    toast says why (htmx swaps nothing on a 4xx, but still reads the header)."""
    if not getattr(request, "htmx", False):
        raise refusal
    response = HttpResponse(status=403)
    trigger_client_event(response, "atrium:toast", {"level": "error", "message": refusal.message})
    return response


def organization_view(permission: str | None = None):
    """Decorate a view taking `org_slug`: sets request.organization and request.access.

    Non-members get 404 (nothing leaks an organization's existence); members without
    `permission` get 403.
    """

    def decorator(view):
        @wraps(view)
        def wrapper(request, org_slug, *args, **kwargs):
            if not request.user.is_authenticated:
                return redirect_to_login(request.get_full_path())
            access = Access.for_organization_slug(request.user, org_slug)
            if access is None:  # no such organization, or not a member: the same answer
                raise Http404("No such organization.")
            # Set before the permission check, so even the 403 page shows where the user is.
            request.organization, request.access = access.organization, access
            if permission and not access.can(permission):
                raise PermissionDenied
            try:
                return view(request, *args, **kwargs)
            except PermissionDeniedError as refusal:
                return answer_permission_refusal(request, refusal)

        wrapper.access_scope = "organization"
        return wrapper

    return decorator
