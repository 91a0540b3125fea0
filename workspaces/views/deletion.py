"""Deleting a workspace (its settings' danger zone) and restoring it (the organization's "Deleted
workspaces" page). The services decide who may; these doors only translate their answers."""

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.formats import date_format
from django.views.decorators.http import require_POST

from organizations.errors import InvalidError, refusal_message
from organizations.scoping import organization_view

from .. import services
from ..models import Workspace
from ..scoping import workspace_view
from ..selectors import workspace_list_deleted
from ..services.deletion import DELETE_PERMISSION, restore_days, workspace_restorable_until

DELETE_TEMPLATE = "workspaces/delete.html"


@workspace_view()
def workspace_delete(request):
    """GET: the typed-ID confirmation as a page (what the danger zone's button opens without
    JavaScript). POST: delete, then go to the organization's home, which no longer lists it."""
    workspace = request.workspace
    context = {"workspace": workspace, "organization": workspace.organization, "tab": "settings"}
    if request.method != "POST":
        if not request.access.can(DELETE_PERMISSION, workspace):
            raise PermissionDenied
        return render(request, DELETE_TEMPLATE, {**context, "restore_days": restore_days()})
    typed_id = request.POST.get("typed_id", "")
    try:
        workspace = services.workspace_delete(
            workspace=workspace, acting_user=request.user, typed_id=typed_id
        )
    except InvalidError as refusal:
        context.update(restore_days=restore_days(), error=refusal.message, typed_id=typed_id)
        return render(request, DELETE_TEMPLATE, context)
    except ValidationError as refusal:  # not found and denied answer 404 and 403
        messages.error(request, refusal_message(refusal))
        return redirect("workspaces:settings", workspace_slug=workspace.slug)
    until = date_format(workspace_restorable_until(workspace), "j F Y")
    messages.success(
        request,
        f"Workspace “{workspace.slug}” deleted and its server stopped. It can be restored until {until} "
        "from the organization's Deleted workspaces page.",
    )
    return redirect("organizations:home", org_slug=workspace.organization.slug)


@organization_view()
def deleted_workspace_list(request):
    """The organization's deleted workspaces that the user may restore, most recently deleted first."""
    rows = [
        (workspace, workspace_restorable_until(workspace))
        for workspace in workspace_list_deleted(organization=request.organization, access=request.access)
    ]
    return render(
        request,
        "workspaces/deleted_list.html",
        {
            "organization": request.organization,
            "nav": "deleted_workspaces",
            "rows": rows,
            "restore_days": restore_days(),
            "now": timezone.now(),
        },
    )


@require_POST
@organization_view()
def deleted_workspace_restore(request, workspace_slug):
    workspace = (
        Workspace.objects.select_related("organization")
        .filter(organization=request.organization, slug=workspace_slug.lower())
        .first()
    )
    if workspace is None:
        raise Http404("No such workspace.")
    try:
        services.workspace_restore(workspace=workspace, acting_user=request.user)
    except ValidationError as refusal:  # not found and denied answer 404 and 403
        messages.error(request, refusal_message(refusal))
        return redirect(reverse("workspaces:deleted_list", args=[request.organization.slug]))
    messages.success(
        request,
        f"Workspace “{workspace.slug}” restored, deactivated. Reactivate it to start its server.",
    )
    return redirect("workspaces:overview", workspace_slug=workspace.slug)
