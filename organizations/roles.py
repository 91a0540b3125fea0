"""The organization roles: the one place that says what each role may do in an organization.

Code asks for a permission (`organizations.create_workspace`), never for a role name. A role is an
ordered entry of this registry; its rank decides who may grant it (nobody grants above their own).
"""

from dataclasses import dataclass

from django.db import models

# Object permissions on an Organization. Each is declared on Organization.Meta.permissions too.
VIEW_ORGANIZATION = "view_organization"
CHANGE_ORGANIZATION = "change_organization"
DELETE_ORGANIZATION = "delete_organization"
TRANSFER_OWNERSHIP = "transfer_ownership"
MANAGE_MEMBERS = "manage_members"
MANAGE_TEAMS = "manage_teams"
MANAGE_POLICIES = "manage_policies"
VIEW_AUDIT_LOG = "view_audit_log"
CREATE_WORKSPACE = "create_workspace"
LIST_ALL_WORKSPACES = "list_all_workspaces"
ADMINISTER_ALL_WORKSPACES = "administer_all_workspaces"

ORGANIZATION_PERMISSIONS = [
    (TRANSFER_OWNERSHIP, "Can transfer ownership of the organization"),
    (MANAGE_MEMBERS, "Can manage members and invitations"),
    (MANAGE_TEAMS, "Can manage teams"),
    (MANAGE_POLICIES, "Can manage policies and dimensions"),
    (VIEW_AUDIT_LOG, "Can read the audit log"),
    (CREATE_WORKSPACE, "Can create workspaces"),
    (LIST_ALL_WORKSPACES, "Can see every workspace in the list"),
    (ADMINISTER_ALL_WORKSPACES, "Has admin rights on every workspace"),
]


class OrganizationRoleKey(models.TextChoices):
    OWNER = "owner", "Owner"
    ADMIN = "admin", "Admin"
    MANAGER = "manager", "Manager"
    VIEWER = "viewer", "Viewer"
    MEMBER = "member", "Member"


@dataclass(frozen=True)
class OrganizationRole:
    key: str
    label: str
    rank: int
    description: str
    permissions: frozenset[str]

    def __str__(self):
        return self.label


_ADMIN_PERMISSIONS = frozenset(
    {
        VIEW_ORGANIZATION,
        CHANGE_ORGANIZATION,
        MANAGE_MEMBERS,
        MANAGE_TEAMS,
        MANAGE_POLICIES,
        VIEW_AUDIT_LOG,
        CREATE_WORKSPACE,
        LIST_ALL_WORKSPACES,
        ADMINISTER_ALL_WORKSPACES,
    }
)

ORGANIZATION_ROLES: dict[str, OrganizationRole] = {
    role.key: role
    for role in [
        OrganizationRole(
            OrganizationRoleKey.OWNER,
            "Owner",
            50,
            "Everything, including deleting the organization and transferring ownership.",
            _ADMIN_PERMISSIONS | {DELETE_ORGANIZATION, TRANSFER_OWNERSHIP},
        ),
        OrganizationRole(
            OrganizationRoleKey.ADMIN,
            "Admin",
            40,
            "Manages members, invitations, teams, roles, policies and every workspace.",
            _ADMIN_PERMISSIONS,
        ),
        OrganizationRole(
            OrganizationRoleKey.MANAGER,
            "Manager",
            30,
            "Creates workspaces and teams; sees every workspace in the list.",
            frozenset({VIEW_ORGANIZATION, CREATE_WORKSPACE, MANAGE_TEAMS, LIST_ALL_WORKSPACES}),
        ),
        OrganizationRole(
            OrganizationRoleKey.VIEWER,
            "Viewer",
            20,
            "Read-only view of the organization and its workspace list.",
            frozenset({VIEW_ORGANIZATION, LIST_ALL_WORKSPACES}),
        ),
        OrganizationRole(
            OrganizationRoleKey.MEMBER,
            "Member",
            10,
            "Sees only the workspaces where they or a team of theirs hold a role.",
            frozenset({VIEW_ORGANIZATION}),
        ),
    ]
}


def organization_role(key: str) -> OrganizationRole:
    return ORGANIZATION_ROLES[key]
