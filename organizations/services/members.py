"""Members of an organization and their organization roles.

The one rule of role changes: nobody changes their own role, grants (or takes away) a role above
their own, or makes an Owner unless they are one; an organization always keeps an Owner.
"""

from django.db import IntegrityError, transaction

from ..access import Access
from ..audit import AuditAction, audit_record
from ..errors import ConflictError, InvalidError, NotFoundError, PermissionDeniedError, TargetDeniedError
from ..models import Membership, Organization
from ..permission_sync import sync_organization_permissions
from ..roles import MANAGE_MEMBERS, ORGANIZATION_ROLES, TRANSFER_OWNERSHIP, OrganizationRoleKey

MANAGE_MEMBERS_PERMISSION = f"organizations.{MANAGE_MEMBERS}"


def lock_owners(organization_id) -> None:
    """Serialize changes that can affect an organization's Owners (two Owners demoting each other at
    once must not leave none): every such change locks the organization row first."""
    Organization.objects.select_for_update().filter(pk=organization_id).first()


def owner_count(organization: Organization) -> int:
    """The organization's active Owners (a deactivated Owner cannot act, so does not count)."""
    return (
        Membership.objects.active().filter(organization=organization, role=OrganizationRoleKey.OWNER).count()
    )


def is_last_owner(membership: Membership) -> bool:
    """Is this the organization's only active Owner (whom nothing may take away)?"""
    return (
        membership.role == OrganizationRoleKey.OWNER
        and membership.deactivated_at is None
        and owner_count(membership.organization) <= 1
    )


def check_may_grant(*, access: Access, role: str, target_user=None) -> None:
    """Refuse unless `access`'s user may give `role` (to `target_user`, if someone in particular)."""
    if role not in ORGANIZATION_ROLES:
        raise InvalidError("Choose one of the organization roles.", field="role")
    if target_user is not None and target_user.pk == access.user.pk:
        raise TargetDeniedError("You cannot change your own role. Ask another Owner or Admin.")
    if role == OrganizationRoleKey.OWNER and target_user is not None and target_user.is_service_account:
        raise TargetDeniedError("A service account cannot be an Owner: an Owner must be able to sign in.")
    if role == OrganizationRoleKey.OWNER and access.membership.role != OrganizationRoleKey.OWNER:
        raise TargetDeniedError("Only Owners can make someone an Owner.")
    if not access.may_grant_organization_role(role):
        raise TargetDeniedError(
            f"You cannot grant a role above your own ({access.membership.organization_role.label})."
        )


def locked_membership(membership: Membership) -> Membership:
    """The membership re-read under a row lock; NotFoundError if it is gone meanwhile (someone else
    removed it a moment earlier)."""
    locked = (
        Membership.objects.select_for_update(of=("self",))
        .select_related("organization", "user")
        .filter(pk=membership.pk)
        .first()
    )
    if locked is None:
        raise NotFoundError(f"{membership.user.get_full_name()} is no longer a member.")
    return locked


@transaction.atomic
def membership_add(
    *,
    organization: Organization,
    user,
    role: str,
    acting_user,
    provisioned_by_scim: bool = False,
    scim_external_id: str = "",
) -> Membership:
    """Add an existing user to the organization directly (the admin panel, demo data and identity
    providers through SCIM do; people usually join through an invitation)."""
    access = Access.for_user(acting_user, organization)
    access.require(MANAGE_MEMBERS_PERMISSION)
    check_may_grant(access=access, role=role)
    try:
        with transaction.atomic():
            membership = Membership.objects.create(
                organization=organization,
                user=user,
                role=role,
                provisioned_by_scim=provisioned_by_scim,
                scim_external_id=scim_external_id,
            )
    except IntegrityError as error:
        raise ConflictError(f"{user.email} is already a member of {organization.name}.") from error
    sync_organization_permissions(organization, user_ids=[user.pk])
    after = {"user": user.email, "role": role}
    if provisioned_by_scim:
        after |= {"provisioned_by_scim": True, "scim_external_id": scim_external_id}
    audit_record(
        organization=organization,
        acting_user=acting_user,
        action=AuditAction.MEMBERSHIP_CREATE,
        target=membership,
        principal=user,
        after=after,
    )
    return membership


@transaction.atomic
def membership_change_role(*, membership: Membership, role: str, acting_user) -> Membership:
    organization = membership.organization
    access = Access.for_user(acting_user, organization)
    access.require(MANAGE_MEMBERS_PERMISSION)
    if role not in ORGANIZATION_ROLES:
        raise InvalidError("Choose one of the organization roles.", field="role")
    lock_owners(membership.organization_id)
    membership = locked_membership(membership)
    if membership.role == role:
        return membership
    check_may_grant(access=access, role=role, target_user=membership.user)
    if not access.may_grant_organization_role(membership.role):
        raise TargetDeniedError("You cannot change the role of someone above you.")
    if is_last_owner(membership):
        raise ConflictError("An organization needs at least one Owner: make someone else Owner first.")
    before = membership.role
    membership.role = role
    membership.save(update_fields=["role"])
    sync_organization_permissions(organization, user_ids=[membership.user_id])
    audit_record(
        organization=organization,
        acting_user=acting_user,
        action=AuditAction.MEMBERSHIP_ROLE_CHANGE,
        target=membership,
        principal=membership.user,
        before={"role": before},
        after={"role": role},
    )
    return membership


@transaction.atomic
def ownership_transfer(*, organization: Organization, to_membership: Membership, acting_user) -> None:
    """Make another member Owner and step down to Admin."""
    Access.for_user(acting_user, organization).require(
        f"organizations.{TRANSFER_OWNERSHIP}", message="Only an Owner can transfer ownership."
    )
    lock_owners(organization.pk)
    acting = (
        Membership.objects.select_for_update(of=("self",))
        .filter(organization=organization, user=acting_user)
        .first()
    )
    if acting is None or acting.role != OrganizationRoleKey.OWNER:  # demoted or gone while waiting
        raise PermissionDeniedError("Only an Owner can transfer ownership.")
    if to_membership.organization_id != organization.pk:
        raise NotFoundError("No such member.")
    target = locked_membership(to_membership)
    if target.pk == acting.pk:
        raise ConflictError("You are already an Owner.")
    if target.user.is_service_account:  # an organization needs an Owner who can sign in
        raise TargetDeniedError("A service account cannot own the organization.")
    before = {"owner": acting_user.email, "new_owner_role": target.role}
    target.role = OrganizationRoleKey.OWNER
    target.save(update_fields=["role"])
    acting.role = OrganizationRoleKey.ADMIN
    acting.save(update_fields=["role"])
    sync_organization_permissions(organization, user_ids=[acting.user_id, target.user_id])
    audit_record(
        organization=organization,
        acting_user=acting_user,
        action=AuditAction.ORGANIZATION_TRANSFER_OWNERSHIP,
        target=organization,
        principal=target.user,
        before=before,
        after={"owner": target.user.email, "previous_owner_role": OrganizationRoleKey.ADMIN},
    )
