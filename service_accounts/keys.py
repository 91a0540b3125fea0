"""How service-account API keys are written and recognised; nothing about who may hold them.

A key is `ZENPROKEY_` and 48 random letters and digits: the prefix is the one the `zenml` command
line expects of a ZenML Pro API key (`zenml login <workspace> --api-key`), and lets a secret scanner
spot a leaked key. Only its SHA-256 is stored, as for personal access tokens.
"""

import hashlib
import secrets
import string

API_KEY_PREFIX = "ZENPROKEY_"
_ALPHABET = string.ascii_letters + string.digits
_RANDOM_LENGTH = 48
HINT_LENGTH = len(API_KEY_PREFIX) + 4  # what lists show: "ZENPROKEY_Ab3x"


def key_generate() -> str:
    return API_KEY_PREFIX + "".join(secrets.choice(_ALPHABET) for _ in range(_RANDOM_LENGTH))


def key_hash(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()


def key_hint(key: str) -> str:
    return key[:HINT_LENGTH]


def looks_like_api_key(value: str) -> bool:
    return value.startswith(API_KEY_PREFIX)
