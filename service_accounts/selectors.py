"""Reads of service accounts, always within one organization."""

from django.db.models import Prefetch

from .models import ServiceAccount, ServiceAccountKey


def service_account_list(*, organization):
    """The organization's service accounts with their keys (newest first) and organization role."""
    return (
        ServiceAccount.objects.filter(organization=organization)
        .select_related("user", "created_by")
        .prefetch_related(Prefetch("keys", queryset=ServiceAccountKey.objects.order_by("-created_at", "-pk")))
    )


def service_account_get(*, organization, service_account_id) -> ServiceAccount | None:
    """One of the organization's service accounts, or None (another organization's answers None too)."""
    return service_account_list(organization=organization).filter(pk=service_account_id).first()


def service_account_key_get(*, service_account, key_id) -> ServiceAccountKey | None:
    return (
        ServiceAccountKey.objects.select_related("service_account__organization", "service_account__user")
        .filter(service_account=service_account, pk=key_id)
        .first()
    )
