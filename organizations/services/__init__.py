"""Every change to organizations, their members, teams, invitations and dimensions: one function per
action, in modules by concern. Each is atomic, checks the acting user's permission itself (through
`organizations.access.Access`) before it writes, and records its audit event in the same transaction.

Changes that also touch workspaces (removing a member with their workspace roles, team changes
checked against workspace roles, invitations that carry workspace grants) live in `governance`.
"""

from .dimensions import (
    dimension_create,
    dimension_move,
    dimension_update,
    dimension_value_create,
    dimension_value_move,
    dimension_value_update,
)
from .invitation_links import (
    INVITATION_LIFETIME,
    invitation_for_token,
    invitation_for_token_hash,
    invitation_token_hash,
)
from .invitations import invitation_link_copy, invitation_resend, invitation_revoke
from .members import membership_add, membership_change_role, ownership_transfer
from .naming import naming_convention_update
from .organizations import organization_create, organization_update
from .teams import team_create, team_update

__all__ = [
    "INVITATION_LIFETIME",
    "dimension_create",
    "dimension_move",
    "dimension_update",
    "dimension_value_create",
    "dimension_value_move",
    "dimension_value_update",
    "invitation_for_token",
    "invitation_for_token_hash",
    "invitation_link_copy",
    "invitation_resend",
    "invitation_revoke",
    "invitation_token_hash",
    "membership_add",
    "membership_change_role",
    "naming_convention_update",
    "organization_create",
    "organization_update",
    "ownership_transfer",
    "team_create",
    "team_update",
]
