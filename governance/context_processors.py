from .org_admin import org_admin_site


def org_admin_link(request):
    """Whether the account menu offers the owners' admin panel (asked only when a page shows it)."""
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {}
    return {"may_use_org_admin": lambda: org_admin_site.has_permission(request)}
