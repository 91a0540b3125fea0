"""/accounts/devices/: the command lines a person logged in with `zenml login`, and logging one out."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from organizations.errors import ServiceError, refusal_message

from ..models import Device
from ..selectors import device_list_for_user
from ..services import device_revoke

DEVICES_PER_PAGE = 25


@login_required
def device_list(request):
    page = Paginator(device_list_for_user(request.user), DEVICES_PER_PAGE).get_page(request.GET.get("page"))
    return render(request, "control_plane/devices.html", {"page": page})


@login_required
@require_POST
def device_logout(request, device_id):
    device = (
        Device.objects.select_related("workspace__organization")
        .filter(pk=device_id, user=request.user)
        .first()
    )
    if device is None:  # someone else's, or none: the same answer
        messages.error(request, "No such device.")
        return redirect("control_plane:devices")
    try:
        device_revoke(device=device, acting_user=request.user)
    except ServiceError as refusal:
        messages.error(request, refusal_message(refusal))
    else:
        messages.success(
            request,
            f"{device.hostname or 'The device'} is logged out of {device.workspace.slug}: "
            "its next command gets no answer until it logs in again.",
        )
    return redirect("control_plane:devices")
