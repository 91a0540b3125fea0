"""Every change to a workspace: one function per action, in modules by concern. Each is atomic, checks
the acting user's permission itself (through `organizations.access.Access`) before it writes, and
records its audit event in the same transaction."""

from .access_reviews import (
    access_review_complete,
    access_review_reminders_send,
    workspace_review_cadence_set,
)
from .custom_roles import custom_role_create, custom_role_delete, custom_role_set_cell, custom_role_set_cells
from .deletion import workspace_delete, workspace_restore
from .lifecycle import (
    ProvisioningSuperseded,
    workspace_deactivate,
    workspace_provision,
    workspace_reactivate,
    workspace_retry_provisioning,
)
from .onboarding import onboarding_step_complete
from .role_assignments import (
    team_workspace_roles_check,
    workspace_role_assign,
    workspace_role_grant_check,
    workspace_role_remove,
)
from .role_expiry import workspace_role_expiry_warnings_send, workspace_roles_expire
from .workspaces import (
    RoleGrant,
    WorkspaceSpec,
    workspace_create,
    workspace_create_bulk,
    workspace_labels_update,
    workspace_update,
)

__all__ = [
    "access_review_complete",
    "access_review_reminders_send",
    "ProvisioningSuperseded",
    "RoleGrant",
    "WorkspaceSpec",
    "custom_role_create",
    "custom_role_delete",
    "custom_role_set_cell",
    "custom_role_set_cells",
    "onboarding_step_complete",
    "team_workspace_roles_check",
    "workspace_create",
    "workspace_create_bulk",
    "workspace_deactivate",
    "workspace_delete",
    "workspace_labels_update",
    "workspace_provision",
    "workspace_reactivate",
    "workspace_restore",
    "workspace_review_cadence_set",
    "workspace_retry_provisioning",
    "workspace_role_assign",
    "workspace_role_grant_check",
    "workspace_role_expiry_warnings_send",
    "workspace_role_remove",
    "workspace_roles_expire",
    "workspace_update",
]
