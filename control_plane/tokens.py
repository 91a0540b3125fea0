"""The control plane's tokens: how they are written and read, nothing about who may hold them.

A token is `signing.dumps({"t": <AccessToken id>})` with this module's salt: tamper-proof without a
lookup, and meaningless without its row, which says whose it is, when it expires and whether it was
revoked. The signature's own timestamp bounds a token's age even if a row were edited.
"""

import uuid
from datetime import timedelta

from django.core import signing

SALT = "atrium.control_plane.token"
USER_TOKEN_LIFETIME = timedelta(minutes=60)
SERVER_TOKEN_LIFETIME = timedelta(minutes=60)
_MAX_AGE = max(USER_TOKEN_LIFETIME, SERVER_TOKEN_LIFETIME)


def token_encode(token_id: uuid.UUID) -> str:
    return signing.dumps({"t": token_id.hex}, salt=SALT, compress=False)


def token_decode(value: str) -> uuid.UUID | None:
    """The AccessToken id inside `value`, or None when it is forged, mangled or too old."""
    try:
        payload = signing.loads(value, salt=SALT, max_age=_MAX_AGE)
        return uuid.UUID(hex=payload["t"])
    except (signing.BadSignature, KeyError, TypeError, ValueError):
        return None


def bearer_token(request) -> str:
    """The token of an `Authorization: Bearer …` header, or ""."""
    scheme, _, value = request.headers.get("Authorization", "").partition(" ")
    return value.strip() if scheme.lower() == "bearer" else ""
