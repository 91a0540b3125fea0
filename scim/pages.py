"""The SCIM settings page of an organization (/orgs/<org>/settings/scim/): its SCIM tokens and the
base URL to paste into the identity provider.

Reading it needs `manage_members` (a SCIM token creates and removes members); every change is a
service, which checks again and audits. A new token is shown once, on the page the creating POST
answers (never stored, not even in the session).
"""

from django.contrib import messages
from django.http import Http404
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from config.site import site_url
from organizations.errors import REFUSALS_SHOWN_IN_PLACE, form_add_refusal
from organizations.roles import MANAGE_MEMBERS
from organizations.scoping import organization_view

from . import services
from .forms import ScimTokenCreateForm
from .selectors import scim_token_get, scim_token_list

PERMISSION = f"organizations.{MANAGE_MEMBERS}"


@organization_view(permission=PERMISSION)
def scim_settings(request):
    """The tokens and the base URL; a POST here creates a token and shows it once."""
    form = ScimTokenCreateForm(request.POST or None)
    created = secret = None
    if request.method == "POST" and form.is_valid():
        try:
            created, secret = services.scim_token_create(
                organization=request.organization, name=form.cleaned_data["name"], acting_user=request.user
            )
        except REFUSALS_SHOWN_IN_PLACE as refusal:
            form_add_refusal(form, refusal)
        else:
            form = ScimTokenCreateForm()
    response = render(
        request,
        "scim/settings.html",
        {
            "organization": request.organization,
            "nav": "scim",
            "form": form,
            "tokens": scim_token_list(organization=request.organization),
            "base_url": site_url("/scim/v2"),
            "created": created,
            "secret": secret,
        },
    )
    if secret:
        response["Cache-Control"] = "no-store"  # the token must not linger in a cache
    return response


@organization_view(permission=PERMISSION)
@require_POST
def scim_token_revoke(request, scim_token_id: int):
    token = scim_token_get(organization=request.organization, token_id=scim_token_id)
    if token is None:
        raise Http404("No such SCIM token.")
    services.scim_token_revoke(token=token, acting_user=request.user)
    messages.success(request, f"SCIM token “{token.name}” ({token.hint}…) revoked. Its next call gets 401.")
    return redirect("organizations:scim_settings", request.organization.slug)
