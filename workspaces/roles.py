"""The workspace roles: the one place that says what each role may do inside a workspace.

A role is a matrix of resource types × actions. Its guardian permissions are the matrix's cells
(`read_pipelines`, …) plus the workspace-level permissions those cells imply (`view_workspace`,
`change_workspace`, …). Code asks for a permission, never for a role name. Custom roles
(`WorkspaceCustomRole`) start from a predefined role's matrix and adjust it.
"""

from dataclasses import dataclass

from django.db import models

VIEW_WORKSPACE = "view_workspace"
CHANGE_WORKSPACE = "change_workspace"
MANAGE_WORKSPACE_MEMBERS = "manage_workspace_members"
MANAGE_WORKSPACE_LIFECYCLE = "manage_workspace_lifecycle"
# Django's own model permission on Workspace, held as an object permission: deleting (and restoring)
# the workspace. Kept apart from the rest of the lifecycle so that policies can ask more of it.
DELETE_WORKSPACE = "delete_workspace"

RESOURCES = [
    ("workspace_settings", "Workspace settings"),
    ("members", "Members"),
    ("pipelines", "Pipelines"),
    ("runs", "Runs"),
    ("stacks", "Stacks"),
    ("components", "Components"),
    ("service_connectors", "Service connectors"),
    ("models", "Models"),
    ("artifacts", "Artifacts"),
    ("templates", "Templates"),
]
ACTIONS = [
    ("create", "Create"),
    ("read", "Read"),
    ("update", "Update"),
    ("delete", "Delete"),
    ("share", "Share"),
]
RESOURCE_KEYS = [key for key, _ in RESOURCES]
ACTION_KEYS = [key for key, _ in ACTIONS]
CONTENT_RESOURCES = [key for key in RESOURCE_KEYS if key not in {"workspace_settings", "members"}]
STACK_RESOURCES = ["stacks", "components", "service_connectors"]


def cell(resource: str, action: str) -> str:
    """The permission codename of one matrix cell: ("pipelines", "read") → "read_pipelines"."""
    return f"{action}_{resource}"


WORKSPACE_PERMISSIONS = [
    (MANAGE_WORKSPACE_MEMBERS, "Can manage the workspace's members and roles"),
    (MANAGE_WORKSPACE_LIFECYCLE, "Can deactivate, reactivate, retry and delete the workspace"),
] + [
    (cell(resource, action), f"Can {action} {label.lower()}")
    for resource, label in RESOURCES
    for action, _ in ACTIONS
]


def permissions_for_matrix(matrix: frozenset[str]) -> frozenset[str]:
    """Guardian codenames a matrix grants: its cells plus the workspace-level permissions they imply."""
    granted = set(matrix)
    if matrix:
        granted.add(VIEW_WORKSPACE)
    if cell("workspace_settings", "update") in matrix:
        granted.add(CHANGE_WORKSPACE)
    if cell("workspace_settings", "delete") in matrix:
        granted |= {MANAGE_WORKSPACE_LIFECYCLE, DELETE_WORKSPACE}
    if matrix & {cell("members", a) for a in ("create", "update", "delete")}:
        granted.add(MANAGE_WORKSPACE_MEMBERS)
    return frozenset(granted)


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
    matrix: frozenset[str]

    def __str__(self):
        return self.label

    @property
    def permissions(self) -> frozenset[str]:
        return permissions_for_matrix(self.matrix)


def _cells(resources, actions) -> frozenset[str]:
    return frozenset(cell(r, a) for r in resources for a in actions)


WORKSPACE_ROLES: dict[str, WorkspaceRole] = {
    role.key: role
    for role in [
        WorkspaceRole(
            WorkspaceRoleKey.ADMIN,
            "Admin",
            50,
            "Settings, members and roles, lifecycle, all resources.",
            _cells(RESOURCE_KEYS, ACTION_KEYS),
        ),
        WorkspaceRole(
            WorkspaceRoleKey.DEVELOPER,
            "Developer",
            40,
            "Creates and views all resources; updates others' resources; no settings.",
            _cells(CONTENT_RESOURCES, ["create", "read", "update", "share"])
            | _cells(["members", "workspace_settings"], ["read"]),
        ),
        WorkspaceRole(
            WorkspaceRoleKey.CONTRIBUTOR,
            "Contributor",
            30,
            "Creates resources and fully manages their own; reads others'.",
            _cells(CONTENT_RESOURCES, ["create", "read"])
            | _cells(["members", "workspace_settings"], ["read"]),
        ),
        WorkspaceRole(
            WorkspaceRoleKey.STACK_ADMIN,
            "Stack Admin",
            20,
            "Full control of stacks, components and service connectors only.",
            _cells(STACK_RESOURCES, ACTION_KEYS),
        ),
        WorkspaceRole(
            WorkspaceRoleKey.VIEWER,
            "Viewer",
            10,
            "Read-only access.",
            _cells(RESOURCE_KEYS, ["read"]),
        ),
    ]
}


def workspace_role(key: str) -> WorkspaceRole:
    return WORKSPACE_ROLES[key]
