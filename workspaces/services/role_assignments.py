"""Who holds which role on a workspace: giving, changing and removing role assignments.

The one grant rule (nobody grants above their own; on a protected workspace only its Admins and
organization Admins grant) is `Access.may_grant_workspace_role`, and the workspace's policies say which
roles may be granted at all (`Access.policy_allows_role`); every grant goes through `check_may_assign`,
the stepper's initial grants included. A role may be given until a date (`expires_on`): it then ends by
itself (`role_expiry.workspace_roles_expire`).
"""

import datetime

from django.db import IntegrityError, transaction
from django.utils import timezone

from organizations.access import Access
from organizations.audit import AuditAction, audit_record
from organizations.errors import ConflictError, InvalidError, NotFoundError, TargetDeniedError
from organizations.models import Membership, Team

from .. import onboarding
from ..models import Workspace, WorkspaceCustomRole, WorkspaceRoleAssignment
from ..permission_sync import sync_workspace_permissions
from ..roles import MANAGE_WORKSPACE_MEMBERS, WORKSPACE_ROLES
from .onboarding import onboarding_step_complete

MANAGE_MEMBERS_PERMISSION = f"workspaces.{MANAGE_WORKSPACE_MEMBERS}"


def role_definition(role: str = "", custom_role: WorkspaceCustomRole | None = None):
    if custom_role is not None:
        return custom_role
    if role not in WORKSPACE_ROLES:
        raise InvalidError("Choose one of the workspace roles.", field="role")
    return WORKSPACE_ROLES[role]


def check_may_assign(*, access: Access, workspace: Workspace, definition, user=None, team=None) -> None:
    """Refuse unless `access`'s user may give `definition` on `workspace` (to `user` or `team`)."""
    access.require(
        MANAGE_MEMBERS_PERMISSION,
        workspace,
        message=(
            f"{workspace.slug} is protected: only its Admins and organization Admins grant roles there."
            if access.is_protected(workspace)
            else ""
        ),
    )
    if user is not None and user.pk == access.user.pk:
        raise TargetDeniedError("You cannot change your own role. Ask another admin.")
    org_wide = access.workspace_permissions(workspace) is None
    # Changing (or taking away) the role of one's own team changes one's own access; giving one's team
    # its first role there cannot take anything from anyone, and the role is within one's own anyway.
    changes_own_team = (
        team is not None
        and not org_wide
        and team.members.filter(pk=access.user.pk).exists()
        and WorkspaceRoleAssignment.objects.filter(workspace=workspace, team=team).exists()
    )
    if changes_own_team:
        raise TargetDeniedError(
            f"You are in team {team.name}: changing its role would change your own. Ask another admin."
        )
    if not access.may_grant_workspace_role(definition, workspace):
        raise TargetDeniedError(f"You cannot grant a role above your own ({definition.label}).")
    if not access.policy_allows_role(definition, workspace):
        raise TargetDeniedError(
            f"The policies of {workspace.slug}'s labels do not allow granting {definition.label} there."
        )
    if (
        isinstance(definition, WorkspaceCustomRole)
        and definition.organization_id != workspace.organization_id
    ):
        raise NotFoundError("That role belongs to another organization.")


def workspace_role_grant_check(
    *, workspace: Workspace, acting_user, role: str = "", custom_role=None
) -> None:
    """Refuse unless `acting_user` may give this role on `workspace` (to someone else)."""
    check_may_assign(
        access=Access.for_user(acting_user, workspace.organization),
        workspace=workspace,
        definition=role_definition(role, custom_role),
    )


