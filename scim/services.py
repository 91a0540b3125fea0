"""SCIM provisioning: the organization's SCIM tokens, and what an identity provider does with one.

Token writes need the organization's `manage_members` (a SCIM token creates and removes members) and
are audited in the same transaction; a token is shown once, and only its hash is kept.

Provisioning goes through the services the pages use (`membership_add`, `membership_remove`,
`membership_deactivate`, `team_create`, `team_member_add`, …), acting as the token's creator, so
the same permissions, invariants and audit apply; the audit trail names the token as the actor
(`organizations.audit.audit_credential`, set by the SCIM views).
"""

from dataclasses import dataclass
from datetime import timedelta

from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import transaction
from django.utils import timezone

from governance.services import (
    membership_deactivate,
    membership_reactivate,
    membership_remove,
    team_delete,
    team_member_add,
    team_member_remove,
)
from organizations.access import Access
from organizations.audit import AuditAction, audit_record
from organizations.errors import ConflictError, InvalidError, PermissionDeniedError, TargetDeniedError
from organizations.models import Membership, Organization, Team
from organizations.roles import MANAGE_MEMBERS, ORGANIZATION_ROLES, OrganizationRoleKey
from organizations.services import membership_add, team_create, team_update
from organizations.services.teams import check_may_manage_team

from .models import ScimToken
from .tokens import scim_token_generate, scim_token_hash, scim_token_hint

__all__ = [
    "scim_group_create",
    "scim_group_delete",
    "scim_group_update",
    "scim_token_create",
    "scim_token_revoke",
    "scim_token_use",
    "scim_user_create",
    "scim_user_remove",
    "scim_user_update",
]

MANAGE_MEMBERS_PERMISSION = f"organizations.{MANAGE_MEMBERS}"
# A token's last use is written at most this often (per address), so that reads stay reads.
LAST_USED_RESOLUTION = timedelta(minutes=1)


class ScimTokenRefused(Exception):
    """The presented token does not authenticate; `message` says why (for the 401 answer)."""

    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


# Tokens ------------------------------------------------------------------------------------------


@transaction.atomic
def scim_token_create(*, organization: Organization, name: str, acting_user) -> tuple[ScimToken, str]:
    """A new SCIM token for the organization; returns it with the token itself (shown once)."""
    Access.for_user(acting_user, organization).require(MANAGE_MEMBERS_PERMISSION)
    name = name.strip()
    if not name:
        raise InvalidError("Name the token after the identity provider that will use it.", field="name")
    if len(name) > ScimToken._meta.get_field("name").max_length:
        raise InvalidError("A name can be at most 100 characters long.", field="name")
    secret = scim_token_generate()
    token = ScimToken.objects.create(
        organization=organization,
        name=name,
        token_hash=scim_token_hash(secret),
        hint=scim_token_hint(secret),
        created_by=acting_user,
    )
    audit_record(organization=organization, acting_user=acting_user, action=AuditAction.SCIM_TOKEN_CREATE,
                 target=token, after={"name": name, "hint": token.hint})  # fmt: skip
    return token, secret


@transaction.atomic
def scim_token_revoke(*, token: ScimToken, acting_user) -> ScimToken:
    """Revoke a SCIM token: its next call answers 401. Revoking a revoked token changes nothing."""
    Access.for_user(acting_user, token.organization).require(MANAGE_MEMBERS_PERMISSION)
    token = ScimToken.objects.select_for_update().select_related("organization").get(pk=token.pk)
    if token.revoked_at is None:
        token.revoked_at = timezone.now()
        token.save(update_fields=["revoked_at"])
        audit_record(organization=token.organization, acting_user=acting_user,
                     action=AuditAction.SCIM_TOKEN_REVOKE, target=token,
                     before={"name": token.name, "hint": token.hint})  # fmt: skip
    return token


def scim_token_use(secret: str, *, ip_address: str | None) -> ScimToken:
    """The token `secret` stands for, if it may act now, with its organization and creator loaded;
    records its last use. Raises ScimTokenRefused for an unknown or revoked token, and for one whose
    creator no longer manages the organization's members (it acts with their permissions)."""
    token = (
        ScimToken.objects.select_related("organization", "created_by").filter(
            token_hash=scim_token_hash(secret)
        )
    ).first()
    if token is None:
        raise ScimTokenRefused("Bad credentials: no such SCIM token.")
    if token.revoked_at is not None:
        raise ScimTokenRefused("This SCIM token was revoked.")
    creator = token.created_by
    if creator is None or not Access.for_user(creator, token.organization).can(MANAGE_MEMBERS_PERMISSION):
        raise ScimTokenRefused(
            "The person who created this SCIM token no longer manages the organization's members: "
            "an Owner or Admin must create a new one."
        )
    now = timezone.now()
    if (
        token.last_used_at is None
        or now - token.last_used_at >= LAST_USED_RESOLUTION
        or (token.last_used_ip != ip_address)
    ):
        ScimToken.objects.filter(pk=token.pk).update(last_used_at=now, last_used_ip=ip_address)
        token.last_used_at, token.last_used_ip = now, ip_address
    return token


