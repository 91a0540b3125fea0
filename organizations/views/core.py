from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.shortcuts import redirect, render
from django.utils import timezone

from .. import services
from ..errors import REFUSALS_SHOWN_IN_PLACE, form_add_refusal
from ..forms import OrganizationCreateForm, OrganizationSettingsForm
from ..models import Membership, Organization
from ..roles import CHANGE_ORGANIZATION
from ..scoping import organization_view
from ..services.organizations import DUPLICATE_CREATE_WINDOW


def home(request):
    """The site root: the last organization visited, or the first, or the invitation to create one."""
    if not request.user.is_authenticated:
        return redirect("login")
    memberships = Membership.objects.active().filter(user=request.user).select_related("organization")
    last = request.session.get("last_organization")
    slugs = [m.organization.slug for m in memberships.order_by("organization__name")]
    if last in slugs:
        return redirect("organizations:home", org_slug=last)
    if slugs:
        return redirect("organizations:home", org_slug=slugs[0])
    return redirect("organizations:create")


@login_required
def organization_create(request):
    # An organization created in the last moments is left out: submitting its name again is a double
    # submit, which the service answers with that organization.
    own = (
        Organization.objects.filter(memberships__user=request.user)
        .exclude(
            name=request.POST.get("name", "").strip(),
            created_at__gte=timezone.now() - DUPLICATE_CREATE_WINDOW,
        )
        .order_by("name")
    )
    form = OrganizationCreateForm(request.POST or None, own_organizations=own)
    if request.method == "POST" and form.is_valid():
        try:
            organization = services.organization_create(
                name=form.cleaned_data["name"], acting_user=request.user
            )
        except REFUSALS_SHOWN_IN_PLACE as refusal:
            form_add_refusal(form, refusal)
        else:
            messages.success(request, f"Organization “{organization.name}” created. You are its Owner.")
            return redirect("organizations:home", org_slug=organization.slug)
    has_organization = Membership.objects.active().filter(user=request.user).exists()
    context = {"form": form, "has_organization": has_organization, "same_name": form.same_name}
    return render(request, "organizations/create.html", context)


@organization_view(permission=f"organizations.{CHANGE_ORGANIZATION}")
def organization_settings(request):
    organization = request.organization
    initial = {"name": organization.name, "description": organization.description}
    form = OrganizationSettingsForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            services.organization_update(
                organization=organization,
                name=form.cleaned_data["name"],
                description=form.cleaned_data["description"],
                acting_user=request.user,
            )
        except REFUSALS_SHOWN_IN_PLACE as refusal:
            form_add_refusal(form, refusal)
        else:
            messages.success(request, "Organization settings saved.")
            return redirect("organizations:settings", org_slug=organization.slug)
    return render(
        request,
        "organizations/settings_general.html",
        {"form": form, "organization": organization, "nav": "settings"},
    )
