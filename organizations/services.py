"""Every change to organizations, their members and their dimensions: one function per action.

Each function is atomic and writes its audit event in the same transaction.
"""

import hashlib
import re
import secrets
from dataclasses import dataclass
from datetime import timedelta

from django.core.exceptions import PermissionDenied, ValidationError
from django.core.validators import validate_email
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.text import slugify

from .access import Access
from .audit import audit_record
from .dimensions import DEFAULT_DIMENSIONS
from .models import Dimension, DimensionValue, Invitation, InvitationStatus, Membership, Organization, Team
from .permission_sync import sync_organization_permissions
from .roles import MANAGE_MEMBERS, ORGANIZATION_ROLES, OrganizationRoleKey

RESERVED_ORGANIZATION_SLUGS = frozenset({"new", "settings", "api", "admin"})


def _available_organization_slug(name: str) -> str:
    base = slugify(name)[:50].strip("-") or "org"
    if base in RESERVED_ORGANIZATION_SLUGS:
        base = f"{base}-org"
    slug, n = base, 1
    while Organization.objects.filter(slug=slug).exists():
        n += 1
        slug = f"{base}-{n}"
    return slug


def dimensions_create_defaults(*, organization: Organization) -> None:
    for position, (key, name, values) in enumerate(DEFAULT_DIMENSIONS):
        dimension = Dimension.objects.create(organization=organization, key=key, name=name, position=position)
        DimensionValue.objects.bulk_create(
            DimensionValue(dimension=dimension, value=value, label=label, color=color, position=i)
            for i, (value, label, color) in enumerate(values)
        )


@transaction.atomic
def organization_create(*, name: str, acting_user, description: str = "") -> Organization:
    """Create an organization whose Owner is `acting_user`, with the default dimensions."""
    for _attempt in range(5):
        try:
            with transaction.atomic():  # a savepoint: a slug taken meanwhile only retries this insert
                organization = Organization.objects.create(
                    name=name.strip(), slug=_available_organization_slug(name), description=description
                )
            break
        except IntegrityError:
            continue
    else:
        raise RuntimeError("Could not find a free URL key for the organization.")
    Membership.objects.create(organization=organization, user=acting_user, role=OrganizationRoleKey.OWNER)
    dimensions_create_defaults(organization=organization)
    sync_organization_permissions(organization, user_ids=[acting_user.pk])
    audit_record(
        organization=organization,
        acting_user=acting_user,
        action="organization.create",
        target=organization,
        after={"name": organization.name, "slug": organization.slug},
    )
    return organization


@transaction.atomic
def membership_add(*, organization: Organization, user, role: str, acting_user) -> Membership:
    membership = Membership.objects.create(organization=organization, user=user, role=role)
    sync_organization_permissions(organization, user_ids=[user.pk])
    audit_record(
        organization=organization,
        acting_user=acting_user,
        action="membership.create",
        target=membership,
        after={"user": user.email, "role": role},
    )
    return membership


@transaction.atomic
def organization_update(
    *, organization: Organization, name: str, description: str, acting_user
) -> Organization:
    before = {"name": organization.name, "description": organization.description}
    organization.name, organization.description = name.strip(), description.strip()
    organization.save(update_fields=["name", "description"])
    after = {"name": organization.name, "description": organization.description}
    changed = {k for k in after if after[k] != before[k]}
    if changed:
        audit_record(
            organization=organization,
            acting_user=acting_user,
            action="organization.update",
            target=organization,
            before={k: before[k] for k in changed},
            after={k: after[k] for k in changed},
        )
    return organization


# --- Members and organization roles -------------------------------------------------------------


def _lock_owners(organization_id) -> None:
    """Serialize changes that can affect an organization's Owners (two Owners demoting each other at
    once must not leave none): every such change locks the organization row first."""
    Organization.objects.select_for_update().filter(pk=organization_id).first()


