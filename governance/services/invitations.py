"""Invitations that may carry workspace grants: creating them (one or many) and accepting them."""

import re
import uuid
from dataclasses import dataclass

from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import IntegrityError, transaction
from django.utils import timezone

from organizations.access import Access
from organizations.audit import AuditAction, audit_record
from organizations.errors import ConflictError, InvalidError, NotFoundError, PermissionDeniedError
from organizations.models import Invitation, InvitationStatus, Membership, Organization
from organizations.permission_sync import sync_organization_permissions
from organizations.roles import MANAGE_MEMBERS, OrganizationRoleKey
from organizations.services.invitation_links import invitation_link_withdraw
from organizations.services.invitation_mails import invitation_mail_check_throttle, invitation_mail_queue
from organizations.services.members import check_may_grant
from workspaces.models import Workspace, WorkspaceCustomRole
from workspaces.services import workspace_role_assign, workspace_role_grant_check

MANAGE_MEMBERS_PERMISSION = f"organizations.{MANAGE_MEMBERS}"


MAX_INVITED_WORKSPACE_ROLES = 50


def _invited_workspace(organization: Organization, grant) -> Workspace | None:
    """The live workspace of `organization` a grant names, or None (also for a malformed id)."""
    try:
        workspace_id = uuid.UUID(str(grant.get("workspace")))
    except (TypeError, ValueError, AttributeError):
        return None
    return Workspace.objects.live().filter(organization=organization, pk=workspace_id).first()


def invitation_grant_role(organization: Organization, grant) -> dict:
    """The role a grant names, as `role=`/`custom_role=` arguments of the workspace role services.

    A grant is `{"workspace": uuid, "role": key}` or, for a custom role, `{"workspace": uuid,
    "custom_role": id}`; a custom role of another organization (or gone since) is NotFoundError."""
    custom_role_id = grant.get("custom_role")
    if custom_role_id in (None, ""):
        return {"role": grant.get("role", "")}
    try:
        custom_role = WorkspaceCustomRole.objects.filter(
            organization=organization, pk=int(custom_role_id)
        ).first()
    except (TypeError, ValueError):
        custom_role = None
    if custom_role is None:
        raise NotFoundError("That custom role does not exist in this organization.")
    return {"role": "", "custom_role": custom_role}


def _check_invited_workspace_roles(*, organization: Organization, acting_user, grants) -> None:
    if len(grants) > MAX_INVITED_WORKSPACE_ROLES:
        raise InvalidError(f"An invitation can carry at most {MAX_INVITED_WORKSPACE_ROLES} workspace roles.")
    for grant in grants:
        workspace = _invited_workspace(organization, grant)
        if workspace is None:
            raise NotFoundError("That workspace does not exist in this organization.")
        workspace_role_grant_check(
            workspace=workspace, acting_user=acting_user, **invitation_grant_role(organization, grant)
        )


@transaction.atomic
def invitation_create(
    *, organization: Organization, email: str, role: str, acting_user, workspace_roles: list[dict] = ()
) -> Invitation:
    """Invite `email` with an organization role (and optionally workspace roles).

    The e-mail with the link is sent by a background task after the transaction commits; it is
    throttled (`organizations.services.invitation_mails`), and a throttled one refuses the invitation
    with ConflictError.
    """
    access = Access.for_user(acting_user, organization)
    access.require(MANAGE_MEMBERS_PERMISSION)
    check_may_grant(access=access, role=role)
    return _invitation_create(
        access=access, organization=organization, email=email, role=role, workspace_roles=workspace_roles
    )


def _invitation_create(
    *, access: Access, organization, email: str, role: str, workspace_roles=()
) -> Invitation:
    """`invitation_create` once the acting user may invite with `role` (asked once for a bulk invite)."""
    acting_user = access.user
    email = email.strip().lower()
    try:
        validate_email(email)
    except ValidationError as error:
        raise InvalidError("Enter a valid email address.", field="email") from error
    _check_invited_workspace_roles(organization=organization, acting_user=acting_user, grants=workspace_roles)
    invitation_mail_check_throttle(organization=organization, email=email)  # before anything is written
    if Membership.objects.filter(organization=organization, user__email__iexact=email).exists():
        raise ConflictError(f"{email} is already a member of {organization.name}.", field="email")
    pending = Invitation.objects.filter(organization=organization, email__iexact=email, status="pending")
    for stale in pending:  # an expired invitation makes room for a new one
        if stale.effective_status == InvitationStatus.EXPIRED:
            Invitation.objects.filter(pk=stale.pk).update(status=InvitationStatus.EXPIRED)
        else:
            raise ConflictError(
                f"{email} already has a pending invitation. Resend it instead.", field="email"
            )
    invitation = Invitation(
        organization=organization,
        email=email,
        role=role,
        workspace_roles=list(workspace_roles),
        invited_by=acting_user,
    )
    invitation_link_withdraw(invitation)  # no link works until the e-mail's task makes one
    try:
        with transaction.atomic():  # a double submit races to the one-pending-per-address constraint
            invitation.save()
    except IntegrityError as error:
        raise ConflictError(
            f"{email} already has a pending invitation. Resend it instead.", field="email"
        ) from error
    audit_record(organization=organization, acting_user=acting_user, action=AuditAction.INVITATION_CREATE,
                 target=invitation,
                 after={"email": email, "role": role, "workspace_roles": list(workspace_roles)})  # fmt: skip
    invitation_mail_queue(invitation, throttle_checked=True)
    return invitation


