"""The one way a view enters an organization: resolve it, answer 404 to outsiders, check a permission.

Every view under /orgs/<org>/ is wrapped in `organization_view`; a test walks the URLconf and fails
on a scoped route whose view is not.
"""

from functools import wraps

from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied
from django.http import Http404

from .access import Access


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
            return view(request, *args, **kwargs)

        wrapper.access_scope = "organization"
        return wrapper

    return decorator
