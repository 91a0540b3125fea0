"""How personal access tokens are written and recognised; nothing about who may hold them.

A token is `atr_pat_` and 40 random letters and digits (about 238 bits), so it survives a
double-click and a secret scanner can spot it by its prefix. Only its SHA-256 is stored: a random
token this long needs no slow hash, and a lookup by hash stays one indexed query.
"""

import hashlib
import secrets
import string

PERSONAL_ACCESS_TOKEN_PREFIX = "atr_pat_"
_ALPHABET = string.ascii_letters + string.digits
_RANDOM_LENGTH = 40
HINT_LENGTH = len(PERSONAL_ACCESS_TOKEN_PREFIX) + 4  # what lists show: "atr_pat_Ab3x"


def token_generate() -> str:
    return PERSONAL_ACCESS_TOKEN_PREFIX + "".join(secrets.choice(_ALPHABET) for _ in range(_RANDOM_LENGTH))


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def token_hint(token: str) -> str:
    return token[:HINT_LENGTH]


def looks_like_personal_access_token(value: str) -> bool:
    return value.startswith(PERSONAL_ACCESS_TOKEN_PREFIX)