def invitation_create_for_workspace(
    *, workspace: Workspace, email: str, acting_user, role: str = "", custom_role=None
) -> Invitation:
    """Invite `email` into `workspace` with a workspace role (predefined or custom) from its Members page.

    It is an organization invitation with the lowest organization role (Member: they see only the
    workspaces where they hold a role) carrying this one workspace grant; the same rules as any
    invitation apply (who may invite, throttling, one pending invitation per address)."""
    grant = {"workspace": str(workspace.pk)}
    grant |= {"custom_role": custom_role.pk} if custom_role is not None else {"role": role}
    return invitation_create(
        organization=workspace.organization,
        email=email,
        role=OrganizationRoleKey.MEMBER,
        acting_user=acting_user,
        workspace_roles=[grant],
    )


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
    A refusal that concerns every line (no permission, a role above one's own) is raised instead.
    """
    access = Access.for_user(acting_user, organization)
    access.require(MANAGE_MEMBERS_PERMISSION)
    check_may_grant(access=access, role=role)
    result = BulkInviteResult(invited=[], errors=[])
    seen = set()
    entries = [entry.strip() for entry in re.split(r"[\n,;]+", lines) if entry.strip()]
    if len(entries) > BULK_INVITE_LIMIT:
        raise InvalidError(f"Invite at most {BULK_INVITE_LIMIT} addresses at once.", field="emails")
    for raw in entries:
        address = bulk_invite_address(raw)
        if address in seen:
            result.errors.append((raw, "This address appears twice; it was invited once."))
            continue
        seen.add(address)
        try:
            with transaction.atomic():  # each address on its own: a refused one leaves the others
                result.invited.append(
                    _invitation_create(access=access, organization=organization, email=address, role=role)
                )
        except (InvalidError, ConflictError) as error:
            message = error.message
            if message == "Enter a valid email address.":
                message = "This is not a valid e-mail address."
            result.errors.append((raw, message))
    return result


def _check_inviter_still_may_grant(invitation: Invitation) -> None:
    """The invitation grants its organization role on the inviter's behalf: refuse it when the inviter
    could no longer give that role today (removed, demoted, or no longer managing members)."""
    organization, inviter = invitation.organization, invitation.invited_by
    refusal = PermissionDeniedError(
        f"This invitation can no longer be accepted: the person who sent it can no longer give the role "
        f"{invitation.get_role_display()} in {organization.name}. Ask an admin of {organization.name} "
        "to send you a new invitation."
    )
    if inviter is None:
        raise refusal
    access = Access.for_user(inviter, organization)
    if not access.can(MANAGE_MEMBERS_PERMISSION) or not access.may_grant_organization_role(invitation.role):
        raise refusal


@transaction.atomic
def invitation_accept(*, invitation: Invitation, user) -> Membership:
    """Join the organization (and the invited workspaces) as `user`, whose e-mail must match.

    Accepting the same invitation twice at once joins once: the second answers ConflictError.
    """
    invitation = (
        Invitation.objects.select_for_update(of=("self",))
        .select_related("organization", "invited_by")
        .get(pk=invitation.pk)
    )
    if invitation.effective_status != InvitationStatus.PENDING:
        raise ConflictError(f"This invitation is {invitation.get_effective_status_display().lower()}.")
    if user.email.lower() != invitation.email.lower():
        raise PermissionDeniedError(
            f"This invitation is for {invitation.email}, but you are logged in as {user.email}. "
            "Log out and open the link again."
        )
    _check_inviter_still_may_grant(invitation)
    organization = invitation.organization
    membership, created = Membership.objects.get_or_create(
        organization=organization, user=user, defaults={"role": invitation.role}
    )
    sync_organization_permissions(organization, user_ids=[user.pk])
    skipped = []
    for grant in invitation.workspace_roles:
        # Through the one role service, on the inviter's behalf: the grant is re-checked and audited now.
        workspace = _invited_workspace(organization, grant)
        if workspace is None:
            skipped.append(grant)
            continue
        try:
            with transaction.atomic():
                workspace_role_assign(
                    workspace=workspace,
                    user=user,
                    **invitation_grant_role(organization, grant),
                    acting_user=user,
                    on_behalf_of=invitation.invited_by,
                )
        except (ValidationError, PermissionDeniedError, NotFoundError):
            skipped.append(grant)
    invitation.status = InvitationStatus.ACCEPTED
    invitation.accepted_by, invitation.accepted_at = user, timezone.now()
    invitation.save(update_fields=["status", "accepted_by", "accepted_at"])
    audit_record(organization=organization, acting_user=user, action=AuditAction.INVITATION_ACCEPT,
                 target=invitation, principal=user,
                 after={"email": user.email, "role": membership.role, "joined": created,
                        "workspace_roles_skipped": skipped})  # fmt: skip
    return membership
