"""/api/v1/organizations/{org}/…: members, invitations, teams, workspace roles, role assignments and
the audit trail. Reads are gated as their pages are (the permission each page declares); writes
call the pages' services, which decide for themselves."""

from ninja import Field, Query, Router, Schema, Status

from governance.services import (
    invitation_create,
    membership_remove,
    team_delete,
    team_member_add,
    team_member_remove,
)
from organizations.cursors import Cursor, cursor_page
from organizations.errors import InvalidError, NotFoundError
from organizations.models import Invitation, Membership, Team
from organizations.roles import MANAGE_MEMBERS, VIEW_AUDIT_LOG
from organizations.selectors import (
    audit_event_list,
    invitation_list_history,
    invitation_list_pending,
    membership_list,
    team_list_for_organization,
    team_members,
)
from organizations.services import invitation_revoke, membership_change_role, team_create, team_update
from workspaces.models import WorkspaceCustomRole, WorkspaceRoleAssignment
from workspaces.selectors import workspace_list_for_user, workspace_role_options
from workspaces.services import (
    custom_role_create,
    custom_role_delete,
    workspace_role_assign,
    workspace_role_remove,
)

from ..representations import (
    audit_event_json,
    invitation_json,
    member_json,
    role_assignment_json,
    role_json,
    team_json,
)
from ..schemas import (
    AuditEventPage,
    InvitationCreateIn,
    InvitationOut,
    InvitationPage,
    MemberOut,
    MemberPage,
    MemberPatchIn,
    PageQuery,
    RoleAssignmentCreateIn,
    RoleAssignmentOut,
    RoleAssignmentPage,
    RoleCreateIn,
    RoleOut,
    TeamCreateIn,
    TeamDetailOut,
    TeamPage,
    TeamPatchIn,
)
from .common import ERRORS, WRITE_ERRORS, offset_page, organization_access, workspace_for

router = Router(tags=["organization members and access"])
READ_MEMBERS = "workspaces.read_members"


# --- Members ---------------------------------------------------------------------------------------


class MemberQuery(PageQuery):
    q: str = Field("", max_length=100, description="Part of a name or an e-mail address.")


def _membership(access, membership_id: int) -> Membership:
    membership = (
        Membership.objects.select_related("user", "organization")
        .filter(pk=membership_id, organization=access.organization)
        .first()
    )
    if membership is None:
        raise NotFoundError("No such member.")
    return membership


@router.get("/organizations/{org}/members", response={200: MemberPage, **ERRORS})
def member_list(request, org: str, query: Query[MemberQuery]):
    """The organization's members by e-mail (any member may read them, as on the members page)."""
    access = organization_access(request, org)
    rows = membership_list(organization=access.organization, search=query.q.strip())
    return offset_page(request, rows, offset=query.offset, limit=query.limit, to_json=member_json)


@router.patch("/organizations/{org}/members/{member_id}", response={200: MemberOut, **WRITE_ERRORS})
def member_patch(request, org: str, member_id: int, payload: MemberPatchIn):
    """Change a member's organization role (`owner`, `admin`, `manager`, `viewer`, `member`)."""
    access = organization_access(request, org)
    membership = membership_change_role(
        membership=_membership(access, member_id), role=payload.role, acting_user=request.auth
    )
    return member_json(membership)


@router.delete("/organizations/{org}/members/{member_id}", response={204: None, **WRITE_ERRORS})
def member_delete(request, org: str, member_id: int):
    """Remove a member (or leave, with one's own membership), with every workspace role and team
    place they held."""
    access = organization_access(request, org)
    membership_remove(membership=_membership(access, member_id), acting_user=request.auth)
    return Status(204, None)


# --- Invitations -------------------------------------------------------------------------------------


class InvitationQuery(PageQuery):
    status: str = Field("pending", pattern="^(pending|history)$", description="pending, or history")