@transaction.atomic
def workspace_role_assign(
    *,
    workspace: Workspace,
    acting_user,
    user=None,
    team: Team | None = None,
    role: str = "",
    custom_role: WorkspaceCustomRole | None = None,
    on_behalf_of=None,
    expires_on: datetime.date | None = None,
) -> WorkspaceRoleAssignment:
    """Give a user or a team a role on a workspace, or change the role they hold there.

    With `expires_on`, the role holds until the end of that day (today or later), then ends by itself;
    None gives it for good. With `on_behalf_of`, the grant is made by that person's right (an
    invitation's inviter) and recorded as `acting_user`'s action (the invitee accepting it), naming the
    granter.
    """
    if (user is None) == (team is None):
        raise ValueError("Give exactly one of user or team.")
    if expires_on is not None and expires_on < timezone.localdate():
        raise InvalidError("Choose today or a later day for the role to end.", field="expires_on")
    access = Access.for_user(on_behalf_of or acting_user, workspace.organization)
    definition = role_definition(role, custom_role)
    check_may_assign(access=access, workspace=workspace, definition=definition, user=user, team=team)
    if (
        user is not None
        and not Membership.objects.filter(organization=workspace.organization, user=user).exists()
    ):
        raise InvalidError("Only members of the organization can get a role on its workspaces.")
    if team is not None and team.organization_id != workspace.organization_id:
        raise NotFoundError("That team belongs to another organization.")
    assignment = (
        WorkspaceRoleAssignment.objects.select_for_update(of=("self",))
        .filter(workspace=workspace, user=user, team=team)
        .select_related("custom_role")
        .first()
    )
    before = _snapshot(assignment) if assignment else {}
    if assignment is None:
        assignment = WorkspaceRoleAssignment(workspace=workspace, user=user, team=team)
    elif not access.may_grant_workspace_role(assignment.role_definition, workspace):
        raise TargetDeniedError("You cannot change the role of someone above you.")
    assignment.role = "" if custom_role else role
    assignment.custom_role = custom_role
    if assignment.expires_on != expires_on:
        assignment.expires_on, assignment.expiry_warned_at = expires_on, None
    try:
        with transaction.atomic():  # a savepoint: the same person added twice at once fails only here
            assignment.save()
    except IntegrityError as error:
        raise ConflictError(
            f"{user or team} was given a role on {workspace.slug} a moment ago: reload to see it."
        ) from error
    sync_workspace_permissions(workspace)
    others = WorkspaceRoleAssignment.objects.filter(workspace=workspace).exclude(user=workspace.created_by)
    if others.exists():
        onboarding_step_complete(workspace=workspace, key=onboarding.INVITE_TEAMMATE)
    audit_record(
        organization=workspace.organization,
        acting_user=acting_user,
        action=AuditAction.WORKSPACE_ROLE_CHANGE if before else AuditAction.WORKSPACE_ROLE_ASSIGN,
        target=workspace,
        principal=user or team,
        before=before,
        after=_snapshot(assignment)
        | ({"on_behalf_of": {"user": on_behalf_of.pk, "name": str(on_behalf_of)}} if on_behalf_of else {}),
    )
    return assignment


def _snapshot(assignment: WorkspaceRoleAssignment) -> dict:
    """An assignment as the audit trail records it: its role, and its end date if it has one."""
    snapshot = {"role": assignment.role_definition.label}
    if assignment.expires_on:
        snapshot["until"] = assignment.expires_on.isoformat()
    return snapshot


@transaction.atomic
def workspace_role_remove(*, assignment: WorkspaceRoleAssignment, acting_user, reason: str = "") -> None:
    """Take a role away (`reason`, if given, is recorded: an access review's). Removing one that another
    request removed a moment earlier answers NotFoundError (and records nothing twice)."""
    workspace = assignment.workspace
    access = Access.for_user(acting_user, workspace.organization)
    access.require(MANAGE_MEMBERS_PERMISSION, workspace)
    locked = (
        WorkspaceRoleAssignment.objects.select_for_update(of=("self",))
        .select_related("user", "team", "custom_role")
        .filter(pk=assignment.pk, workspace=workspace)
        .first()
    )
    if locked is None:
        raise NotFoundError(f"{assignment.principal} no longer has a role on {workspace.slug}.")
    definition = locked.role_definition
    if locked.user_id == acting_user.pk:
        raise TargetDeniedError("You cannot remove your own role. Ask another admin.")
    if not access.may_grant_workspace_role(definition, workspace):
        raise TargetDeniedError("You cannot remove someone whose role is above yours.")
    principal = locked.user or locked.team
    locked.delete()
    sync_workspace_permissions(workspace)
    audit_record(
        organization=workspace.organization,
        acting_user=acting_user,
        action=AuditAction.WORKSPACE_ROLE_REMOVE,
        target=workspace,
        principal=principal,
        before=_snapshot(locked),
        after={"reason": reason} if reason else {},
    )


def team_workspace_roles_check(*, team: Team, acting_user) -> None:
    """Changing who is in a team changes who holds its workspace roles: the acting user must be able to
    grant each of them, or a Manager could make themselves Admin of a workspace through a team."""
    access = Access.for_user(acting_user, team.organization)
    for assignment in WorkspaceRoleAssignment.objects.filter(team=team).select_related(
        "workspace", "custom_role"
    ):
        if not access.may_grant_workspace_role(assignment.role_definition, assignment.workspace):
            raise TargetDeniedError(
                f"Team {team.name} is {assignment.role_definition.label} of {assignment.workspace.slug}, "
                "a role above yours there: ask an admin of that workspace to change its members."
            )