def _owner_count(organization: Organization) -> int:
    return Membership.objects.filter(organization=organization, role=OrganizationRoleKey.OWNER).count()


def _check_may_grant(*, organization: Organization, acting_user, role: str, target_user=None) -> None:
    """The one rule of role changes: nobody changes their own role, grants above their own, or makes an
    Owner unless they are one."""
    access = Access.for_user(acting_user, organization)
    if not access.is_member:
        raise PermissionDenied("You are not a member of this organization.")
    acting = access.membership
    if target_user is not None and target_user.pk == acting_user.pk:
        raise ValidationError("You cannot change your own role. Ask another Owner or Admin.")
    if role == OrganizationRoleKey.OWNER and acting.role != OrganizationRoleKey.OWNER:
        raise ValidationError("Only Owners can make someone an Owner.")
    if not access.may_grant_organization_role(role):
        raise ValidationError(f"You cannot grant a role above your own ({acting.organization_role.label}).")


@transaction.atomic
def membership_change_role(*, membership: Membership, role: str, acting_user) -> Membership:
    if role not in ORGANIZATION_ROLES:
        raise ValidationError("Choose one of the organization roles.")
    _lock_owners(membership.organization_id)
    membership = Membership.objects.select_for_update(of=("self",)).get(pk=membership.pk)
    if membership.role == role:
        return membership
    organization = membership.organization
    _check_may_grant(
        organization=organization, acting_user=acting_user, role=role, target_user=membership.user
    )
    if not Access.for_user(acting_user, organization).may_grant_organization_role(membership.role):
        raise ValidationError("You cannot change the role of someone above you.")
    if membership.role == OrganizationRoleKey.OWNER and _owner_count(organization) <= 1:
        raise ValidationError("An organization needs at least one Owner: make someone else Owner first.")
    before = membership.role
    membership.role = role
    membership.save(update_fields=["role"])
    sync_organization_permissions(organization, user_ids=[membership.user_id])
    audit_record(
        organization=organization,
        acting_user=acting_user,
        action="membership.role_change",
        target=membership,
        before={"role": before},
        after={"role": role},
    )
    return membership


@transaction.atomic
def membership_remove(*, membership: Membership, acting_user) -> None:
    """Remove someone from the organization, with every role and team place they held in it."""
    from workspaces.models import WorkspaceRoleAssignment
    from workspaces.permission_sync import sync_workspaces_of_user

    _lock_owners(membership.organization_id)
    membership = (
        Membership.objects.select_for_update(of=("self",))
        .select_related("organization", "user")
        .get(pk=membership.pk)
    )
    organization, user = membership.organization, membership.user
    if membership.role == OrganizationRoleKey.OWNER and _owner_count(organization) <= 1:
        raise ValidationError("The last Owner cannot leave or be removed: make someone else Owner first.")
    leaving = user.pk == acting_user.pk
    if not leaving and not Access.for_user(acting_user, organization).may_grant_organization_role(
        membership.role
    ):
        raise ValidationError("You cannot remove someone above you.")
    assignments = WorkspaceRoleAssignment.objects.filter(workspace__organization=organization, user=user)
    workspace_roles = {
        a.workspace.slug: a.role_definition.label
        for a in assignments.select_related("workspace", "custom_role")
    }
    assignments.delete()
    teams = list(Team.objects.filter(organization=organization, members=user))
    for team in teams:
        team.members.remove(user)
    membership.delete()
    sync_organization_permissions(organization, user_ids=[user.pk])
    sync_workspaces_of_user(user, organization)
    audit_record(
        organization=organization,
        acting_user=acting_user,
        action="membership.leave" if user.pk == acting_user.pk else "membership.remove",
        target=user,
        target_type="membership",
        before={
            "user": user.email,
            "role": membership.role,
            "workspace_roles": workspace_roles,
            "teams": [team.name for team in teams],
        },
    )