def _invitation(access, invitation_id: int) -> Invitation:
    invitation = (
        Invitation.objects.select_related("organization", "invited_by")
        .filter(pk=invitation_id, organization=access.organization)
        .first()
    )
    if invitation is None:
        raise NotFoundError("No such invitation.")
    return invitation


@router.get("/organizations/{org}/invitations", response={200: InvitationPage, **ERRORS})
def invitation_list(request, org: str, query: Query[InvitationQuery]):
    """Pending invitations (or, with status=history, the answered ones), newest first; for those who
    manage members, as the invitations page."""
    access = organization_access(request, org)
    access.require(f"organizations.{MANAGE_MEMBERS}")
    selector = invitation_list_pending if query.status == "pending" else invitation_list_history
    rows = selector(organization=access.organization)
    return offset_page(request, rows, offset=query.offset, limit=query.limit, to_json=invitation_json)


@router.post("/organizations/{org}/invitations", response={201: InvitationOut, **WRITE_ERRORS})
def invitation_post(request, org: str, payload: InvitationCreateIn):
    """Invite an e-mail address with an organization role; the invitation e-mail goes out shortly."""
    access = organization_access(request, org)
    invitation = invitation_create(
        organization=access.organization, email=payload.email, role=payload.role, acting_user=request.auth
    )
    return Status(201, invitation_json(invitation))


@router.delete("/organizations/{org}/invitations/{invitation_id}", response={204: None, **WRITE_ERRORS})
def invitation_delete(request, org: str, invitation_id: int):
    """Revoke a pending invitation: its link stops working."""
    access = organization_access(request, org)
    invitation_revoke(invitation=_invitation(access, invitation_id), acting_user=request.auth)
    return Status(204, None)


# --- Teams ---------------------------------------------------------------------------------------------


def _team(access, team_id: int) -> Team:
    team = team_list_for_organization(organization=access.organization).filter(pk=team_id).first()
    if team is None:
        raise NotFoundError("No such team.")
    team.organization = access.organization
    return team


def _team_detail(access, team_id: int) -> dict:
    team = _team(access, team_id)
    return team_json(team, members=team_members(team=team))


def _member_user(access, user_id: int):
    membership = (
        Membership.objects.select_related("user")
        .filter(organization=access.organization, user_id=user_id)
        .first()
    )
    if membership is None:
        raise NotFoundError("No such member.")
    return membership.user


@router.get("/organizations/{org}/teams", response={200: TeamPage, **ERRORS})
def team_list(request, org: str, query: Query[PageQuery]):
    access = organization_access(request, org)
    rows = team_list_for_organization(organization=access.organization)
    return offset_page(request, rows, offset=query.offset, limit=query.limit, to_json=team_json)


@router.post("/organizations/{org}/teams", response={201: TeamDetailOut, **WRITE_ERRORS})
def team_post(request, org: str, payload: TeamCreateIn):
    access = organization_access(request, org)
    team = team_create(
        organization=access.organization, name=payload.name, description=payload.description,
        role=payload.role, acting_user=request.auth,
    )  # fmt: skip
    return Status(201, _team_detail(access, team.pk))


@router.get("/organizations/{org}/teams/{team_id}", response={200: TeamDetailOut, **ERRORS})
def team_get(request, org: str, team_id: int):
    return _team_detail(organization_access(request, org), team_id)


@router.patch("/organizations/{org}/teams/{team_id}", response={200: TeamDetailOut, **WRITE_ERRORS})
def team_patch(request, org: str, team_id: int, payload: TeamPatchIn):
    access = organization_access(request, org)
    team = _team(access, team_id)
    team_update(
        team=team,
        name=team.name if payload.name is None else payload.name,
        description=team.description if payload.description is None else payload.description,
        role=team.role if payload.role is None else payload.role,
        acting_user=request.auth,
    )
    return _team_detail(access, team_id)


@router.delete("/organizations/{org}/teams/{team_id}", response={204: None, **WRITE_ERRORS})
def team_remove(request, org: str, team_id: int):
    access = organization_access(request, org)
    team_delete(team=_team(access, team_id), acting_user=request.auth)
    return Status(204, None)