# Users (members) ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class UserChanges:
    """What an identity provider asked to change of a user; None: leave as it is."""

    user_name: str | None = None
    display_name: str | None = None
    external_id: str | None = None
    active: bool | None = None


def _clean_email(user_name: str) -> str:
    email = (user_name or "").strip().lower()
    try:
        validate_email(email)
    except ValidationError as error:
        raise InvalidError("userName must be the person's e-mail address.", field="userName") from error
    return email


def _check_not_creator(membership: Membership, acting_user) -> None:
    """The token acts as its creator: letting it remove them would read as them leaving, and they
    would lose the very permission the token needs."""
    if membership.user_id == acting_user.pk:
        raise TargetDeniedError(
            "This is the person who created the SCIM token: a SCIM token cannot deactivate or remove "
            "them. Have another Owner or Admin create the token."
        )


@transaction.atomic
def scim_user_create(
    *,
    organization: Organization,
    user_name: str,
    display_name: str,
    external_id: str,
    active: bool,
    acting_user,
) -> Membership:
    """Add the person with this e-mail address (`userName`) to the organization as a Member marked
    provisioned by SCIM, creating their account if Atrium has none (it has no password: they set one
    with the password reset, or sign in however the site allows). ConflictError if they already are a
    member: the identity provider should find them (`filter=userName eq …`) and update them instead."""
    email = _clean_email(user_name)
    User = get_user_model()
    user = User.objects.filter(email__iexact=email).first()
    if user is not None and Membership.objects.filter(organization=organization, user=user).exists():
        raise ConflictError(f"{email} is already a member of {organization.name}.", field="userName")
    if user is not None and user.is_service_account:
        raise ConflictError("That address belongs to a service account.", field="userName")
    if user is None:
        Access.for_user(acting_user, organization).require(MANAGE_MEMBERS_PERMISSION)
        user = User.objects.create_user(email=email, display_name=(display_name or "").strip()[:150])
    membership = membership_add(
        organization=organization,
        user=user,
        role=OrganizationRoleKey.MEMBER,
        acting_user=acting_user,
        provisioned_by_scim=True,
        scim_external_id=(external_id or "")[:255],
    )
    if not active:
        membership = membership_deactivate(membership=membership, acting_user=acting_user)
    return membership


@transaction.atomic
def scim_user_update(*, membership: Membership, changes: UserChanges, acting_user) -> Membership:
    """Apply what the identity provider sent. The person's name and address are changed only when this
    organization is the only one they belong to (an identity provider speaks for its organization, not
    for the person's other ones); the address, with which one signs in and resets a password, only
    moreover of someone below the token creator's own role and without site-wide powers (otherwise a
    new address would hand their account over). `active` deactivates or reactivates the membership.
    The membership is marked provisioned by SCIM from then on."""
    organization = membership.organization
    access = Access.for_user(acting_user, organization)
    access.require(MANAGE_MEMBERS_PERMISSION)
    if not access.may_grant_organization_role(membership.role):
        raise TargetDeniedError("You cannot change someone above you.")
    user = membership.user
    before, after = {}, {}
    only_here = not Membership.objects.filter(user=user).exclude(organization=organization).exists()
    # An account this organization's identity provider made and nobody has used yet: changing the
    # address of any other would let the provider take it over (a password reset to the new address).
    address_is_ours = (
        only_here
        and membership.provisioned_by_scim
        and user.last_login is None
        and not user.has_usable_password()
        and not (user.is_staff or user.is_superuser)
        and membership.organization_role.rank < access.membership.organization_role.rank
    )
    if changes.user_name is not None and address_is_ours:
        email = _clean_email(changes.user_name)
        if email != user.email:
            if get_user_model().objects.filter(email__iexact=email).exclude(pk=user.pk).exists():
                raise ConflictError(f"Another account already uses {email}.", field="userName")
            before["email"], after["email"] = user.email, email
            user.email = email
    if changes.display_name is not None and only_here:
        name = changes.display_name.strip()[:150]
        if name != user.display_name:
            before["display_name"], after["display_name"] = user.display_name, name
            user.display_name = name
    if after:
        user.save(update_fields=[field for field in ("email", "display_name") if field in after])
    if changes.external_id is not None and changes.external_id[:255] != membership.scim_external_id:
        before["scim_external_id"] = membership.scim_external_id
        after["scim_external_id"] = membership.scim_external_id = changes.external_id[:255]
    if not membership.provisioned_by_scim:
        before["provisioned_by_scim"], after["provisioned_by_scim"] = False, True
        membership.provisioned_by_scim = True
    if after:
        membership.save(update_fields=["scim_external_id", "provisioned_by_scim"])
        audit_record(organization=organization, acting_user=acting_user,
                     action=AuditAction.MEMBERSHIP_PROVISIONING_UPDATE, target=membership, principal=user,
                     before=before, after=after)  # fmt: skip
    if changes.active is False and membership.deactivated_at is None:
        _check_not_creator(membership, acting_user)
        membership = membership_deactivate(membership=membership, acting_user=acting_user)
    elif changes.active is True and membership.deactivated_at is not None:
        membership = membership_reactivate(membership=membership, acting_user=acting_user)
    return membership


