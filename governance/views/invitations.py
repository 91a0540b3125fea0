"""The Invitations page (invite one person or many, follow what was sent) and the page a link opens.

The services enforce the rules (who may grant which role, one pending invitation per address, a link
bound to its e-mail, how many e-mails may be sent); their ValidationErrors come back to the user as
form errors or toasts. The invitation link's token appears in no audit event, message or log line,
and in no URL after the first visit: only its hash is stored (in the invitation and the session).
"""

from types import SimpleNamespace

from django.contrib import messages
from django.contrib.auth import get_user_model, login, logout
from django.core.paginator import Paginator
from django.db import IntegrityError, transaction
from django.http import HttpResponseNotAllowed
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST
from django_htmx.http import trigger_client_event

from config.site import site_url
from organizations import services as organization_services
from organizations.access import Access
from organizations.errors import (
    REFUSALS_SHOWN_IN_PLACE,
    PermissionDeniedError,
    form_add_refusal,
    refusal_message,
)
from organizations.member_forms import BulkInvitationForm, InvitationForm, InvitationSignupForm
from organizations.models import Invitation, InvitationStatus
from organizations.roles import MANAGE_MEMBERS
from organizations.scoping import organization_view
from organizations.selectors import (
    invitation_list_history,
    invitation_list_pending,
    organization_role_options,
)
from workspaces.member_forms import WorkspaceInviteForm
from workspaces.roles import MANAGE_WORKSPACE_MEMBERS, VIEW_WORKSPACE
from workspaces.scoping import workspace_view
from workspaces.selectors import workspace_role_options
from workspaces.views.members import TEMPLATE as WORKSPACE_MEMBERS_TEMPLATE
from workspaces.views.members import invite_roles, users_context

from .. import services
from ..selectors import invitation_attach_workspace_grants, invitation_workspace_options

INVITATIONS_PER_PAGE = 50
MANAGE_MEMBERS_PERMISSION = f"organizations.{MANAGE_MEMBERS}"


def _invitation_form(request, data=None) -> InvitationForm:
    return InvitationForm(
        data,
        roles=organization_role_options(access=request.access),
        workspaces=invitation_workspace_options(organization=request.organization, access=request.access),
        workspace_roles=[
            SimpleNamespace(key=option.value, label=option.label)
            for option in workspace_role_options(organization=request.organization)
        ],
    )


def _bulk_form(request, data=None, initial=None) -> BulkInvitationForm:
    return BulkInvitationForm(data, initial=initial, roles=organization_role_options(access=request.access))


def _list_url(request) -> str:
    """The invitations page (with its page numbers) an action was made from."""
    base = reverse("organizations:invitations", args=[request.organization.slug])
    candidate = request.POST.get("next", "")
    return candidate if candidate.startswith(base + "?") or candidate == base else base


def _render_page(request, *, form=None, bulk_form=None, bulk_errors=(), copied=None, status=200):
    organization = request.organization
    pending = Paginator(invitation_list_pending(organization=organization), INVITATIONS_PER_PAGE)
    pending_page = pending.get_page(request.GET.get("page"))
    history = Paginator(invitation_list_history(organization=organization), INVITATIONS_PER_PAGE)
    history_page = history.get_page(request.GET.get("history"))
    context = {
        "organization": organization,
        "nav": "invitations",
        "form": form or _invitation_form(request),
        "bulk_form": bulk_form or _bulk_form(request),
        "bulk_errors": bulk_errors,
        "role_descriptions": organization_role_options(access=request.access),
        "page": pending_page,
        "pending": invitation_attach_workspace_grants(pending_page.object_list),
        "history_page": history_page,
        "list_url": request.get_full_path(),
        "copied": copied,
    }
    return render(request, "organizations/invitations.html", context, status=status)


@organization_view(permission=MANAGE_MEMBERS_PERMISSION)
def invitation_list(request):
    """GET: the page. POST: invite one person."""
    if request.method != "POST":
        return _render_page(request)
    form = _invitation_form(request, request.POST)
    if form.is_valid():
        try:
            invitation = services.invitation_create(
                organization=request.organization,
                email=form.cleaned_data["email"],
                role=form.cleaned_data["role"],
                workspace_roles=form.workspace_grants(),
                acting_user=request.user,
            )
        except REFUSALS_SHOWN_IN_PLACE as refusal:
            form_add_refusal(form, refusal)
        else:
            messages.success(request, f"Invitation sent to {invitation.email}.")
            return redirect("organizations:invitations", org_slug=request.organization.slug)
    return _render_page(request, form=form)