@router.put(
    "/organizations/{org}/teams/{team_id}/members/{user_id}", response={200: TeamDetailOut, **WRITE_ERRORS}
)
def team_member_put(request, org: str, team_id: int, user_id: int):
    """Add a member of the organization to the team (adding someone already in it changes nothing)."""
    access = organization_access(request, org)
    team = _team(access, team_id)
    user = _member_user(access, user_id)
    if not team.members.filter(pk=user.pk).exists():
        team_member_add(team=team, user=user, acting_user=request.auth)
    return _team_detail(access, team_id)


@router.delete("/organizations/{org}/teams/{team_id}/members/{user_id}", response={204: None, **WRITE_ERRORS})
def team_member_delete(request, org: str, team_id: int, user_id: int):
    access = organization_access(request, org)
    team_member_remove(
        team=_team(access, team_id), user=_member_user(access, user_id), acting_user=request.auth
    )
    return Status(204, None)


# --- Workspace roles -------------------------------------------------------------------------------------


def _custom_role(access, role_id: str) -> WorkspaceCustomRole:
    pk = role_id.removeprefix("custom:")
    role = (
        WorkspaceCustomRole.objects.select_related("organization")
        .filter(pk=int(pk), organization=access.organization)
        .first()
        if pk.isdigit() and len(pk) <= 18
        else None
    )
    if role is None:
        raise NotFoundError("No such custom role.")
    return role


@router.get("/organizations/{org}/roles", response={200: list[RoleOut], **ERRORS})
def role_list(request, org: str):
    """The workspace roles: the predefined ones (highest first), then the organization's custom ones."""
    access = organization_access(request, org)
    return [role_json(option) for option in workspace_role_options(organization=access.organization)]


@router.post("/organizations/{org}/roles", response={201: RoleOut, **WRITE_ERRORS})
def role_post(request, org: str, payload: RoleCreateIn):
    """Create a custom workspace role from a predefined one."""
    access = organization_access(request, org)
    role = custom_role_create(
        organization=access.organization, name=payload.name, base_role=payload.base_role,
        description=payload.description, acting_user=request.auth,
    )  # fmt: skip
    option = next(
        o for o in workspace_role_options(organization=access.organization) if o.value == f"custom:{role.pk}"
    )
    return Status(201, role_json(option))


@router.delete("/organizations/{org}/roles/{role_id}", response={204: None, **WRITE_ERRORS})
def role_delete(request, org: str, role_id: str):
    """Delete a custom role (`custom:<id>`); predefined roles cannot be deleted."""
    access = organization_access(request, org)
    custom_role_delete(role=_custom_role(access, role_id), acting_user=request.auth)
    return Status(204, None)


# --- Role assignments -------------------------------------------------------------------------------------


class RoleAssignmentQuery(PageQuery):
    workspace: str | None = Field(
        None, description="A workspace ID; every workspace whose members the caller may read if absent."
    )


def _assignments(**filters):
    return (
        WorkspaceRoleAssignment.objects.filter(**filters)
        .select_related("workspace", "user", "team")
        .order_by("workspace__slug", "created_at", "pk")
    )


@router.get("/organizations/{org}/role-assignments", response={200: RoleAssignmentPage, **ERRORS})
def role_assignment_list(request, org: str, query: Query[RoleAssignmentQuery]):
    """Who holds which role on which workspace, for the workspaces whose members the caller may read
    (as on each workspace's members page)."""
    access = organization_access(request, org)
    if query.workspace:
        workspace, _ = workspace_for(request, query.workspace, permission=READ_MEMBERS)
        if workspace.organization_id != access.organization.pk:
            raise NotFoundError("No such workspace.")
        readable = [workspace.pk]
    else:
        visible = list(
            workspace_list_for_user(organization=access.organization, access=access).prefetch_related(None)
        )
        access.prefetch(visible)
        readable = [w.pk for w in visible if access.can(READ_MEMBERS, w)]
    rows = _assignments(workspace_id__in=readable)
    return offset_page(request, rows, offset=query.offset, limit=query.limit, to_json=role_assignment_json)


