"""The one shape of the secrets Atrium hands out (personal access tokens, service-account keys, SCIM
tokens): a recognisable prefix, so a secret scanner can spot a leaked one, then random letters and
digits. Only a SHA-256 is stored: a random secret this long needs no slow hash, and a lookup by hash
stays one indexed query. Lists show a hint: the prefix and four characters."""

import hashlib
import secrets
import string
from dataclasses import dataclass

_ALPHABET = string.ascii_letters + string.digits


@dataclass(frozen=True)
class SecretFormat:
    prefix: str
    random_length: int = 40

    def generate(self) -> str:
        return self.prefix + "".join(secrets.choice(_ALPHABET) for _ in range(self.random_length))

    @staticmethod
    def digest(value: str) -> str:
        return hashlib.sha256(value.encode()).hexdigest()

    def hint(self, value: str) -> str:
        return value[: len(self.prefix) + 4]

    def recognises(self, value: str) -> bool:
        return value.startswith(self.prefix)
