"""The Labels page of an organization (/orgs/<org>/settings/dimensions/): its dimensions and their values.

One page holds every form: adding a dimension, and per dimension editing it, moving it, removing it and
adding a value; per value editing, moving and removing it. Each form posts to its own URL; a refused or
invalid form comes back on the same page, bound (what was typed stays) and opened where it was. Moves
work as plain POSTs, and with htmx swap only the list. Removing a value has its own page, which asks
what the workspaces holding it get instead. All of it needs `manage_policies`; the services check it
again and decide everything else.
"""

from django.contrib import messages
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_POST

from organizations import services as organization_services
from organizations.dimension_forms import (
    DimensionEditForm,
    DimensionForm,
    DimensionValueForm,
    DimensionValueRemoveForm,
)
from organizations.errors import REFUSALS_SHOWN_IN_PLACE, form_add_refusal, refusal_message
from organizations.models import Dimension, DimensionValue
from organizations.roles import MANAGE_POLICIES
from organizations.scoping import organization_view

from .. import services
from ..policy_forms import DimensionValuePolicyForm
from ..selectors import dimension_list_with_usage, dimension_value_usage

MANAGE_DIMENSIONS_PERMISSION = f"organizations.{MANAGE_POLICIES}"


def _dimension_or_404(request, dimension_id: int) -> Dimension:
    dimension = Dimension.objects.filter(organization=request.organization, pk=dimension_id).first()
    if dimension is None:
        raise Http404("No such dimension.")
    return dimension


def _value_or_404(request, value_id: int) -> DimensionValue:
    value = (
        DimensionValue.objects.select_related("dimension")
        .filter(dimension__organization=request.organization, pk=value_id)
        .first()
    )
    if value is None:
        raise Http404("No such value.")
    return value


def _page_url(organization, anchor: str = "") -> str:
    url = reverse("organizations:dimensions", args=[organization.slug])
    return f"{url}#{anchor}" if anchor else url


def _dimension_form(dimension, data=None) -> DimensionEditForm:
    initial = {"name": dimension.name, "key": dimension.key, "required": dimension.required}
    return DimensionEditForm(data, initial=initial, prefix=f"dimension-{dimension.pk}")


def _value_form(value, follows_teams: bool, data=None) -> DimensionValueForm:
    initial = {"name": value.label, "key": value.value, "color": value.color}
    return DimensionValueForm(data, initial=initial, prefix=f"value-{value.pk}", follows_teams=follows_teams)


def _new_value_form(dimension, data=None) -> DimensionValueForm:
    """The compact "add a value" row: its fields say what they are in their placeholders."""
    form = DimensionValueForm(data, prefix=f"new-value-{dimension.pk}")
    form.fields["name"].widget.attrs["placeholder"] = f"New value of {dimension.name}"
    form.fields["key"].widget.attrs["placeholder"] = "Key (optional)"
    return form


def _context(request, bound: dict | None = None) -> dict:
    """Everything the page shows; `bound` replaces the blank form of one object by the one that was
    posted ("new-dimension", "dimension-<pk>", "new-value-<pk>" or "value-<pk>")."""
    bound = bound or {}
    organization = request.organization
    dimensions = dimension_list_with_usage(organization=organization)
    for dimension in dimensions:
        dimension.edit_form = bound.get(f"dimension-{dimension.pk}") or _dimension_form(dimension)
        dimension.edit_open = f"dimension-{dimension.pk}" in bound
        dimension.new_value_form = bound.get(f"new-value-{dimension.pk}") or _new_value_form(dimension)
        for value in dimension.values.all():
            value.edit_form = bound.get(f"value-{value.pk}") or _value_form(value, dimension.follows_teams)
            value.edit_open = f"value-{value.pk}" in bound
    return {
        "organization": organization,
        "nav": "dimensions",
        "dimensions": dimensions,
        "new_dimension_form": bound.get("new-dimension") or DimensionForm(prefix="new-dimension"),
    }


def _page(request, bound: dict | None = None):
    if request.htmx and not bound:
        return render(request, "organizations/dimensions.html#dimension-list", _context(request))
    return render(request, "organizations/dimensions.html", _context(request, bound))