def _role_arguments(access, role: str) -> dict:
    if role.startswith("custom:"):
        return {"custom_role": _custom_role(access, role)}
    return {"role": role}


@router.post("/organizations/{org}/role-assignments", response={201: RoleAssignmentOut, **WRITE_ERRORS})
def role_assignment_post(request, org: str, payload: RoleAssignmentCreateIn):
    """Give a member or a team a role on a workspace (or change the role they hold there)."""
    access = organization_access(request, org)
    workspace, _ = workspace_for(request, payload.workspace)
    if workspace.organization_id != access.organization.pk:
        raise NotFoundError("No such workspace.")
    if (payload.user is None) == (payload.team is None):
        raise InvalidError("Give either a user (an e-mail address) or a team.", field="user")
    principal = {}
    if payload.user is not None:
        membership = (
            Membership.objects.select_related("user")
            .filter(organization=access.organization, user__email__iexact=payload.user.strip())
            .first()
        )
        if membership is None:
            raise InvalidError(f"{payload.user} is not a member of {access.organization.name}.", field="user")
        principal["user"] = membership.user
    else:
        team = Team.objects.filter(pk=payload.team, organization=access.organization).first()
        if team is None:
            raise NotFoundError("No such team.")
        principal["team"] = team
    if not payload.role.startswith("custom:") and payload.role not in {
        o.value for o in workspace_role_options(organization=access.organization) if not o.is_custom
    }:
        raise InvalidError("Choose one of the workspace roles.", field="role")
    assignment = workspace_role_assign(
        workspace=workspace, acting_user=request.auth, **principal, **_role_arguments(access, payload.role)
    )
    return Status(201, role_assignment_json(_assignments(pk=assignment.pk).get()))


@router.delete("/organizations/{org}/role-assignments/{assignment_id}", response={204: None, **WRITE_ERRORS})
def role_assignment_delete(request, org: str, assignment_id: int):
    """Take a role away."""
    access = organization_access(request, org)
    assignment = _assignments(pk=assignment_id, workspace__organization=access.organization).first()
    if assignment is None or not access.can_see(assignment.workspace):
        raise NotFoundError("No such role assignment.")
    workspace_role_remove(assignment=assignment, acting_user=request.auth)
    return Status(204, None)


# --- Audit events ------------------------------------------------------------------------------------------


class AuditQuery(Schema):
    actor: str = Field("", max_length=254, description="Part of the actor's e-mail, or their user id.")
    action: str = Field("", max_length=60, description="An action, e.g. workspace.create.")
    target: str = Field("", max_length=200, description="Part of the target's label.")
    cursor: str = Field("", max_length=200, description="`next_cursor` of the previous page.")
    limit: int = Field(50, ge=1, le=100)


def cursor_decode(cursor: str) -> Cursor:
    try:
        return Cursor.decode(cursor)
    except ValueError as error:
        raise InvalidError("This cursor is not one the API gave out.", field="cursor") from error


@router.get("/organizations/{org}/audit-events", response={200: AuditEventPage, **ERRORS})
def audit_event_list_get(request, org: str, query: Query[AuditQuery]):
    """The audit trail, newest first, for those who may read the audit log. Pages by cursor, so
    events recorded meanwhile never shift or repeat a page."""
    access = organization_access(request, org)
    access.require(f"organizations.{VIEW_AUDIT_LOG}")
    events = audit_event_list(
        organization=access.organization, actor=query.actor.strip(), action=query.action.strip(),
        target=query.target.strip(),
    )  # fmt: skip
    page = cursor_page(events, older=cursor_decode(query.cursor) if query.cursor else None, size=query.limit)
    return {
        "items": [audit_event_json(event) for event in page.rows],
        "next_cursor": page.older.encode() if page.older else None,
    }
