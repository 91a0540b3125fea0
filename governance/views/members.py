"""The Members page: who belongs to the organization, with which organization role, and changes to it.

Every change is one service call, which enforces the role rules; its ValidationError becomes what the
user reads: inline in the row after an htmx role change, a toast after a plain POST.
"""

from dataclasses import dataclass

from django.contrib import messages
from django.core.paginator import Paginator
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.views.decorators.http import require_POST
from django_htmx.http import trigger_client_event

from config.page_cache import cached_page
from organizations import services
from organizations.errors import REFUSALS_SHOWN_IN_PLACE, refusal_message
from organizations.models import Membership, Team
from organizations.roles import MANAGE_MEMBERS, TRANSFER_OWNERSHIP, OrganizationRoleKey
from organizations.scoping import organization_view
from organizations.selectors import membership_list, membership_team_grant, organization_role_options

from ..services import membership_deactivate, membership_reactivate, membership_remove

MEMBERS_PER_PAGE = 50
MANAGE_MEMBERS_PERMISSION = f"organizations.{MANAGE_MEMBERS}"
TRANSFER_OWNERSHIP_PERMISSION = f"organizations.{TRANSFER_OWNERSHIP}"
TEMPLATE = "organizations/members.html"


@dataclass
class MemberRow:
    """One row of the members table and what the viewer may do with it."""

    membership: Membership
    is_self: bool
    may_change: bool  # change the role, remove
    may_transfer: bool  # hand ownership over to this member
    team_grant: Team | None  # a team that gives a higher organization role than the member's own
    error: str = ""


def _rows(request, memberships) -> list[MemberRow]:
    access = request.access
    may_manage = access.can(MANAGE_MEMBERS_PERMISSION)
    may_transfer = access.can(TRANSFER_OWNERSHIP_PERMISSION)
    rows = []
    for membership in memberships:
        is_self = membership.user_id == request.user.pk
        within_reach = access.may_grant_organization_role(membership.role)
        rows.append(
            MemberRow(
                membership=membership,
                is_self=is_self,
                may_change=may_manage and not is_self and within_reach,
                may_transfer=may_transfer
                and not is_self
                and within_reach
                and membership.role != OrganizationRoleKey.OWNER
                and not membership.user.is_service_account,
                team_grant=membership_team_grant(membership),
            )
        )
    return rows


def _list_url(request) -> str:
    """The members page (with the page number and search) a change was made from."""
    base = reverse("organizations:members", args=[request.organization.slug])
    candidate = request.POST.get("next", "")
    return candidate if candidate.startswith(base + "?") or candidate == base else base


def _context(request, **extra) -> dict:
    return {
        "organization": request.organization,
        "nav": "members",
        "role_options": organization_role_options(access=request.access),
        "own_membership": request.access.membership,
        **extra,
    }


@cached_page
@organization_view()
def member_list(request):
    search = request.GET.get("q", "").strip()[:100]
    memberships = membership_list(organization=request.organization, search=search)
    page = Paginator(memberships, MEMBERS_PER_PAGE).get_page(request.GET.get("page"))
    context = _context(
        request,
        page=page,
        rows=_rows(request, page.object_list),
        search=search,
        list_url=request.get_full_path(),
    )
    template = TEMPLATE
    if request.htmx and request.htmx.target == "member-list":
        template += "#member-list"
    return render(request, template, context)


@organization_view()
@require_POST
def member_change_role(request, membership_id):
    membership = get_object_or_404(Membership, pk=membership_id, organization=request.organization)
    error = ""
    try:
        membership = services.membership_change_role(
            membership=membership, role=request.POST.get("role", ""), acting_user=request.user
        )
    except REFUSALS_SHOWN_IN_PLACE as refusal:
        error = refusal_message(refusal)
    if request.htmx:
        rows = _rows(request, membership_list(organization=request.organization).filter(pk=membership.pk))
        if not rows:  # removed by someone else a moment ago: the row goes, the toast says why
            response = HttpResponse("")
            trigger_client_event(response, "atrium:toast", {"level": "info", "message": error})
            return response
        row = rows[0]
        row.error = error
        response = render(
            request, f"{TEMPLATE}#member-row", _context(request, row=row, list_url=_list_url(request))
        )
        if not error:
            notice = f"Role of {row.membership.user.get_full_name()} changed to {row.membership.get_role_display()}."
            trigger_client_event(response, "atrium:toast", {"level": "success", "message": notice})
        return response
    if error:
        messages.error(request, error)
    else:
        messages.success(
            request, f"Role of {membership.user.get_full_name()} changed to {membership.get_role_display()}."
        )
    return redirect(_list_url(request))


@organization_view()
@require_POST
def member_remove(request, membership_id):
    """Remove a member (needs manage_members), or leave the organization (anyone, for themselves)."""
    organization = request.organization
    membership = get_object_or_404(
        Membership.objects.select_related("user"), pk=membership_id, organization=organization
    )
    leaving = membership.user_id == request.user.pk
    try:
        membership_remove(membership=membership, acting_user=request.user)
    except REFUSALS_SHOWN_IN_PLACE as refusal:
        messages.error(request, refusal_message(refusal))
        return redirect(_list_url(request))
    if leaving:
        messages.success(request, f"You left {organization.name}.")
        return redirect("home")
    messages.success(request, f"{membership.user.get_full_name()} was removed from {organization.name}.")
    return redirect(_list_url(request))


@organization_view()
@require_POST
def member_deactivate(request, membership_id):
    """Deactivate a member (every access gone at once, roles kept), or reactivate them
    (`reactivate=1`): what an identity provider does through SCIM, by hand."""
    organization = request.organization
    membership = get_object_or_404(
        Membership.objects.select_related("user", "organization"), pk=membership_id, organization=organization
    )
    name = membership.user.get_full_name()
    try:
        if request.POST.get("reactivate"):
            membership_reactivate(membership=membership, acting_user=request.user)
            notice = f"{name} was reactivated: their roles in {organization.name} apply again."
        else:
            membership_deactivate(membership=membership, acting_user=request.user)
            notice = f"{name} was deactivated: they have no access to {organization.name} until reactivated."
    except REFUSALS_SHOWN_IN_PLACE as refusal:
        messages.error(request, refusal_message(refusal))
    else:
        messages.success(request, notice)
    return redirect(_list_url(request))


@organization_view()
@require_POST
def ownership_transfer(request, membership_id):
    """Make another member Owner; the acting Owner steps down to Admin."""
    organization = request.organization
    membership = get_object_or_404(
        Membership.objects.select_related("user"), pk=membership_id, organization=organization
    )
    try:
        services.ownership_transfer(
            organization=organization, to_membership=membership, acting_user=request.user
        )
    except REFUSALS_SHOWN_IN_PLACE as refusal:
        messages.error(request, refusal_message(refusal))
    else:
        own_role = Membership.objects.get(organization=organization, user=request.user).get_role_display()
        messages.success(
            request,
            f"{membership.user.get_full_name()} is now an Owner of {organization.name}. Your role is now {own_role}.",
        )
    return redirect(_list_url(request))
