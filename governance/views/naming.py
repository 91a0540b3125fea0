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
from organizations.naming import (
    FREE_PART_CLASSES,
    MAX_CONVENTION_LENGTH,
    ConventionError,
    describe,
    example,
    parse_convention,
)
from organizations.naming_forms import NamingConventionForm
from organizations.roles import MANAGE_POLICIES
from organizations.scoping import organization_view
from organizations.selectors import naming_convention_for, naming_dimensions
from workspaces.naming import workspaces_off_convention

MANAGE_NAMING_PERMISSION = f"organizations.{MANAGE_POLICIES}"
OFF_CONVENTION_PER_PAGE = 25


def _initial(organization) -> dict:
    return {
        "convention": organization.workspace_naming_pattern,
        "description": organization.workspace_naming_description,
        "enforcement": "enforced" if organization.workspace_naming_enforced else "advisory",
    }


def _preview(text: str, dimensions) -> dict:
    """What the convention `text` would be, for the line under the field: its reason if it is
    refused, else how it reads and an ID that follows it."""
    text = text.strip()
    if not text:
        return {"text": ""}
    by_key = naming_dimensions(dimensions)
    try:
        tokens = parse_convention(text, dimension_keys=list(by_key))
    except ConventionError as error:
        return {"text": text, "error": error.message}
    return {"text": text, "in_words": describe(tokens, by_key), "example": example(tokens, by_key)}


@organization_view(permission=MANAGE_NAMING_PERMISSION)
def naming_settings(request):
    """The page; its POST saves the convention. An htmx GET with `convention` answers the preview line
    under the field as it is typed (nothing is saved)."""
    organization = request.organization
    dimensions = list(organization.dimensions.prefetch_related("values"))
    if request.htmx and request.method == "GET" and "convention" in request.GET:
        preview = _preview(request.GET["convention"][: MAX_CONVENTION_LENGTH + 1], dimensions)
        return render(request, "organizations/naming.html#naming-preview", {"preview": preview})
    form = NamingConventionForm(request.POST or None, initial=_initial(organization))
    form.fields["convention"].widget.attrs.update(
        {
            "hx-get": request.path,
            "hx-trigger": "input changed delay:300ms",
            "hx-target": "#naming-preview",
            "hx-swap": "outerHTML",
            "hx-sync": "this:replace",
            "aria-describedby": "id_convention_help naming-preview",
        }
    )
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
            "preview": _preview(
                form.data.get("convention", "") if form.is_bound else organization.workspace_naming_pattern,
                dimensions,
            ),
            "page": page,
        },
    )