@organization_view(permission=MANAGE_DIMENSIONS_PERMISSION)
def dimension_list(request):
    """The page; its POST adds a dimension."""
    if request.method != "POST":
        return _page(request)
    form = DimensionForm(request.POST, prefix="new-dimension")
    if form.is_valid():
        try:
            dimension = organization_services.dimension_create(
                organization=request.organization, acting_user=request.user, **form.cleaned_data
            )
        except REFUSALS_SHOWN_IN_PLACE as refusal:
            form_add_refusal(form, refusal)
        else:
            messages.success(request, f"Dimension “{dimension.name}” added. Now give it values.")
            return redirect(_page_url(request.organization, f"dimension-{dimension.pk}"))
    return _page(request, {"new-dimension": form})


@require_POST
@organization_view(permission=MANAGE_DIMENSIONS_PERMISSION)
def dimension_edit(request, dimension_id):
    dimension = _dimension_or_404(request, dimension_id)
    form = _dimension_form(dimension, request.POST)
    if form.is_valid():
        try:
            organization_services.dimension_update(
                dimension=dimension, acting_user=request.user, **form.cleaned_data
            )
        except REFUSALS_SHOWN_IN_PLACE as refusal:
            form_add_refusal(form, refusal)
            dimension.refresh_from_db()  # the page shows what is saved, the form what was typed
        else:
            messages.success(request, f"Dimension “{dimension.name}” saved.")
            return redirect(_page_url(request.organization, f"dimension-{dimension.pk}"))
    return _page(request, {f"dimension-{dimension.pk}": form})


def _moved(request, move, anchor: str):
    try:
        move(direction=request.POST.get("direction", ""), acting_user=request.user)
    except REFUSALS_SHOWN_IN_PLACE as refusal:
        messages.error(request, refusal_message(refusal))
    if request.htmx:
        return _page(request)
    return redirect(_page_url(request.organization, anchor))


@require_POST
@organization_view(permission=MANAGE_DIMENSIONS_PERMISSION)
def dimension_move(request, dimension_id):
    dimension = _dimension_or_404(request, dimension_id)
    return _moved(
        request,
        lambda **kwargs: organization_services.dimension_move(dimension=dimension, **kwargs),
        f"dimension-{dimension.pk}",
    )


@require_POST
@organization_view(permission=MANAGE_DIMENSIONS_PERMISSION)
def dimension_delete(request, dimension_id):
    dimension = _dimension_or_404(request, dimension_id)
    try:
        relabelled = services.dimension_delete(dimension=dimension, acting_user=request.user)
    except REFUSALS_SHOWN_IN_PLACE as refusal:
        messages.error(request, refusal_message(refusal))
        return redirect(_page_url(request.organization, f"dimension-{dimension.pk}"))
    held = f" {relabelled} workspace{'s' if relabelled != 1 else ''} lost that label." if relabelled else ""
    messages.success(request, f"Dimension “{dimension.name}” removed.{held}")
    return redirect(_page_url(request.organization))


@require_POST
@organization_view(permission=MANAGE_DIMENSIONS_PERMISSION)
def dimension_value_add(request, dimension_id):
    dimension = _dimension_or_404(request, dimension_id)
    form = _new_value_form(dimension, request.POST)
    if form.is_valid():
        try:
            value = organization_services.dimension_value_create(
                dimension=dimension,
                label=form.cleaned_data["name"],
                key=form.cleaned_data["key"],
                color=form.cleaned_data["color"],
                acting_user=request.user,
            )
        except REFUSALS_SHOWN_IN_PLACE as refusal:
            form_add_refusal(form, refusal)
        else:
            messages.success(request, f"“{value.label}” added to {dimension.name}.")
            return redirect(_page_url(request.organization, f"dimension-{dimension.pk}"))
    return _page(request, {f"new-value-{dimension.pk}": form})


