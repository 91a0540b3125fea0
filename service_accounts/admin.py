from django.contrib import admin

from organizations.admin import ReadOnlyAdmin

from .models import ServiceAccount, ServiceAccountKey


@admin.register(ServiceAccount)
class ServiceAccountAdmin(ReadOnlyAdmin):
    list_display = ["name", "organization", "active", "created_by", "created_at"]
    list_filter = ["active"]
    search_fields = ["name", "organization__slug"]


@admin.register(ServiceAccountKey)
class ServiceAccountKeyAdmin(ReadOnlyAdmin):
    list_display = [
        "hint",
        "name",
        "service_account",
        "created_at",
        "expires_at",
        "revoked_at",
        "last_used_at",
    ]
    search_fields = ["hint", "name", "service_account__name"]
    exclude = ["key_hash"]
