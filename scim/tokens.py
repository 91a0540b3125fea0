"""How SCIM tokens are written and recognised; nothing about who may hold them.

A token is `atr_scim_` and 40 random letters and digits, stored as a SHA-256 only, like every secret
Atrium hands out (config.secret_tokens).
"""

from config.secret_tokens import SecretFormat

SCIM_TOKEN = SecretFormat("atr_scim_")

scim_token_generate = SCIM_TOKEN.generate
scim_token_hash = SCIM_TOKEN.digest
scim_token_hint = SCIM_TOKEN.hint
looks_like_scim_token = SCIM_TOKEN.recognises