@transaction.atomic
def scim_user_remove(*, membership: Membership, acting_user) -> None:
    """Remove the member from the organization, with every role and team place they held in it."""
    _check_not_creator(membership, acting_user)
    membership_remove(membership=membership, acting_user=acting_user)


# Groups (teams) ----------------------------------------------------------------------------------


def _members_of(organization: Organization, user_ids) -> list:
    """The users with these SCIM ids, each a member of the organization; InvalidError otherwise."""
    wanted = {str(user_id) for user_id in user_ids}
    memberships = Membership.objects.select_related("user").filter(
        organization=organization, user_id__in=[i for i in wanted if i.isdigit()]
    )
    found = {str(membership.user_id): membership.user for membership in memberships}
    missing = wanted - set(found)
    if missing:
        raise InvalidError(
            f"Only members of {organization.name} can join its teams; unknown: {', '.join(sorted(missing))}.",
            field="members",
        )
    return list(found.values())


def _check_team_provisionable(team: Team) -> None:
    """An identity provider gives no organization role above Member: not through a team either."""
    if team.role and ORGANIZATION_ROLES[team.role].rank > ORGANIZATION_ROLES[OrganizationRoleKey.MEMBER].rank:
        raise PermissionDeniedError(
            f"“{team.name}” makes its members organization {ORGANIZATION_ROLES[team.role].label}s: "
            "add people to it in Atrium, not through SCIM."
        )


@transaction.atomic
def scim_group_create(*, organization: Organization, display_name: str, member_ids, acting_user) -> Team:
    """A team named `display_name`, with these members (users of the organization, by SCIM id)."""
    team = team_create(organization=organization, name=display_name, acting_user=acting_user)
    for user in _members_of(organization, member_ids):
        team_member_add(team=team, user=user, acting_user=acting_user)
    return team


@transaction.atomic
def scim_group_update(
    *,
    team: Team,
    acting_user,
    display_name: str | None = None,
    member_ids=None,
    add_ids=(),
    remove_ids=(),
) -> Team:
    """Rename the team, and set (`member_ids`), add to or remove from its members. Adding someone
    already in the team, or removing someone not in it, changes nothing (identity providers retry)."""
    organization = team.organization
    # Asked first, so that a request that turns out to change nothing is refused all the same.
    check_may_manage_team(team=team, access=Access.for_user(acting_user, organization))
    team = Team.objects.get(pk=team.pk)
    if display_name is not None and display_name.strip() != team.name:
        team = team_update(team=team, name=display_name, description=team.description, role=team.role,
                           acting_user=acting_user)  # fmt: skip
    # Service accounts are not the identity provider's: a group it replaces keeps them in the team.
    current = {str(pk) for pk in team.members.filter(is_service_account=False).values_list("pk", flat=True)}
    if member_ids is not None:
        wanted = {str(pk) for pk in member_ids}
        add_ids, remove_ids = wanted - current, current - wanted
    joining = _members_of(organization, set(add_ids) - current)
    if joining:
        _check_team_provisionable(team)
    for user in joining:
        team_member_add(team=team, user=user, acting_user=acting_user)
    leaving = get_user_model().objects.filter(pk__in=[i for i in set(map(str, remove_ids)) & current])
    for user in leaving:
        team_member_remove(team=team, user=user, acting_user=acting_user)
    return team


def scim_group_delete(*, team: Team, acting_user) -> None:
    team_delete(team=team, acting_user=acting_user)
