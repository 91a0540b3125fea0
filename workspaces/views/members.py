"""A workspace's Members pages: the Users tab (everyone with access and where it comes from) and the
Teams tab, with adding, changing and removing direct roles.

Viewing needs `workspaces.read_members`; changes need `workspaces.manage_workspace_members`. The
services decide whether a change is allowed (nobody changes their own role or grants above their own)
and say why not; these views show that message, as a toast and in the row.
"""

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST
from django_htmx.http import HttpResponseClientRefresh, trigger_client_event

from config.page_cache import cached_page
from organizations.errors import REFUSALS_SHOWN_IN_PLACE, form_add_refusal, refusal_message
from organizations.roles import MANAGE_MEMBERS as ORGANIZATION_MANAGE_MEMBERS

from .. import services
from ..member_forms import (
    WorkspaceInviteForm,
    WorkspaceMemberAddForm,
    WorkspaceRoleChangeForm,
    WorkspaceTeamAddForm,
)
from ..roles import MANAGE_WORKSPACE_MEMBERS, cell
from ..scoping import workspace_view
from ..selectors import (
    role_option_value,
    workspace_invitations_pending,
    workspace_members,
    workspace_role_options,
    workspace_teams,
)

PER_PAGE = 50
READ_MEMBERS = f"workspaces.{cell('members', 'read')}"
INVITE_PEOPLE = f"organizations.{ORGANIZATION_MANAGE_MEMBERS}"
MANAGE_MEMBERS = f"workspaces.{MANAGE_WORKSPACE_MEMBERS}"
TEMPLATE = "workspaces/members.html"


class _Grants:
    """What the acting user may do on this workspace's members: which roles they may give."""

    def __init__(self, request):
        workspace = self.workspace = request.workspace
        self.access = request.access
        self.may_manage = request.access.can(MANAGE_MEMBERS, workspace)
        self.options = workspace_role_options(organization=workspace.organization) if self.may_manage else []
        self.grantable = [
            o
            for o in self.options
            if request.access.may_grant_workspace_role(o.definition, workspace)
            and request.access.policy_allows_role(o.definition, workspace)
        ]
        # Someone new joins the organization through an invitation: that takes managing its members.
        self.may_invite = self.may_manage and request.access.can(INVITE_PEOPLE)
        self.predefined = [option for option in self.grantable if not option.is_custom]
        self.custom = [option for option in self.grantable if option.is_custom]

    def may_edit(self, assignment, *, me) -> bool:
        return (
            self.may_manage
            and assignment is not None
            and assignment.user_id != me.pk
            and self.access.may_grant_workspace_role(assignment.role_definition, self.workspace)
        )


def _base_context(request, tab: str) -> dict:
    workspace = request.workspace
    return {
        "workspace": workspace,
        "organization": workspace.organization,
        "labels": list(workspace.labels.select_related("dimension", "value")),
        "tab": "members",
        "members_tab": tab,
    }


def _user_row_context(row, grants: _Grants, me) -> dict:
    row.may_edit = grants.may_edit(row.assignment, me=me)
    row.role_value = role_option_value(row.assignment) if row.assignment else ""
    return {"row": row, "grants": grants}


def users_context(request, *, person_form=None, invite_form=None) -> dict:
    """The Users tab's context; the invite view (in governance) renders the tab with its own form."""
    workspace, me = request.workspace, request.user
    members = workspace_members(workspace)
    grants = _Grants(request)
    page = Paginator(members.rows, PER_PAGE).get_page(request.GET.get("page"))
    for row in page.object_list:
        _user_row_context(row, grants, me)
    if grants.may_manage and person_form is None:
        person_form = WorkspaceMemberAddForm(candidates=members.candidates, roles=grants.grantable)
    if grants.may_invite and invite_form is None:
        invite_form = WorkspaceInviteForm(roles=grants.grantable)
    return _base_context(request, "users") | {
        "page": page,
        "grants": grants,
        "person_form": person_form,
        "invite_form": invite_form,
        "invitations": workspace_invitations_pending(workspace) if grants.may_invite else [],
    }


def invite_roles(request) -> list:
    """The roles the acting user may give someone invited into this workspace."""
    return _Grants(request).grantable


def _team_row_context(assignment, grants: _Grants, me) -> dict:
    assignment.may_edit = grants.may_edit(assignment, me=me)
    assignment.role_value = role_option_value(assignment)
    return {"assignment": assignment, "grants": grants}


def _teams_context(request, *, team_form=None) -> dict:
    teams = workspace_teams(request.workspace)
    grants = _Grants(request)
    page = Paginator(teams.assignments, PER_PAGE).get_page(request.GET.get("page"))
    for assignment in page.object_list:
        _team_row_context(assignment, grants, request.user)
    if grants.may_manage and team_form is None:
        team_form = WorkspaceTeamAddForm(candidates=teams.candidates, roles=grants.grantable)
    return _base_context(request, "teams") | {"page": page, "grants": grants, "team_form": team_form}


@cached_page
@workspace_view(permission=READ_MEMBERS)
def member_list(request):
    return render(request, TEMPLATE, users_context(request))


@workspace_view(permission=READ_MEMBERS)
def member_teams(request):
    return render(request, TEMPLATE, _teams_context(request))


def _refusal(error: ValidationError) -> str:
    return refusal_message(error)


def _tell(request, level: str, message: str, response=None):
    """Report an outcome: as a toast event on an htmx `response`, else as a message for the next page."""
    if request.htmx and response is not None:
        trigger_client_event(response, "atrium:toast", {"level": level, "message": message})
    else:
        messages.add_message(request, messages.ERROR if level == "error" else messages.SUCCESS, message)
    return response


