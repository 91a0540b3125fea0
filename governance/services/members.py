"""Removing someone from an organization, with everything they held in it."""

from django.db import transaction

from organizations.access import Access
from organizations.audit import AuditAction, audit_record
from organizations.errors import ConflictError, TargetDeniedError
from organizations.models import Membership, Team
from organizations.permission_sync import sync_organization_permissions
from organizations.roles import MANAGE_MEMBERS, OrganizationRoleKey
from organizations.services.members import lock_owners, locked_membership, owner_count
from workspaces.models import WorkspaceRoleAssignment
from workspaces.permission_sync import sync_workspaces_of_user


@transaction.atomic
def membership_remove(*, membership: Membership, acting_user) -> None:
    """Remove someone from the organization, with every workspace role and team place they held in it.

    Anyone may leave (remove their own membership); removing someone else needs `manage_members`
    and a role at least as high as theirs. The last Owner can do neither. A membership removed by
    another request a moment earlier answers NotFoundError, and is recorded once.
    """
    organization = membership.organization
    access = Access.for_user(acting_user, organization)
    leaving = membership.user_id == acting_user.pk
    if not leaving:
        access.require(f"organizations.{MANAGE_MEMBERS}")
    lock_owners(membership.organization_id)
    membership = locked_membership(membership)
    user = membership.user
    if membership.role == OrganizationRoleKey.OWNER and owner_count(organization) <= 1:
        raise ConflictError("The last Owner cannot leave or be removed: make someone else Owner first.")
    if not leaving and not access.may_grant_organization_role(membership.role):
        raise TargetDeniedError("You cannot remove someone above you.")
    assignments = WorkspaceRoleAssignment.objects.filter(workspace__organization=organization, user=user)
    workspace_roles = {
        a.workspace.slug: a.role_definition.label
        for a in assignments.select_related("workspace", "custom_role")
    }
    assignments.delete()
    teams = list(Team.objects.filter(organization=organization, members=user))
    for team in teams:
        team.members.remove(user)
    membership_id = membership.pk
    membership.delete()
    membership.pk = membership_id  # the audit event keeps the removed membership's id
    sync_organization_permissions(organization, user_ids=[user.pk])
    sync_workspaces_of_user(user, organization)
    audit_record(
        organization=organization,
        acting_user=acting_user,
        action=AuditAction.MEMBERSHIP_LEAVE if leaving else AuditAction.MEMBERSHIP_REMOVE,
        target=membership,
        principal=user,
        before={
            "user": user.email,
            "role": membership.role,
            "workspace_roles": workspace_roles,
            "teams": [{"id": team.pk, "name": team.name} for team in teams],
        },
    )
