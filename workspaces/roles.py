"""The workspace roles: the one place that says what each role may do inside a workspace.

Code asks for a permission (`workspaces.change_workspace`), never for a role name.
"""

from dataclasses import dataclass

from django.db import models

VIEW_WORKSPACE = "view_workspace"
CHANGE_WORKSPACE = "change_workspace"
MANAGE_WORKSPACE_MEMBERS = "manage_workspace_members"
MANAGE_WORKSPACE_LIFECYCLE = "manage_workspace_lifecycle"
CREATE_RESOURCES = "create_resources"
UPDATE_OTHERS_RESOURCES = "update_others_resources"
MANAGE_STACKS = "manage_stacks"

WORKSPACE_PERMISSIONS = [
    (MANAGE_WORKSPACE_MEMBERS, "Can manage the workspace's members and roles"),
    (MANAGE_WORKSPACE_LIFECYCLE, "Can deactivate, reactivate, retry and delete the workspace"),
    (CREATE_RESOURCES, "Can create resources in the workspace"),
    (UPDATE_OTHERS_RESOURCES, "Can update resources created by others"),
    (MANAGE_STACKS, "Can manage stacks, components and service connectors"),
]


class WorkspaceRoleKey(models.TextChoices):
    ADMIN = "admin", "Admin"
    DEVELOPER = "developer", "Developer"
    CONTRIBUTOR = "contributor", "Contributor"
    VIEWER = "viewer", "Viewer"
    STACK_ADMIN = "stack_admin", "Stack Admin"


@dataclass(frozen=True)
class WorkspaceRole:
    key: str
    label: str
    rank: int
    description: str
    permissions: frozenset[str]

    def __str__(self):
        return self.label


WORKSPACE_ROLES: dict[str, WorkspaceRole] = {
    role.key: role
    for role in [
        WorkspaceRole(
            WorkspaceRoleKey.ADMIN,
            "Admin",
            50,
            "Settings, members and roles, lifecycle, all resources.",
            frozenset(
                {
                    VIEW_WORKSPACE,
                    CHANGE_WORKSPACE,
                    MANAGE_WORKSPACE_MEMBERS,
                    MANAGE_WORKSPACE_LIFECYCLE,
                    CREATE_RESOURCES,
                    UPDATE_OTHERS_RESOURCES,
                    MANAGE_STACKS,
                }
            ),
        ),
        WorkspaceRole(
            WorkspaceRoleKey.DEVELOPER,
            "Developer",
            40,
            "Creates and views all resources; updates others' resources; no settings.",
            frozenset({VIEW_WORKSPACE, CREATE_RESOURCES, UPDATE_OTHERS_RESOURCES}),
        ),
        WorkspaceRole(
            WorkspaceRoleKey.CONTRIBUTOR,
            "Contributor",
            30,
            "Creates resources and fully manages their own; reads others'.",
            frozenset({VIEW_WORKSPACE, CREATE_RESOURCES}),
        ),
        WorkspaceRole(
            WorkspaceRoleKey.STACK_ADMIN,
            "Stack Admin",
            20,
            "Full control of stacks, components and service connectors only.",
            frozenset({VIEW_WORKSPACE, MANAGE_STACKS}),
        ),
        WorkspaceRole(
            WorkspaceRoleKey.VIEWER,
            "Viewer",
            10,
            "Read-only access.",
            frozenset({VIEW_WORKSPACE}),
        ),
    ]
}


def workspace_role(key: str) -> WorkspaceRole:
    return WORKSPACE_ROLES[key]
