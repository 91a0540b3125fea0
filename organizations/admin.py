from django.contrib import admin

from .models import AuditEvent, Dimension, DimensionValue, Invitation, Membership, Organization, Team


class ReadOnlyAdmin(admin.ModelAdmin):
    """Site operators look here; changes go through the pages or /org-admin/, whose services keep
    permissions in sync and write the audit trail."""

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


class ReadOnlyInline(admin.TabularInline):
    extra = 0
    can_delete = False

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False


class MembershipInline(ReadOnlyInline):
    model = Membership


@admin.register(Organization)
class OrganizationAdmin(ReadOnlyAdmin):
    list_display = ["name", "slug", "created_at"]
    search_fields = ["name", "slug"]
    readonly_fields = ["id", "created_at"]
    inlines = [MembershipInline]


@admin.register(Membership)
class MembershipAdmin(ReadOnlyAdmin):
    list_display = ["user", "organization", "role", "created_at"]
    list_filter = ["role", "organization"]
    search_fields = ["user__email", "organization__name"]


@admin.register(Team)
class TeamAdmin(ReadOnlyAdmin):
    list_display = ["name", "organization", "created_at"]
    search_fields = ["name"]


class DimensionValueInline(ReadOnlyInline):
    model = DimensionValue
    fields = ["label", "value", "color", "position", "team"]


@admin.register(Dimension)
class DimensionAdmin(ReadOnlyAdmin):
    """Read-only like the rest: dimensions change on the organization's Labels page, audited."""

    list_display = ["name", "key", "organization", "position", "required", "follows_teams"]
    inlines = [DimensionValueInline]


@admin.register(Invitation)
class InvitationAdmin(ReadOnlyAdmin):
    list_display = ["email", "organization", "role", "status", "created_at", "expires_at"]
    list_filter = ["status", "organization"]
    search_fields = ["email"]
    exclude = ["token_hash"]


@admin.register(AuditEvent)
class AuditEventAdmin(ReadOnlyAdmin):
    """Read-only: the audit trail is append-only."""

    list_display = ["created_at", "organization", "actor_email", "action", "target_label", "ip_address"]
    list_filter = ["action", "organization"]
    search_fields = ["actor_email", "target_label", "action"]
