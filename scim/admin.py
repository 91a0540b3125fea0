from django.contrib import admin

from organizations.admin import ReadOnlyAdmin

from .models import ScimToken


@admin.register(ScimToken)
class ScimTokenAdmin(ReadOnlyAdmin):
    list_display = ["hint", "name", "organization", "created_by", "created_at", "last_used_at", "revoked_at"]
    search_fields = ["hint", "name", "organization__slug"]
    exclude = ["token_hash"]