@organization_view(permission=MANAGE_MEMBERS_PERMISSION)
@require_POST
def invitation_bulk(request):
    """Invite every good address; give back the bad lines, each with its reason, to be fixed."""
    bulk_form = _bulk_form(request, request.POST)
    if not bulk_form.is_valid():
        return _render_page(request, bulk_form=bulk_form)
    role = bulk_form.cleaned_data["role"]
    try:
        result = services.invitation_create_bulk(
            organization=request.organization,
            lines=bulk_form.cleaned_data["emails"],
            role=role,
            acting_user=request.user,
        )
    except REFUSALS_SHOWN_IN_PLACE as error:
        form_add_refusal(bulk_form, error, "emails")
        return _render_page(request, bulk_form=bulk_form)
    invited = [invitation.email for invitation in result.invited]
    if invited:
        count = len(invited)
        messages.success(request, f"{count} invitation{'s' if count > 1 else ''} sent: {', '.join(invited)}.")
    if not result.errors:
        return redirect("organizations:invitations", org_slug=request.organization.slug)
    # Lines whose address was invited after all (a repeated address) need no fixing.
    to_fix = [line for line, _ in result.errors if services.bulk_invite_address(line) not in invited]
    bulk_form = _bulk_form(request, initial={"emails": "\n".join(to_fix), "role": role})
    bulk_form.describe_lines_to_fix("bulk-errors")
    return _render_page(request, bulk_form=bulk_form, bulk_errors=result.errors)


@organization_view()
@require_POST
def invitation_resend(request, invitation_id):
    invitation = get_object_or_404(Invitation, pk=invitation_id, organization=request.organization)
    try:
        organization_services.invitation_resend(invitation=invitation, acting_user=request.user)
    except REFUSALS_SHOWN_IN_PLACE as refusal:
        messages.error(request, refusal_message(refusal))
    else:
        messages.success(
            request,
            f"A new link was sent to {invitation.email}, valid for 7 days. The previous link no longer works.",
        )
    return redirect(_list_url(request))


@organization_view()
@require_POST
def invitation_revoke(request, invitation_id):
    invitation = get_object_or_404(Invitation, pk=invitation_id, organization=request.organization)
    try:
        organization_services.invitation_revoke(invitation=invitation, acting_user=request.user)
    except REFUSALS_SHOWN_IN_PLACE as refusal:
        messages.error(request, refusal_message(refusal))
    else:
        messages.success(request, f"Invitation to {invitation.email} revoked. Its link no longer works.")
    return redirect(_list_url(request))


# The session keeps the hash of the link's token, not the token: the session store then holds no
# more than the invitations table does, and a link replaced by a resend stops working here too.
INVITATION_SESSION_KEY = "_invitation_token_hash"


def _invitation_not_found(request):
    response = render(request, "organizations/invitation_unknown.html", status=404)
    response._has_been_logged = True  # an expected answer for old links: not worth a warning each time
    return response


@organization_view(permission=MANAGE_MEMBERS_PERMISSION)
@require_POST
def invitation_link_copy(request, invitation_id):
    """Make a new link for a pending invitation and show it once, with a Copy button (htmx: in place
    of the row's link slot; plain POST: at the top of the Invitations page)."""
    invitation = get_object_or_404(Invitation, pk=invitation_id, organization=request.organization)
    try:
        token = organization_services.invitation_link_copy(invitation=invitation, acting_user=request.user)
    except REFUSALS_SHOWN_IN_PLACE as refusal:
        if request.htmx:
            return render(request, "includes/refusal_line.html", {"message": refusal_message(refusal)})
        messages.error(request, refusal_message(refusal))
        return redirect(_list_url(request))
    invitation.refresh_from_db()
    link = site_url() + reverse("invitation_link", args=[token])
    if request.htmx:
        response = render(request, "includes/invitation_link.html", {"invitation": invitation, "link": link})
    else:
        response = _render_page(request, copied={"invitation": invitation, "link": link})
    response["Cache-Control"] = "no-store"  # the link is a secret, shown once
    return response


@require_POST
@workspace_view(permission=f"workspaces.{MANAGE_WORKSPACE_MEMBERS}")
def workspace_member_invite(request):
    """Invite someone new into this workspace from its Members page, with a workspace role."""
    workspace = request.workspace
    form = WorkspaceInviteForm(request.POST, roles=invite_roles(request))
    notice = ""
    if form.is_valid():
        option = form.cleaned_data["role"]
        try:
            invitation = services.invitation_create_for_workspace(
                workspace=workspace,
                email=form.cleaned_data["email"],
                role=option.role,
                custom_role=option.custom_role,
                acting_user=request.user,
            )
        except REFUSALS_SHOWN_IN_PLACE as refusal:
            form_add_refusal(form, refusal)
        else:
            notice = (
                f"Invitation sent to {invitation.email}: {option.label} of {workspace.display_name} once they "
                "accept."
            )
            if not request.htmx:
                messages.success(request, notice)
                return redirect("workspaces:members", workspace_slug=workspace.slug)
            form = None
    context = users_context(request, invite_form=form)
    if not request.htmx:
        return render(request, WORKSPACE_MEMBERS_TEMPLATE, context, status=400)
    response = render(request, f"{WORKSPACE_MEMBERS_TEMPLATE}#users-section", context)
    if notice:
        trigger_client_event(response, "atrium:toast", {"level": "success", "message": notice})
    return response


