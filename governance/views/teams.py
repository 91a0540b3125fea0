"""The Teams pages of an organization: the list with "New team", and one team's page.

Anyone in the organization may look; changing anything needs `organizations.manage_teams`. The
services decide what a change may do (nobody grants an organization role above their own) and say
why they refuse; the views show that message.
"""

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST
from django_htmx.http import HttpResponseClientRefresh, trigger_client_event

from config.page_cache import cached_page
from organizations import services as organization_services
from organizations.errors import REFUSALS_SHOWN_IN_PLACE, NotFoundError, form_add_refusal, refusal_message
from organizations.models import Membership
from organizations.roles import MANAGE_TEAMS
from organizations.scoping import organization_view
from organizations.selectors import (
    team_get,
    team_list_for_organization,
    team_member_candidates,
    team_members,
    team_role_options,
)
from organizations.team_forms import TeamForm, TeamMemberAddForm

from .. import services
from ..selectors import team_workspace_roles

PER_PAGE = 50
MANAGE_TEAMS_PERMISSION = f"organizations.{MANAGE_TEAMS}"


def _require(request, permission: str) -> None:
    if not request.access.can(permission):
        raise PermissionDenied


def _team_or_404(request, team_id: int):
    team = team_get(organization=request.organization, team_id=team_id)
    if team is None:
        raise Http404("No such team.")
    return team


def _refusal(error: ValidationError) -> str:
    return refusal_message(error)


@cached_page
@organization_view()
def team_list(request):
    organization, access = request.organization, request.access
    form = None
    if access.can(MANAGE_TEAMS_PERMISSION):
        form = TeamForm(request.POST or None, roles=team_role_options(access=access))
    if request.method == "POST":
        _require(request, MANAGE_TEAMS_PERMISSION)
        if form.is_valid():
            try:
                team = organization_services.team_create(
                    organization=organization, acting_user=request.user, **form.cleaned_data
                )
            except REFUSALS_SHOWN_IN_PLACE as error:
                form_add_refusal(form, error)  # a {"name": …} refusal lands on its field
            else:
                messages.success(request, f"Team “{team.name}” created. Add its members below.")
                return redirect("organizations:team", org_slug=organization.slug, team_id=team.pk)
    page = Paginator(team_list_for_organization(organization=organization), PER_PAGE).get_page(
        request.GET.get("page")
    )
    return render(
        request,
        "organizations/teams.html",
        {"organization": organization, "nav": "teams", "page": page, "form": form},
    )


def _render_team(request, team, *, form=None, add_form=None):
    access = request.access
    may_manage = access.can(MANAGE_TEAMS_PERMISSION)
    if may_manage and form is None:
        form = TeamForm(
            initial={"name": team.name, "description": team.description, "role": team.role},
            roles=team_role_options(access=access, current=team.role),
        )
    candidates = list(team_member_candidates(team=team)) if may_manage else []
    if may_manage and add_form is None:
        add_form = TeamMemberAddForm(candidates=candidates)
    page = Paginator(team_members(team=team), PER_PAGE).get_page(request.GET.get("page"))
    context = {
        "organization": request.organization,
        "nav": "teams",
        "team": team,
        "form": form,
        "add_form": add_form,
        "has_candidates": bool(candidates),
        "page": page,
        "workspace_roles": team_workspace_roles(team=team, access=access),
    }
    return render(request, "organizations/team_detail.html", context)


@organization_view()
def team_detail(request, team_id):
    team = _team_or_404(request, team_id)
    if request.method != "POST":
        return _render_team(request, team)
    _require(request, MANAGE_TEAMS_PERMISSION)
    form = TeamForm(request.POST, roles=team_role_options(access=request.access, current=team.role))
    if form.is_valid():
        try:
            organization_services.team_update(team=team, acting_user=request.user, **form.cleaned_data)
        except REFUSALS_SHOWN_IN_PLACE as error:
            form_add_refusal(form, error)
        else:
            messages.success(request, f"Team “{team.name}” saved.")
            return redirect("organizations:team", org_slug=request.organization.slug, team_id=team.pk)
    return _render_team(request, team, form=form)  # the services refuse before changing anything


@require_POST
@organization_view()
def team_delete(request, team_id):
    team = _team_or_404(request, team_id)
    name = team.name
    try:
        services.team_delete(team=team, acting_user=request.user)
    except REFUSALS_SHOWN_IN_PLACE as error:
        messages.error(request, _refusal(error))
        return redirect("organizations:team", org_slug=request.organization.slug, team_id=team.pk)
    messages.success(request, f"Team “{name}” deleted.")
    return redirect("organizations:teams", org_slug=request.organization.slug)


@require_POST
@organization_view(permission=MANAGE_TEAMS_PERMISSION)
def team_member_add(request, team_id):
    team = _team_or_404(request, team_id)
    add_form = TeamMemberAddForm(request.POST, candidates=list(team_member_candidates(team=team)))
    if add_form.is_valid():
        user = add_form.cleaned_data["user"]
        try:
            services.team_member_add(team=team, user=user, acting_user=request.user)
        except REFUSALS_SHOWN_IN_PLACE as error:
            form_add_refusal(add_form, error, "user")
        else:
            messages.success(request, f"{user.email} added to {team.name}.")
            return redirect("organizations:team", org_slug=request.organization.slug, team_id=team.pk)
    return _render_team(request, team, add_form=add_form)


@require_POST
@organization_view()
def team_member_remove(request, team_id, user_id):
    """Take someone out of the team. For htmx the answer replaces the row: nothing once removed, the
    row again when refused; the outcome comes as a toast event."""
    team = _team_or_404(request, team_id)
    membership = (
        Membership.objects.select_related("user")
        .filter(organization=team.organization_id, user_id=user_id)
        .first()
    )
    if membership is None:
        raise Http404("No such member in this organization.")
    user = membership.user
    try:
        services.team_member_remove(team=team, user=user, acting_user=request.user)
    except NotFoundError as gone:  # removed already, perhaps in another tab
        level, message = "info", refusal_message(gone)
    except REFUSALS_SHOWN_IN_PLACE as error:
        level, message = "error", _refusal(error)
    else:
        level, message = "success", f"{user.email} removed from {team.name}."
    if not request.htmx:
        messages.add_message(
            request, {"error": messages.ERROR, "info": messages.INFO}.get(level, messages.SUCCESS), message
        )
        return redirect("organizations:team", org_slug=request.organization.slug, team_id=team.pk)
    if level == "success":
        # The member count, the add list and the delete warning change too: reload, toast included.
        messages.success(request, message)
        return HttpResponseClientRefresh()
    if level == "error":
        # The row partial is rendered alone, outside the page's {% can %}: pass what it asks.
        context = {
            "organization": request.organization,
            "team": team,
            "membership": membership,
            "may_manage": request.access.can(MANAGE_TEAMS_PERMISSION),
        }
        response = render(request, "organizations/team_detail.html#member-row", context)
    else:
        response = HttpResponse("")
    trigger_client_event(response, "atrium:toast", {"level": level, "message": message})
    return response
