"""Removing someone from an organization, with everything they held in it; deactivating and
reactivating their membership (what an identity provider does through SCIM)."""

from django.db import transaction
from django.utils import timezone

from organizations.access import Access
from organizations.audit import AuditAction, audit_record
from organizations.errors import ConflictError, TargetDeniedError
from organizations.models import Membership, Team
from organizations.permission_sync import sync_organization_permissions
from organizations.roles import MANAGE_MEMBERS
from organizations.services.members import is_last_owner, lock_owners, locked_membership
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
    if is_last_owner(membership):
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


def _check_may_switch(*, membership: Membership, acting_user, access: Access) -> None:
    """Deactivating or reactivating someone: `manage_members`, never oneself, never someone above one's
    own role, and never the organization's last active Owner."""
    access.require(f"organizations.{MANAGE_MEMBERS}")
    if membership.user_id == acting_user.pk:
        raise TargetDeniedError("You cannot deactivate or reactivate yourself.")
    if not access.may_grant_organization_role(membership.role):
        raise TargetDeniedError("You cannot deactivate or reactivate someone above you.")


@transaction.atomic
def membership_deactivate(*, membership: Membership, acting_user) -> Membership:
    """Take every access away from a member at once, keeping their membership, roles and team places
    for a reactivation: `Access` treats them as an outsider from now on, their organization and
    workspace permissions are withdrawn, and workspace servers deny them at their next check.
    Deactivating a deactivated member changes nothing and records nothing."""
    organization = membership.organization
    access = Access.for_user(acting_user, organization)
    _check_may_switch(membership=membership, acting_user=acting_user, access=access)
    lock_owners(organization.pk)
    membership = locked_membership(membership)
    if membership.deactivated_at is not None:
        return membership
    if is_last_owner(membership):
        raise ConflictError("The last Owner cannot be deactivated: make someone else Owner first.")
    membership.deactivated_at = timezone.now()
    membership.save(update_fields=["deactivated_at"])
    sync_organization_permissions(organization, user_ids=[membership.user_id])
    sync_workspaces_of_user(membership.user, organization)
    audit_record(organization=organization, acting_user=acting_user, action=AuditAction.MEMBERSHIP_DEACTIVATE,
                 target=membership, principal=membership.user, before={"active": True},
                 after={"active": False})  # fmt: skip
    return membership


@transaction.atomic
def membership_reactivate(*, membership: Membership, acting_user) -> Membership:
    """Give a deactivated member back everything they held (their role, workspace roles and teams)."""
    organization = membership.organization
    access = Access.for_user(acting_user, organization)
    _check_may_switch(membership=membership, acting_user=acting_user, access=access)
    membership = locked_membership(membership)
    if membership.deactivated_at is None:
        return membership
    membership.deactivated_at = None
    membership.save(update_fields=["deactivated_at"])
    sync_organization_permissions(organization, user_ids=[membership.user_id])
    sync_workspaces_of_user(membership.user, organization)
    audit_record(organization=organization, acting_user=acting_user, action=AuditAction.MEMBERSHIP_REACTIVATE,
                 target=membership, principal=membership.user, before={"active": False},
                 after={"active": True})  # fmt: skip
    return membership