@csrf_exempt  # a refused POST would be logged with its path, which is the token
def invitation_link(request, token):
    """The link in an invitation e-mail. Like Django's password reset, it keeps its token in the
    session and continues at a URL without it, so the token leaves the address bar, the history and
    any Referer. A link opened later replaces an earlier one. Only GET: other methods get a 405 that,
    like every answer here, is not logged."""
    if request.method not in ("GET", "HEAD"):
        response = HttpResponseNotAllowed(["GET", "HEAD"])
        response._has_been_logged = True
        return response
    request.session[INVITATION_SESSION_KEY] = organization_services.invitation_token_hash(token)
    return redirect("invitation_accept")


def invitation_accept(request):
    """The page an invitation link leads to: sign up, log in, or accept, depending on who opens it."""
    token_hash = request.session.get(INVITATION_SESSION_KEY)
    invitation = token_hash and organization_services.invitation_for_token_hash(token_hash)
    if not invitation:
        return _invitation_not_found(request)
    organization = invitation.organization
    accept_url = reverse("invitation_accept")
    grants = invitation_attach_workspace_grants([invitation])[0].workspace_grants
    context = {
        "invitation": invitation,
        "organization": organization,
        "accept_url": accept_url,
        "workspace_grants": grants,
    }
    status = invitation.effective_status
    if status != InvitationStatus.PENDING:
        is_member = (
            request.user.is_authenticated and organization.memberships.filter(user=request.user).exists()
        )
        return render(
            request,
            "organizations/invitation_accept.html",
            context | {"state": status, "is_member": is_member},
        )
    user = request.user
    if user.is_authenticated:
        if user.email.lower() != invitation.email.lower():
            if request.method == "POST" and request.POST.get("action") == "log_out":
                logout(request)  # a new session: the invitation comes along, to be accepted as its invitee
                request.session[INVITATION_SESSION_KEY] = token_hash
                return redirect(accept_url)
            return render(request, "organizations/invitation_accept.html", context | {"state": "mismatch"})
        if request.method == "POST":
            try:
                membership = services.invitation_accept(invitation=invitation, user=user)
            except (*REFUSALS_SHOWN_IN_PLACE, PermissionDeniedError) as refusal:  # shown on the accept page
                context["error"] = refusal_message(refusal)
            else:
                return _welcome(request, membership, grants)
        return render(request, "organizations/invitation_accept.html", context | {"state": "confirm"})
    if get_user_model().objects.filter(email__iexact=invitation.email).exists():
        return render(request, "organizations/invitation_accept.html", context | {"state": "login"})
    form = InvitationSignupForm(request.POST if request.method == "POST" else None, invitation=invitation)
    if request.method == "POST" and form.is_valid():
        try:
            with transaction.atomic():  # no account is left behind if the invitation cannot be accepted
                user = form.save()
                membership = services.invitation_accept(invitation=invitation, user=user)
        except (*REFUSALS_SHOWN_IN_PLACE, PermissionDeniedError) as refusal:
            form_add_refusal(form, refusal)
        except IntegrityError:
            # Another sign-up through this link created the account first (it committed while this
            # one waited on the address's uniqueness); the page now shows where things stand.
            messages.info(
                request,
                f"An account for {invitation.email} was created through this link a moment ago. "
                "Log in with it to continue.",
            )
            return redirect(accept_url)
        else:
            login(request, user, backend="django.contrib.auth.backends.ModelBackend")
            return _welcome(request, membership, grants)
    return render(
        request, "organizations/invitation_accept.html", context | {"state": "signup", "form": form}
    )


def _welcome(request, membership, grants=()):
    """Greet the new member where their invitation put them: the (first) workspace it gave them a
    role on, when they can open it now, else the organization's home."""
    request.session.pop(INVITATION_SESSION_KEY, None)  # the link has done its work
    organization = membership.organization
    access = Access.for_user(membership.user, organization)
    for workspace, role_label in grants:
        if access.can(f"workspaces.{VIEW_WORKSPACE}", workspace):
            messages.success(
                request,
                f"Welcome to {organization.name}! You are {role_label} of {workspace.display_name}.",
            )
            return redirect("workspaces:overview", workspace_slug=workspace.slug)
    messages.success(
        request, f"Welcome to {organization.name}! You joined as {membership.get_role_display()}."
    )
    return redirect("organizations:home", org_slug=organization.slug)
