"""Who is calling the organization API: a personal access token, a service account's API key, or
the browser's session.

`request.auth` is the acting user (a service account's key acts as the service account's user), and
`request.api_credential` the token or key (None for a session). A request that presents a bearer token is decided by that token alone: a bad, revoked or
expired one answers 401 at once, whatever session cookie comes with it. Sessions need CSRF on
writes, as Django's own forms do; tokens are not sent by browsers on their own, so they need none.
"""

from django.http import HttpRequest
from ninja.errors import AuthenticationError
from ninja.security import HttpBearer, SessionAuth

from organizations.audit import audit_credential, client_ip
from service_accounts.keys import looks_like_api_key
from service_accounts.services import KeyRefused, service_account_key_use

from .services import CredentialRefused, personal_access_token_use
from .tokens import looks_like_personal_access_token


class PersonalAccessTokenAuth(HttpBearer):
    """`Authorization: Bearer atr_pat_…` (a person's token) or `Bearer ZENPROKEY_…` (a service
    account's API key)."""

    openapi_description = (
        "A personal access token from /accounts/tokens/ (atr_pat_…), or a service account's API key "
        "from the organization's settings (ZENPROKEY_…)."
    )

    def authenticate(self, request: HttpRequest, token: str):
        try:
            if looks_like_personal_access_token(token):
                credential = personal_access_token_use(token, ip_address=client_ip(request))
                user = credential.user
            elif looks_like_api_key(token):
                credential = service_account_key_use(token, ip_address=client_ip(request))
                user = credential.service_account.user
            else:
                raise AuthenticationError(message="Bad credentials: not a personal access token or API key.")
        except (CredentialRefused, KeyRefused) as refusal:
            raise AuthenticationError(message=refusal.message) from refusal
        request.api_credential = credential
        audit_credential(credential)  # so this request's writes are audited as the token or key
        return user


class BrowserSessionAuth(SessionAuth):
    """The signed-in browser's session cookie, with CSRF on writes. Never used when the request
    brings an Authorization header: that credential decides alone."""

    def __call__(self, request: HttpRequest):
        if request.headers.get("Authorization"):
            raise AuthenticationError(message="Bad credentials: use Authorization: Bearer atr_pat_….")
        return super().__call__(request)

    def authenticate(self, request: HttpRequest, key):
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated and user.is_active:
            request.api_credential = None
            return user
        return None


def credential_key(request: HttpRequest) -> str:
    """The credential a request authenticated with, as a stable key (for throttling and idempotency)."""
    credential = getattr(request, "api_credential", None)
    if credential is not None:
        return f"{credential.audit_actor_type}:{credential.pk}"  # "token:<id>", "service_account:<id>"
    return f"session:{request.auth.pk}"