@transaction.atomic
def ownership_transfer(*, organization: Organization, to_membership: Membership, acting_user) -> None:
    """Make another member Owner and step down to Admin."""
    acting = Membership.objects.select_for_update(of=("self",)).get(
        organization=organization, user=acting_user
    )
    if acting.role != OrganizationRoleKey.OWNER:
        raise PermissionDenied("Only an Owner can transfer ownership.")
    target = Membership.objects.select_for_update(of=("self",)).get(
        pk=to_membership.pk, organization=organization
    )
    if target.pk == acting.pk:
        raise ValidationError("You are already an Owner.")
    before = {"owner": acting_user.email, "new_owner_role": target.role}
    target.role = OrganizationRoleKey.OWNER
    target.save(update_fields=["role"])
    acting.role = OrganizationRoleKey.ADMIN
    acting.save(update_fields=["role"])
    sync_organization_permissions(organization, user_ids=[acting.user_id, target.user_id])
    audit_record(
        organization=organization,
        acting_user=acting_user,
        action="organization.transfer_ownership",
        target=organization,
        before=before,
        after={"owner": target.user.email, "previous_owner_role": OrganizationRoleKey.ADMIN},
    )


# --- Teams -----------------------------------------------------------------------------------------


def _team_snapshot(team: Team) -> dict:
    return {"name": team.name, "description": team.description, "role": team.role}


TEAM_ROLE_KEYS = frozenset(key for key, _ in Team._meta.get_field("role").choices)


def _check_team_role(*, organization: Organization, acting_user, role: str) -> None:
    """A team's organization role: one a team may hold (never Owner) and the acting user may grant."""
    if role not in TEAM_ROLE_KEYS:
        raise ValidationError({"role": "Choose one of the organization roles a team can hold."})
    _check_may_grant(organization=organization, acting_user=acting_user, role=role)
    _check_manages_members(organization=organization, acting_user=acting_user)


def _check_manages_members(*, organization: Organization, acting_user) -> None:
    """Organization roles are given by those who manage members, directly or through a team's role."""
    if not Access.for_user(acting_user, organization).can(f"organizations.{MANAGE_MEMBERS}"):
        raise ValidationError(
            "Only people who manage members can give organization roles, including through a team."
        )


def _check_may_manage_team_role(*, team: Team, acting_user) -> None:
    """Whoever changes who holds a team's organization role must hold at least that role themselves;
    otherwise a Manager could join an Admin team and become Admin."""
    if not team.role:
        return
    if not Access.for_user(acting_user, team.organization).may_grant_organization_role(team.role):
        raise ValidationError(
            f"{team.name} gives its members the organization role {team.get_role_display()}, "
            "which is above your own: only someone with that role can change it or its members."
        )
    _check_manages_members(organization=team.organization, acting_user=acting_user)


@transaction.atomic
def team_create(
    *, organization: Organization, name: str, description: str = "", role: str = "", acting_user
) -> Team:
    if role:
        _check_team_role(organization=organization, acting_user=acting_user, role=role)
    if Team.objects.filter(organization=organization, name__iexact=name.strip()).exists():
        raise ValidationError({"name": "A team with this name already exists."})
    try:
        with transaction.atomic():  # a savepoint: a concurrent create of the same name fails only here
            team = Team.objects.create(
                organization=organization, name=name.strip(), description=description.strip(), role=role
            )
    except IntegrityError as error:
        raise ValidationError({"name": "A team with this name already exists."}) from error
    audit_record(organization=organization, acting_user=acting_user, action="team.create", target=team,
                 after=_team_snapshot(team))  # fmt: skip
    return team


