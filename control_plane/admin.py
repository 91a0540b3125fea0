from django.contrib import admin

from organizations.admin import ReadOnlyAdmin

from .models import AccessToken, Device, UsageCount


@admin.register(Device)
class DeviceAdmin(ReadOnlyAdmin):
    list_display = [
        "__str__",
        "user",
        "workspace",
        "status",
        "zenml_version",
        "created_at",
        "token_issued_at",
    ]
    list_filter = ["status"]
    search_fields = ["hostname", "user__email", "workspace__slug"]
    exclude = ["device_code_digest"]


@admin.register(AccessToken)
class AccessTokenAdmin(ReadOnlyAdmin):
    list_display = ["id", "kind", "user", "workspace", "device", "expires_at", "revoked_at", "first_used_at"]
    list_filter = ["kind"]
    search_fields = ["user__email", "workspace__slug"]


@admin.register(UsageCount)
class UsageCountAdmin(ReadOnlyAdmin):
    list_display = ["workspace", "feature", "total", "updated_at"]
    list_filter = ["feature"]
    search_fields = ["workspace__slug"]
