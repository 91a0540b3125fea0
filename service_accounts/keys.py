"""How service-account API keys are written and recognised; nothing about who may hold them.

A key is `ZENPROKEY_` and 48 random letters and digits: the prefix is the one the `zenml` command
line expects of a ZenML Pro API key (`zenml login <workspace> --api-key`), and lets a secret scanner
spot a leaked key (config.secret_tokens).
"""

from config.secret_tokens import SecretFormat

API_KEY = SecretFormat("ZENPROKEY_", random_length=48)

key_generate = API_KEY.generate
key_hash = API_KEY.digest
key_hint = API_KEY.hint
looks_like_api_key = API_KEY.recognises