@transaction.atomic
def team_update(*, team: Team, name: str, description: str, role: str, acting_user) -> Team:
    organization = team.organization
    if role != team.role:
        _check_may_manage_team_role(team=team, acting_user=acting_user)
        if role:
            _check_team_role(organization=organization, acting_user=acting_user, role=role)
    if Team.objects.filter(organization=organization, name__iexact=name.strip()).exclude(pk=team.pk).exists():
        raise ValidationError({"name": "A team with this name already exists."})
    before = _team_snapshot(team)
    team.name, team.description, team.role = name.strip(), description.strip(), role
    try:
        with transaction.atomic():
            team.save(update_fields=["name", "description", "role"])
    except IntegrityError as error:
        raise ValidationError({"name": "A team with this name already exists."}) from error
    if before["role"] != role:
        sync_organization_permissions(organization, user_ids=list(team.members.values_list("pk", flat=True)))
    audit_record(organization=organization, acting_user=acting_user, action="team.update", target=team,
                 before=before, after=_team_snapshot(team))  # fmt: skip
    return team


@transaction.atomic
def team_delete(*, team: Team, acting_user) -> None:
    from workspaces.models import Workspace
    from workspaces.permission_sync import sync_workspace_permissions
    from workspaces.services import team_workspace_roles_check

    _check_may_manage_team_role(team=team, acting_user=acting_user)
    team_workspace_roles_check(team=team, acting_user=acting_user)
    organization = team.organization
    member_ids = list(team.members.values_list("pk", flat=True))
    workspaces = list(Workspace.objects.filter(role_assignments__team=team).distinct())
    roles = {
        a.workspace.slug: a.role_definition.label
        for a in team.workspace_roles.select_related("workspace", "custom_role")
    }
    snapshot = _team_snapshot(team) | {"members": len(member_ids), "workspace_roles": roles}
    audit_record(organization=organization, acting_user=acting_user, action="team.delete", target=team,
                 before=snapshot)  # fmt: skip
    team.delete()
    sync_organization_permissions(organization, user_ids=member_ids)
    for workspace in workspaces:
        sync_workspace_permissions(workspace)


@transaction.atomic
def team_member_add(*, team: Team, user, acting_user) -> None:
    from workspaces.permission_sync import sync_workspaces_of_team
    from workspaces.services import team_workspace_roles_check

    if not Membership.objects.filter(organization=team.organization, user=user).exists():
        raise ValidationError("Only members of the organization can join its teams.")
    _check_may_manage_team_role(team=team, acting_user=acting_user)
    team_workspace_roles_check(team=team, acting_user=acting_user)
    if team.members.filter(pk=user.pk).exists():
        raise ValidationError(f"{user.email} is already in {team.name}.")
    team.members.add(user)
    sync_organization_permissions(team.organization, user_ids=[user.pk])
    sync_workspaces_of_team(team)
    audit_record(organization=team.organization, acting_user=acting_user, action="team.member_add", target=team,
                 after={"user": user.email})  # fmt: skip


@transaction.atomic
def team_member_remove(*, team: Team, user, acting_user) -> None:
    from workspaces.permission_sync import sync_workspaces_of_team

    if user.pk != acting_user.pk:  # leaving a team oneself is always allowed
        from workspaces.services import team_workspace_roles_check

        _check_may_manage_team_role(team=team, acting_user=acting_user)
        team_workspace_roles_check(team=team, acting_user=acting_user)
    team.members.remove(user)
    sync_organization_permissions(team.organization, user_ids=[user.pk])
    sync_workspaces_of_team(team)
    audit_record(organization=team.organization, acting_user=acting_user, action="team.member_remove", target=team,
                 before={"user": user.email})  # fmt: skip


# --- Invitations -----------------------------------------------------------------------------------

INVITATION_LIFETIME = timedelta(days=7)


def invitation_token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def _invitation_send(invitation: Invitation, token: str) -> None:
    """Mail the invitation after the transaction commits (nothing is sent for a rolled-back one)."""
    from django.conf import settings
    from django.core.mail import send_mail
    from django.template.loader import render_to_string
    from django.urls import reverse

    link = settings.ATRIUM_BASE_URL + reverse("invitation_accept", args=[token])
    context = {"invitation": invitation, "link": link, "inviter": invitation.invited_by}
    subject = f"Join {invitation.organization.name} on Atrium"
    body = render_to_string("organizations/invitation_email.txt", context)
    transaction.on_commit(lambda: send_mail(subject, body, None, [invitation.email]))


