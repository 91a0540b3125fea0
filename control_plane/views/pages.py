"""The verification page of the command-line login: a person sees which device asks to log in, from
which host, for which workspace, and approves or denies it."""

from django.contrib.auth.views import redirect_to_login
from django.core.cache import cache
from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_http_methods

from organizations.access import VIEW_WORKSPACE_PERMISSION, Access
from organizations.errors import ServiceError, refusal_message
from organizations.models import Organization
from workspaces.selectors import workspace_list_for_user

from .. import services
from ..selectors import workspace_by_name_or_id


def _openable_workspaces(user) -> list:
    """Every workspace the user may open, for the choice when the CLI named none."""
    found = []
    for organization in Organization.objects.filter(memberships__user=user).order_by("name"):
        access = Access.for_user(user, organization)
        workspaces = list(workspace_list_for_user(organization=organization, access=access))
        access.prefetch(workspaces)
        found.extend(ws for ws in workspaces if access.can(VIEW_WORKSPACE_PERMISSION, ws))
    return found


def _named_workspace(user, value: str):
    """The workspace the URL names, if the user may open it: 404 to those who may not see it, 403 to
    those who see it but may not open it (as on the workspace's own pages)."""
    workspace = workspace_by_name_or_id(value)
    if workspace is None:
        raise Http404("No such workspace.")
    access = Access.for_user(user, workspace.organization)
    if not access.can(VIEW_WORKSPACE_PERMISSION, workspace):
        if access.is_member and access.can_see(workspace):
            raise PermissionDenied
        raise Http404("No such workspace.")
    return workspace


# Codes that match no login request, per person and ten minutes (a code is 8 of 20 letters: guessing
# is hopeless anyway; this says so early).
WRONG_CODES_ALLOWED = 10
WRONG_CODES_WINDOW_SECONDS = 10 * 60


@require_http_methods(["GET", "POST"])
def device_verify(request):
    """`/devices/verify/?device_id=…&user_code=…&workspace=…` (the CLI adds `workspace`)."""
    if not request.user.is_authenticated:
        return redirect_to_login(request.get_full_path())
    data = request.POST if request.method == "POST" else request.GET
    user_code = data.get("user_code", "").strip()
    workspace_value = data.get("workspace", "").strip()
    workspace = _named_workspace(request.user, workspace_value) if workspace_value else None
    guesses_key = f"atrium:device-code-misses:{request.user.pk}"
    too_many = cache.get(guesses_key, 0) >= WRONG_CODES_ALLOWED
    device = services.device_for_user_code(user_code) if user_code and not too_many else None
    device_id = data.get("device_id", "")
    if device is not None and device_id and str(device.pk) != device_id:
        device = None
    context = {
        "user_code": user_code,
        "device": device,
        "workspace": workspace,
        "workspace_value": workspace_value,
        "device_id": device_id,
    }
    if device is None:
        if too_many:
            context["state"] = "too_many"
            return render(request, "control_plane/device_verify.html", context, status=429)
        if user_code:  # codes are guessed one at a time, a few per person and ten minutes
            cache.add(guesses_key, 0, WRONG_CODES_WINDOW_SECONDS)
            cache.incr(guesses_key)
        context["state"] = "unknown" if user_code else "enter_code"
        return render(request, "control_plane/device_verify.html", context)
    if device.code_expires_at <= timezone.now():
        context["state"] = "expired"
        return render(request, "control_plane/device_verify.html", context)
    if workspace is None:
        context["workspaces"] = _openable_workspaces(request.user)
    context["state"] = "confirm"
    if request.method == "POST":
        decision = request.POST.get("decision")
        if workspace is None and request.POST.get("workspace_choice"):
            workspace = _named_workspace(request.user, request.POST["workspace_choice"])
        if decision not in {"approve", "deny"} or workspace is None:
            context["error"] = "Choose a workspace, then approve or deny."
            return render(request, "control_plane/device_verify.html", context, status=400)
        service = services.device_approve if decision == "approve" else services.device_deny
        try:
            service(device=device, workspace=workspace, acting_user=request.user)
        except ServiceError as error:
            context["error"] = refusal_message(error)
            return render(request, "control_plane/device_verify.html", context, status=409)
        context.update(state="approved" if decision == "approve" else "denied", workspace=workspace)
    return render(request, "control_plane/device_verify.html", context)


@require_http_methods(["GET"])
def browser_login(request):
    """`/api/auth/login`: where a workspace server in ZenML's cloud mode sends a browser to log in (its
    `external_login_url`, `{ZENML_SERVER_PRO_DASHBOARD_URL}/api/auth/login`, with Atrium's root as the
    dashboard URL). Logs the visitor in to Atrium, then continues at `redirect`/`next` when that is
    an address of this site, else at the home page."""
    if not request.user.is_authenticated:
        return redirect_to_login(request.get_full_path())
    target = request.GET.get("redirect") or request.GET.get("redirect_url") or request.GET.get("next") or ""
    safe = url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    )
    return redirect(target if target and safe else "home")
