from django.contrib import admin

from organizations.admin import ReadOnlyAdmin, ReadOnlyInline

from .models import RetiredWorkspaceId, Workspace, WorkspaceLabel, WorkspaceRoleAssignment, WorkspaceServer


class WorkspaceLabelInline(ReadOnlyInline):
    model = WorkspaceLabel


@admin.register(Workspace)
class WorkspaceAdmin(ReadOnlyAdmin):
    list_display = ["slug", "display_name", "organization", "status", "created_at"]
    list_filter = ["status", "organization"]
    search_fields = ["slug", "display_name"]
    readonly_fields = ["id", "created_at", "updated_at", "status_changed_at"]
    inlines = [WorkspaceLabelInline]

    def get_readonly_fields(self, request, obj=None):
        # The workspace ID is chosen once: shown, never editable, on an existing workspace.
        fields = list(super().get_readonly_fields(request, obj))
        return [*fields, "slug"] if obj is not None else fields


@admin.register(WorkspaceRoleAssignment)
class WorkspaceRoleAssignmentAdmin(ReadOnlyAdmin):
    list_display = ["workspace", "user", "team", "role", "created_at"]
    list_filter = ["role"]
    search_fields = ["workspace__slug", "user__email", "team__name"]


@admin.register(RetiredWorkspaceId)
class RetiredWorkspaceIdAdmin(ReadOnlyAdmin):
    list_display = ["slug", "retired_at"]


@admin.register(WorkspaceServer)
class WorkspaceServerAdmin(ReadOnlyAdmin):
    """What the supervisor sees: each server's state and, for a crash, the last lines of its log."""

    list_display = ["workspace", "state", "port", "pid", "version", "crashes", "restarts", "last_used_at"]
    list_filter = ["state"]
    search_fields = ["workspace__slug"]
    exclude = ["secret_salt"]  # not a secret, but nothing an operator needs to see
