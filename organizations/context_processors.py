from .models import Organization


def navigation(request):
    """The organizations of the top bar's switcher (one query, only for signed-in pages)."""
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {}

    def organizations():
        return list(
            Organization.objects.filter(
                memberships__user=user, memberships__deactivated_at__isnull=True
            ).order_by("name")
        )

    return {
        "switcher_organizations": organizations,
        "current_organization": getattr(request, "organization", None),
        "access": getattr(request, "access", None),
    }
