"""How SCIM tokens are written and recognised; nothing about who may hold them.

A token is `atr_scim_` and 40 random letters and digits, so a secret scanner can spot it by its
prefix. Only its SHA-256 is stored, as for personal access tokens (organization_api.tokens).
"""

import hashlib
import secrets
import string

SCIM_TOKEN_PREFIX = "atr_scim_"
_ALPHABET = string.ascii_letters + string.digits
_RANDOM_LENGTH = 40
HINT_LENGTH = len(SCIM_TOKEN_PREFIX) + 4  # what lists show: "atr_scim_Ab3x"


def scim_token_generate() -> str:
    return SCIM_TOKEN_PREFIX + "".join(secrets.choice(_ALPHABET) for _ in range(_RANDOM_LENGTH))


def scim_token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def scim_token_hint(token: str) -> str:
    return token[:HINT_LENGTH]


def looks_like_scim_token(value: str) -> bool:
    return value.startswith(SCIM_TOKEN_PREFIX)
