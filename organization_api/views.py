"""The personal access tokens page (/accounts/tokens/), and the API's JSON 404."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import JsonResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from organizations.errors import NotFoundError, ServiceError, form_add_refusal

from .forms import TokenCreateForm
from .selectors import personal_access_token_list
from .services import personal_access_token_create, personal_access_token_revoke


@login_required
def tokens(request):
    """List one's tokens and create one. A new token is shown once, on the page the creating POST
    answers (never stored, not even in the session), so reloading that page does not show it again."""
    form = TokenCreateForm()
    created = secret = None
    if request.method == "POST":
        form = TokenCreateForm(request.POST)
        if form.is_valid():
            try:
                created, secret = personal_access_token_create(
                    name=form.cleaned_data["name"],
                    expires_at=form.cleaned_data["expires_at"],
                    acting_user=request.user,
                )
            except ServiceError as refusal:
                form_add_refusal(form, refusal)
            else:
                form = TokenCreateForm()
    response = render(
        request,
        "organization_api/tokens.html",
        {
            "form": form,
            "created": created,
            "secret": secret,
            "tokens": personal_access_token_list(user=request.user),
        },
    )
    if secret:
        response["Cache-Control"] = "no-store"  # the token must not linger in a cache
    return response


@login_required
@require_POST
def token_revoke(request, token_id: int):
    try:
        token = personal_access_token_revoke(token_id=token_id, acting_user=request.user)
    except NotFoundError:
        messages.error(request, "No such token.")
    else:
        messages.success(request, f"Token “{token.name}” revoked. Anything still using it now gets 401.")
    return redirect("tokens")


def api_not_found(request, rest: str):
    body = {"error": {"code": "not_found", "message": f"No API route at /api/{rest}.", "field": None}}
    return JsonResponse(body, status=404)


def api_method_not_allowed(request, *, allowed: str):
    body = {
        "error": {
            "code": "method_not_allowed",
            "message": f"{request.method} is not allowed here; use {allowed}.",
            "field": None,
        }
    }
    response = JsonResponse(body, status=405)
    response["Allow"] = allowed
    return response