def _invitation_issue(invitation: Invitation) -> str:
    token = secrets.token_urlsafe(32)
    invitation.token_hash = invitation_token_hash(token)
    invitation.expires_at = timezone.now() + INVITATION_LIFETIME
    invitation.last_sent_at = timezone.now()
    invitation.send_count += 1
    return token


def _check_invited_workspace_roles(*, organization: Organization, acting_user, grants) -> None:
    from workspaces.models import Workspace
    from workspaces.services import workspace_role_grant_check

    for grant in grants:
        workspace = (
            Workspace.objects.live().filter(organization=organization, pk=grant.get("workspace")).first()
        )
        if workspace is None:
            raise ValidationError("That workspace does not exist in this organization.")
        workspace_role_grant_check(workspace=workspace, acting_user=acting_user, role=grant.get("role", ""))


@transaction.atomic
def invitation_create(
    *, organization: Organization, email: str, role: str, acting_user, workspace_roles: list[dict] = ()
) -> Invitation:
    """Invite `email` with an organization role (and optionally workspace roles); mails the link."""
    email = email.strip().lower()
    validate_email(email)
    _check_may_grant(organization=organization, acting_user=acting_user, role=role)
    _check_invited_workspace_roles(organization=organization, acting_user=acting_user, grants=workspace_roles)
    if Membership.objects.filter(organization=organization, user__email__iexact=email).exists():
        raise ValidationError(f"{email} is already a member of {organization.name}.")
    pending = Invitation.objects.filter(organization=organization, email__iexact=email, status="pending")
    for stale in pending:  # an expired invitation makes room for a new one
        if stale.effective_status == InvitationStatus.EXPIRED:
            Invitation.objects.filter(pk=stale.pk).update(status=InvitationStatus.EXPIRED)
        else:
            raise ValidationError(f"{email} already has a pending invitation. Resend it instead.")
    invitation = Invitation(
        organization=organization,
        email=email,
        role=role,
        workspace_roles=list(workspace_roles),
        invited_by=acting_user,
    )
    token = _invitation_issue(invitation)
    try:
        with transaction.atomic():  # a double submit races to the one-pending-per-address constraint
            invitation.save()
    except IntegrityError as error:
        raise ValidationError(f"{email} already has a pending invitation. Resend it instead.") from error
    audit_record(organization=organization, acting_user=acting_user, action="invitation.create", target=invitation,
                 after={"email": email, "role": role, "workspace_roles": list(workspace_roles)})  # fmt: skip
    _invitation_send(invitation, token)
    return invitation


@dataclass
class BulkInviteResult:
    invited: list[Invitation]
    errors: list[tuple[str, str]]  # (the line as typed, what is wrong with it)


BULK_INVITE_LIMIT = 500


def bulk_invite_address(entry: str) -> str:
    """The address in one bulk-invite entry: "ada@example.com" or "Ada Lovelace <ada@example.com>"."""
    named = re.fullmatch(r".*<([^<>]+)>\s*", entry)
    return (named.group(1) if named else entry).strip().lower()


def invitation_create_bulk(
    *, organization: Organization, lines: str, role: str, acting_user
) -> BulkInviteResult:
    """Invite every address in `lines` (one per line, or separated by commas or semicolons).

    Each good address is invited in its own transaction; each bad one is reported with its reason.
    """
    result = BulkInviteResult(invited=[], errors=[])
    seen = set()
    entries = [entry.strip() for entry in re.split(r"[\n,;]+", lines) if entry.strip()]
    if len(entries) > BULK_INVITE_LIMIT:
        raise ValidationError(f"Invite at most {BULK_INVITE_LIMIT} addresses at once.")
    for raw in entries:
        address = bulk_invite_address(raw)
        if address in seen:
            result.errors.append((raw, "This address appears twice; it was invited once."))
            continue
        seen.add(address)
        try:
            result.invited.append(
                invitation_create(
                    organization=organization, email=address, role=role, acting_user=acting_user
                )
            )
        except ValidationError as error:
            message = " ".join(error.messages)
            if message == "Enter a valid email address.":
                message = "This is not a valid e-mail address."
            result.errors.append((raw, message))
    return result