def _back(request, *, teams: bool):
    name = "workspaces:members_teams" if teams else "workspaces:members"
    return redirect(name, workspace_slug=request.workspace.slug)


@require_POST
@workspace_view(permission=MANAGE_MEMBERS)
def member_assign(request):
    """Give a person (form prefix "person") or a team (prefix "team") a role on this workspace."""
    workspace = request.workspace
    adding_team = request.POST.get("add") == "team"
    options = workspace_role_options(organization=workspace.organization)
    if adding_team:
        form = WorkspaceTeamAddForm(
            request.POST, candidates=workspace_teams(workspace).candidates, roles=options
        )
    else:
        form = WorkspaceMemberAddForm(
            request.POST, candidates=workspace_members(workspace).candidates, roles=options
        )
    notice = ""
    if form.is_valid():
        principal = form.cleaned_data["team" if adding_team else "user"]
        option = form.cleaned_data["role"]
        try:
            services.workspace_role_assign(
                workspace=workspace,
                acting_user=request.user,
                role=option.role,
                custom_role=option.custom_role,
                expires_on=form.cleaned_data.get("expires_on"),
                **({"team": principal} if adding_team else {"user": principal}),
            )
        except REFUSALS_SHOWN_IN_PLACE as refusal:
            form_add_refusal(form, refusal)
        else:
            name = f"Team {principal.name}" if adding_team else (principal.display_name or principal.email)
            notice = f"{name} is now {option.label} of {workspace.display_name}."
            if not request.htmx:
                _tell(request, "success", notice)
                return _back(request, teams=adding_team)
            form = None  # the section comes back with a fresh form for the next addition
    if form is not None:  # validated against every role; offer again only those the user may give
        form.offer_roles(_Grants(request).grantable)
    if adding_team:
        context = _teams_context(request, team_form=form)
    else:
        context = users_context(request, person_form=form)
    if not request.htmx:
        return render(request, TEMPLATE, context)
    response = render(request, f"{TEMPLATE}#{'teams-section' if adding_team else 'users-section'}", context)
    return _tell(request, "success", notice, response) if notice else response


def _assignment_or_404(request, assignment_id: int):
    assignment = (
        request.workspace.role_assignments.select_related("user", "team", "custom_role")
        .filter(pk=assignment_id)
        .first()
    )
    if assignment is None:
        raise Http404("No such role assignment on this workspace.")
    return assignment


def _row_response(request, assignment, *, error: str = "") -> HttpResponse:
    """The htmx answer to a change or a removal: the row as it is now (nothing if it is gone)."""
    context = {"row_error": error} | _base_context(request, "users")
    if assignment.team_id:
        teams = workspace_teams(request.workspace)
        current = next((a for a in teams.assignments if a.team_id == assignment.team_id), None)
        if current is None:
            return HttpResponse("")
        context |= _team_row_context(current, _Grants(request), request.user)
        return render(request, f"{TEMPLATE}#team-row", context)
    members = workspace_members(request.workspace)
    row = members.row_for(assignment.user_id)
    if row is None:
        return HttpResponse("")
    grants = _Grants(request)
    context |= _user_row_context(row, grants, request.user)
    return render(request, f"{TEMPLATE}#user-row", context)


def _principal_name(assignment) -> str:
    if assignment.team_id:
        return f"Team {assignment.team.name}"
    return assignment.user.display_name or assignment.user.email


def _answer(request, assignment, *, error: str, notice: str):
    """The row (htmx) or the tab again (plain POST), with the outcome as a toast."""
    level, message = ("error", error) if error else ("success", notice)
    if request.htmx:
        return _tell(request, level, message, _row_response(request, assignment, error=error))
    _tell(request, level, message)
    return _back(request, teams=bool(assignment.team_id))


@require_POST
@workspace_view(permission=MANAGE_MEMBERS)
def member_change(request, assignment_id):
    assignment = _assignment_or_404(request, assignment_id)
    workspace = request.workspace
    form = WorkspaceRoleChangeForm(
        request.POST, roles=workspace_role_options(organization=workspace.organization)
    )
    if not form.is_valid():
        error = "Enter a valid date." if "expires_on" in form.errors else "Choose one of the workspace roles."
        return _answer(request, assignment, error=error, notice="")
    option = form.cleaned_data["role"]
    # A request that says nothing of the end date (no field at all) leaves it as it is.
    expires_on = form.cleaned_data["expires_on"] if "expires_on" in request.POST else assignment.expires_on
    try:
        services.workspace_role_assign(
            workspace=workspace,
            acting_user=request.user,
            user=assignment.user,
            team=assignment.team,
            role=option.role,
            custom_role=option.custom_role,
            expires_on=expires_on,
        )
    except REFUSALS_SHOWN_IN_PLACE as refusal:
        return _answer(request, assignment, error=_refusal(refusal), notice="")
    until = f" until {expires_on:%d %b %Y}" if expires_on else ""
    return _answer(
        request, assignment, error="", notice=f"{_principal_name(assignment)} is now {option.label}{until}."
    )


@require_POST
@workspace_view()
def member_remove(request, assignment_id):
    assignment = _assignment_or_404(request, assignment_id)
    try:
        services.workspace_role_remove(assignment=assignment, acting_user=request.user)
    except REFUSALS_SHOWN_IN_PLACE as refusal:
        return _answer(request, assignment, error=_refusal(refusal), notice="")
    kind = "a direct role" if assignment.user_id else "a role"
    notice = f"{_principal_name(assignment)} no longer has {kind} on {request.workspace.display_name}."
    if request.htmx:
        # Counts, the add lists and other rows change with a removal: reload the tab, toast included.
        _tell(request, "success", notice)
        return HttpResponseClientRefresh()
    return _answer(request, assignment, error="", notice=notice)
