"""The Naming settings page (/orgs/<org>/settings/naming/): the workspace naming convention, and the
live workspaces whose ID does not follow it.

Needs `manage_policies`, like the Labels page the convention is built from; the service checks it
again and validates the convention. A refused convention comes back on the page with what was typed.
"""

from django.contrib import messages
from django.core.paginator import Paginator
from django.shortcuts import redirect, render

from organizations import services as organization_services
from organizations.errors import REFUSALS_SHOWN_IN_PLACE, form_add_refusal
from organizations.naming import FREE_PART_CLASSES
from organizations.naming_forms import NamingConventionForm
from organizations.roles import MANAGE_POLICIES
from organizations.scoping import organization_view
from organizations.selectors import naming_convention_for
from workspaces.naming import workspaces_off_convention

MANAGE_NAMING_PERMISSION = f"organizations.{MANAGE_POLICIES}"
OFF_CONVENTION_PER_PAGE = 25


def _initial(organization) -> dict:
    return {
        "convention": organization.workspace_naming_pattern,
        "description": organization.workspace_naming_description,
        "enforcement": "enforced" if organization.workspace_naming_enforced else "advisory",
    }


@organization_view(permission=MANAGE_NAMING_PERMISSION)
def naming_settings(request):
    organization = request.organization
    form = NamingConventionForm(request.POST or None, initial=_initial(organization))
    if request.method == "POST" and form.is_valid():
        try:
            organization_services.naming_convention_update(
                organization=organization,
                convention=form.cleaned_data["convention"],
                description=form.cleaned_data["description"],
                enforced=form.enforced,
                acting_user=request.user,
            )
        except REFUSALS_SHOWN_IN_PLACE as refusal:
            form_add_refusal(form, refusal)
        else:
            messages.success(
                request,
                "Naming convention saved."
                if organization.workspace_naming_pattern
                else "Naming convention removed.",
            )
            return redirect("organizations:naming", org_slug=organization.slug)
    dimensions = list(organization.dimensions.prefetch_related("values"))
    convention = naming_convention_for(organization=organization, dimensions=dimensions)
    off = workspaces_off_convention(organization=organization, convention=convention)
    page = Paginator(off, OFF_CONVENTION_PER_PAGE).get_page(request.GET.get("page"))
    return render(
        request,
        "organizations/naming.html",
        {
            "organization": organization,
            "nav": "naming",
            "form": form,
            "convention": convention,
            "dimensions": dimensions,
            "free_parts": [
                ("{name" + (f":{key}" if key else "") + "}", words)
                for key, (_, words) in FREE_PART_CLASSES.items()
            ],
            "off_count": len(off),
            "page": page,
        },
    )
