"""Operations that change an organization and its workspaces together: atomic, permission-checked by
themselves, audited in the same transaction."""

from .dimensions import dimension_delete, dimension_value_delete, dimension_value_policy_update
from .invitations import (
    BULK_INVITE_LIMIT,
    BulkInviteResult,
    bulk_invite_address,
    invitation_accept,
    invitation_create,
    invitation_create_bulk,
    invitation_create_for_workspace,
)
from .members import membership_deactivate, membership_reactivate, membership_remove
from .teams import team_delete, team_member_add, team_member_remove

__all__ = [
    "BULK_INVITE_LIMIT",
    "BulkInviteResult",
    "bulk_invite_address",
    "dimension_delete",
    "dimension_value_delete",
    "dimension_value_policy_update",
    "invitation_accept",
    "invitation_create",
    "invitation_create_bulk",
    "invitation_create_for_workspace",
    "membership_deactivate",
    "membership_reactivate",
    "membership_remove",
    "team_delete",
    "team_member_add",
    "team_member_remove",
]