@require_POST
@organization_view(permission=MANAGE_DIMENSIONS_PERMISSION)
def dimension_value_edit(request, value_id):
    value = _value_or_404(request, value_id)
    form = _value_form(value, value.dimension.follows_teams, request.POST)
    if form.is_valid():
        try:
            organization_services.dimension_value_update(
                value=value,
                label=form.cleaned_data["name"],
                key=form.cleaned_data["key"],
                color=form.cleaned_data["color"],
                acting_user=request.user,
            )
        except REFUSALS_SHOWN_IN_PLACE as refusal:
            form_add_refusal(form, refusal)
        else:
            messages.success(request, f"“{value.label}” saved.")
            return redirect(_page_url(request.organization, f"value-{value.pk}"))
    return _page(request, {f"value-{value.pk}": form})


@require_POST
@organization_view(permission=MANAGE_DIMENSIONS_PERMISSION)
def dimension_value_move(request, value_id):
    value = _value_or_404(request, value_id)
    return _moved(
        request,
        lambda **kwargs: organization_services.dimension_value_move(value=value, **kwargs),
        f"value-{value.pk}",
    )


@organization_view(permission=MANAGE_DIMENSIONS_PERMISSION)
def dimension_value_remove(request, value_id):
    """Removing a value: first what the workspaces holding it get instead, then the removal."""
    value = _value_or_404(request, value_id)
    dimension = value.dimension
    if dimension.follows_teams:
        messages.info(
            request, f"“{value.label}” is a team: it goes when the team is deleted, on the Teams page."
        )
        return redirect(_page_url(request.organization, f"value-{value.pk}"))
    others = list(dimension.values.exclude(pk=value.pk))
    in_use = dimension_value_usage(value=value)
    form = DimensionValueRemoveForm(
        request.POST if request.method == "POST" else None,
        value=value,
        others=others,
        required=dimension.required,
        in_use=in_use > 0,
    )
    if request.method == "POST" and form.is_valid():
        chosen = form.cleaned_data["replacement"]
        replacement = next((other for other in others if str(other.pk) == chosen), None)
        try:
            relabelled = services.dimension_value_delete(
                value=value, replacement=replacement, acting_user=request.user
            )
        except REFUSALS_SHOWN_IN_PLACE as refusal:
            form_add_refusal(form, refusal)
        else:
            done = f"“{value.label}” removed from {dimension.name}."
            if relabelled:
                now = f"“{replacement.label}”" if replacement else f"no {dimension.name.lower()} value"
                done += f" {relabelled} workspace{'s' if relabelled != 1 else ''} now ha{'ve' if relabelled != 1 else 's'} {now}."
            messages.success(request, done)
            return redirect(_page_url(request.organization, f"dimension-{dimension.pk}"))
    return render(
        request,
        "organizations/dimension_value_remove.html",
        {
            "organization": request.organization,
            "nav": "dimensions",
            "dimension": dimension,
            "value": value,
            "in_use": in_use,
            "form": form,
            "impossible": dimension.required and in_use > 0 and not others,
        },
    )


@organization_view(permission=MANAGE_DIMENSIONS_PERMISSION)
def dimension_value_policy(request, value_id):
    """A value's policies: protected, access-review cadence, the roles that may be granted."""
    value = _value_or_404(request, value_id)
    initial = {
        "protected": value.protected,
        "review_cadence_days": value.review_cadence_days,
        "grantable_roles": value.grantable_roles,
    }
    form = DimensionValuePolicyForm(request.POST if request.method == "POST" else None, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            services.dimension_value_policy_update(value=value, acting_user=request.user, **form.cleaned_data)
        except REFUSALS_SHOWN_IN_PLACE as refusal:
            form_add_refusal(form, refusal)
        else:
            held = dimension_value_usage(value=value)
            messages.success(
                request,
                f"Policy of “{value.label}” saved; it applies now to the {held} workspace{'s' if held != 1 else ''} "
                "holding it.",
            )
            return redirect(_page_url(request.organization, f"value-{value.pk}"))
    return render(
        request,
        "organizations/dimension_value_policy.html",
        {
            "organization": request.organization,
            "nav": "dimensions",
            "dimension": value.dimension,
            "value": value,
            "in_use": dimension_value_usage(value=value),
            "form": form,
        },
    )
