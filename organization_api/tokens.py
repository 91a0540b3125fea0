"""How personal access tokens are written and recognised; nothing about who may hold them.

A token is `atr_pat_` and 40 random letters and digits (about 238 bits), so it survives a
double-click and a secret scanner can spot it by its prefix (config.secret_tokens).
"""

from config.secret_tokens import SecretFormat

PERSONAL_ACCESS_TOKEN = SecretFormat("atr_pat_")

token_generate = PERSONAL_ACCESS_TOKEN.generate
token_hash = PERSONAL_ACCESS_TOKEN.digest
token_hint = PERSONAL_ACCESS_TOKEN.hint
looks_like_personal_access_token = PERSONAL_ACCESS_TOKEN.recognises
