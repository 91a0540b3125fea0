"""Roles pages of an organization: the predefined roles, and custom workspace roles with their grid.

Any member may read them; creating, editing and deleting custom roles needs
`organizations.manage_policies`.
"""

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.db import IntegrityError
from django.http import HttpResponseBadRequest
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_POST

from config.page_cache import cached_page
from organizations.errors import REFUSALS_SHOWN_IN_PLACE, form_add_refusal, refusal_message
from organizations.roles import MANAGE_POLICIES, ORGANIZATION_ROLES
from organizations.scoping import organization_view

from .. import services
from ..models import WorkspaceCustomRole
from ..role_forms import CustomRoleCreateForm, RoleCellForm, RoleGridForm
from ..roles import ACTIONS, RESOURCES, WORKSPACE_ROLES, cell
from ..selectors import custom_role_holders, custom_role_list

MANAGE_ROLES = f"organizations.{MANAGE_POLICIES}"
PER_PAGE = 50


def _custom_role_or_404(request, role_id) -> WorkspaceCustomRole:
    # Scoped to the organization of the URL: another organization's role answers 404.
    return get_object_or_404(WorkspaceCustomRole, organization=request.organization, pk=role_id)


def _grid_cell(resource: str, resource_label: str, action: str, action_label: str, role) -> dict:
    code = cell(resource, action)
    base = WORKSPACE_ROLES[role.base_role].matrix
    return {
        "resource": resource,
        "action": action,
        "code": code,
        "granted": code in role.matrix,
        "changed": (code in role.matrix) != (code in base),
        "label": f"{action_label} {resource_label.lower()}",
    }


def _grid(role) -> list[dict]:
    return [
        {
            "key": resource,
            "label": resource_label,
            "cells": [_grid_cell(resource, resource_label, a, a_label, role) for a, a_label in ACTIONS],
        }
        for resource, resource_label in RESOURCES
    ]


@cached_page
@organization_view()
def role_list(request):
    organization = request.organization
    may_manage = request.access.can(MANAGE_ROLES)
    form = CustomRoleCreateForm(request.POST or None)
    if request.method == "POST":
        if not may_manage:
            raise PermissionDenied
        if form.is_valid():
            try:
                role = services.custom_role_create(
                    organization=organization, acting_user=request.user, **form.cleaned_data
                )
            except REFUSALS_SHOWN_IN_PLACE as error:
                form_add_refusal(form, error)
            except IntegrityError:  # created by someone else a moment ago
                form.add_error("name", "A role with this name already exists.")
            else:
                messages.success(request, f"Role “{role.name}” created. Adjust its permissions below.")
                return redirect("workspaces:role", org_slug=organization.slug, role_id=role.pk)
    custom_roles = custom_role_list(access=request.access)
    context = {
        "organization": organization,
        "nav": "roles",
        "page": Paginator(custom_roles, PER_PAGE).get_page(request.GET.get("page")),
        "workspace_roles": WORKSPACE_ROLES.values(),
        "organization_roles": ORGANIZATION_ROLES.values(),
        "form": form,
        "may_manage": may_manage,
    }
    return render(request, "workspaces/roles.html", context)


@organization_view()
def role_detail(request, role_id):
    role = _custom_role_or_404(request, role_id)
    may_manage = request.access.can(MANAGE_ROLES)
    if request.method == "POST":  # the whole grid, from the Save button of browsers without JavaScript
        if not may_manage:
            raise PermissionDenied
        form = RoleGridForm(request.POST)
        if not form.is_valid():
            messages.error(
                request, "Some of the boxes sent are not permissions of this grid; nothing was saved."
            )
        else:
            changes = form.changes(role.matrix)
            role = services.custom_role_set_cells(role=role, changes=changes, acting_user=request.user)
            if changes:
                messages.success(
                    request,
                    f"Saved {len(changes)} change{'s' if len(changes) != 1 else ''} to “{role.name}”.",
                )
            else:
                messages.info(request, "Nothing changed.")
        return redirect("workspaces:role", org_slug=request.organization.slug, role_id=role.pk)
    holders = custom_role_holders(role=role, access=request.access)
    context = {
        "organization": request.organization,
        "nav": "roles",
        "role": role,
        "base_role": WORKSPACE_ROLES[role.base_role],
        "actions": ACTIONS,
        "grid": _grid(role),
        "page": Paginator(holders, PER_PAGE).get_page(request.GET.get("page")),
        "may_manage": may_manage,
    }
    return render(request, "workspaces/role_detail.html", context)


@organization_view(permission=MANAGE_ROLES)
@require_POST
def role_cell(request, role_id):
    """Toggle one resource × action cell; answers the cell's partial (htmx) or goes back to the grid."""
    role = _custom_role_or_404(request, role_id)
    form = RoleCellForm(request.POST)
    if not form.is_valid():
        if request.htmx:
            return HttpResponseBadRequest("Unknown resource or action.")
        messages.error(request, "That permission is not part of the grid; nothing was saved.")
        return redirect("workspaces:role", org_slug=request.organization.slug, role_id=role.pk)
    resource, action, granted = (form.cleaned_data[k] for k in ("resource", "action", "granted"))
    role = services.custom_role_set_cell(
        role=role, resource=resource, action=action, granted=granted, acting_user=request.user
    )
    resource_label, action_label = dict(RESOURCES)[resource], dict(ACTIONS)[action]
    status = f"{action_label} {resource_label.lower()}: {'granted' if granted else 'removed'}."
    if not request.htmx:
        messages.success(request, f"“{role.name}”: {status}")
        return redirect("workspaces:role", org_slug=request.organization.slug, role_id=role.pk)
    context = {
        "organization": request.organization,
        "role": role,
        "c": _grid_cell(resource, resource_label, action, action_label, role),
        "may_manage": True,
        "status": status,
    }
    return render(request, "workspaces/role_detail.html#cell-response", context)


@organization_view()
@require_POST
def role_delete(request, role_id):
    role = _custom_role_or_404(request, role_id)
    try:
        services.custom_role_delete(role=role, acting_user=request.user)
    except REFUSALS_SHOWN_IN_PLACE as error:  # still assigned: the message names who holds it
        messages.error(request, refusal_message(error))
        return redirect("workspaces:role", org_slug=request.organization.slug, role_id=role.pk)
    messages.success(request, f"Role “{role.name}” deleted.")
    return redirect("workspaces:roles", org_slug=request.organization.slug)
