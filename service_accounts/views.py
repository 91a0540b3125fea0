"""The service accounts pages of an organization (/orgs/<org>/settings/service-accounts/).

Reading them needs `manage_members`; every change is a service, which checks again and audits. A new
key is shown once, on the page the creating POST answers (never stored, not even in the session).
"""

from datetime import timedelta

from django.contrib import messages
from django.http import Http404
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from organizations.errors import REFUSALS_SHOWN_IN_PLACE, ServiceError, form_add_refusal
from organizations.roles import MANAGE_MEMBERS
from organizations.scoping import organization_view

from . import services
from .forms import ServiceAccountCreateForm, ServiceAccountKeyCreateForm, ServiceAccountKeyRotateForm
from .selectors import service_account_get, service_account_key_get, service_account_list

PERMISSION = f"organizations.{MANAGE_MEMBERS}"


def _service_account(request, service_account_id):
    service_account = service_account_get(
        organization=request.organization, service_account_id=service_account_id
    )
    if service_account is None:
        raise Http404("No such service account.")
    return service_account


def _key(request, service_account_id, key_id):
    key = service_account_key_get(
        service_account=_service_account(request, service_account_id), key_id=key_id
    )
    if key is None:
        raise Http404("No such key.")
    return key


@organization_view(permission=PERMISSION)
def service_account_list_view(request):
    form = ServiceAccountCreateForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            service_account = services.service_account_create(
                organization=request.organization,
                name=form.cleaned_data["name"],
                description=form.cleaned_data["description"],
                role=form.cleaned_data["role"],
                acting_user=request.user,
            )
        except REFUSALS_SHOWN_IN_PLACE as refusal:
            form_add_refusal(form, refusal)
        else:
            messages.success(request, f"Service account “{service_account.name}” created. Give it a key.")
            return redirect("organizations:service_account", request.organization.slug, service_account.pk)
    context = {
        "organization": request.organization,
        "nav": "service_accounts",
        "form": form,
        "service_accounts": service_account_list(organization=request.organization),
    }
    return render(request, "service_accounts/list.html", context)


@organization_view(permission=PERMISSION)
def service_account_detail(request, service_account_id: int):
    """One service account and its keys; a POST here creates a key and shows it once."""
    service_account = _service_account(request, service_account_id)
    form = ServiceAccountKeyCreateForm(request.POST or None)
    created = secret = None
    if request.method == "POST" and form.is_valid():
        try:
            created, secret = services.service_account_key_create(
                service_account=service_account, name=form.cleaned_data["name"], acting_user=request.user
            )
        except REFUSALS_SHOWN_IN_PLACE as refusal:
            form_add_refusal(form, refusal)
        else:
            form = ServiceAccountKeyCreateForm()
            service_account = _service_account(request, service_account_id)
    return _detail(request, service_account, form=form, created=created, secret=secret)


def _detail(request, service_account, *, form=None, created=None, secret=None, rotated_from=None):
    response = render(
        request,
        "service_accounts/detail.html",
        {
            "organization": request.organization,
            "nav": "service_accounts",
            "service_account": service_account,
            "form": form or ServiceAccountKeyCreateForm(),
            "rotate_form": ServiceAccountKeyRotateForm(),
            "created": created,
            "secret": secret,
            "rotated_from": rotated_from,
        },
    )
    if secret:
        response["Cache-Control"] = "no-store"  # the key must not linger in a cache
    return response


@organization_view(permission=PERMISSION)
@require_POST
def service_account_deactivate(request, service_account_id: int):
    service_account = _service_account(request, service_account_id)
    if request.POST.get("reactivate"):
        services.service_account_reactivate(service_account=service_account, acting_user=request.user)
        messages.success(request, f"“{service_account.name}” reactivated: its live keys work again.")
    else:
        services.service_account_deactivate(service_account=service_account, acting_user=request.user)
        messages.success(request, f"“{service_account.name}” deactivated: its keys now get 401.")
    return redirect("organizations:service_account", request.organization.slug, service_account.pk)


@organization_view(permission=PERMISSION)
@require_POST
def service_account_key_rotate(request, service_account_id: int, key_id: int):
    key = _key(request, service_account_id, key_id)
    form = ServiceAccountKeyRotateForm(request.POST)
    if not form.is_valid():
        messages.error(request, "Choose a grace period between 0 and 168 hours.")
        return redirect("organizations:service_account", request.organization.slug, service_account_id)
    try:
        created, secret = services.service_account_key_rotate(
            key=key, acting_user=request.user, grace_period=timedelta(hours=form.cleaned_data["grace_hours"])
        )
    except ServiceError as refusal:
        messages.error(request, refusal.message)
        return redirect("organizations:service_account", request.organization.slug, service_account_id)
    service_account = _service_account(request, service_account_id)
    return _detail(request, service_account, created=created, secret=secret, rotated_from=key)


@organization_view(permission=PERMISSION)
@require_POST
def service_account_key_revoke(request, service_account_id: int, key_id: int):
    key = services.service_account_key_revoke(
        key=_key(request, service_account_id, key_id), acting_user=request.user
    )
    messages.success(
        request, f"Key “{key.name}” ({key.hint}…) revoked. Anything still using it now gets 401."
    )
    return redirect("organizations:service_account", request.organization.slug, service_account_id)