@transaction.atomic
def invitation_resend(*, invitation: Invitation, acting_user) -> Invitation:
    invitation = Invitation.objects.select_for_update(of=("self",)).get(pk=invitation.pk)
    if invitation.status != InvitationStatus.PENDING:
        raise ValidationError("Only pending invitations can be resent.")
    token = _invitation_issue(invitation)  # a new link, valid for 7 more days; the old link stops working
    invitation.save(update_fields=["token_hash", "expires_at", "last_sent_at", "send_count"])
    audit_record(organization=invitation.organization, acting_user=acting_user, action="invitation.resend",
                 target=invitation, after={"email": invitation.email})  # fmt: skip
    _invitation_send(invitation, token)
    return invitation


@transaction.atomic
def invitation_revoke(*, invitation: Invitation, acting_user) -> Invitation:
    invitation = Invitation.objects.select_for_update(of=("self",)).get(pk=invitation.pk)
    if invitation.status != InvitationStatus.PENDING:
        raise ValidationError("Only pending invitations can be revoked.")
    invitation.status = InvitationStatus.REVOKED
    invitation.save(update_fields=["status"])
    audit_record(organization=invitation.organization, acting_user=acting_user, action="invitation.revoke",
                 target=invitation, before={"status": "pending"}, after={"status": "revoked"})  # fmt: skip
    return invitation


def invitation_for_token(token: str) -> Invitation | None:
    return (
        Invitation.objects.select_related("organization", "invited_by")
        .filter(token_hash=invitation_token_hash(token))
        .first()
    )


@transaction.atomic
def invitation_accept(*, invitation: Invitation, user) -> Membership:
    """Join the organization (and the invited workspaces) as `user`, whose e-mail must match."""
    from workspaces.models import Workspace
    from workspaces.services import workspace_role_assign

    invitation = (
        Invitation.objects.select_for_update(of=("self",))
        .select_related("organization")
        .get(pk=invitation.pk)
    )
    if invitation.effective_status != InvitationStatus.PENDING:
        raise ValidationError(f"This invitation is {invitation.get_effective_status_display().lower()}.")
    if user.email.lower() != invitation.email.lower():
        raise ValidationError(
            f"This invitation is for {invitation.email}, but you are logged in as {user.email}. "
            "Log out and open the link again."
        )
    organization = invitation.organization
    membership, created = Membership.objects.get_or_create(
        organization=organization, user=user, defaults={"role": invitation.role}
    )
    sync_organization_permissions(organization, user_ids=[user.pk])
    skipped = []
    for grant in invitation.workspace_roles:
        # Through the one role service, on the inviter's behalf: the grant is re-checked and audited now.
        workspace = (
            Workspace.objects.live().filter(organization=organization, pk=grant.get("workspace")).first()
        )
        if workspace is None or invitation.invited_by is None:
            skipped.append(grant)
            continue
        try:
            with transaction.atomic():
                workspace_role_assign(
                    workspace=workspace,
                    user=user,
                    role=grant.get("role", ""),
                    acting_user=invitation.invited_by,
                )
        except ValidationError:
            skipped.append(grant)
    invitation.status = InvitationStatus.ACCEPTED
    invitation.accepted_by, invitation.accepted_at = user, timezone.now()
    invitation.save(update_fields=["status", "accepted_by", "accepted_at"])
    audit_record(organization=organization, acting_user=user, action="invitation.accept", target=invitation,
                 after={"email": user.email, "role": membership.role, "joined": created,
                        "workspace_roles_skipped": skipped})  # fmt: skip
    return membership
