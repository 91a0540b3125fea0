"""The secrets of a workspace's server, derived, never stored.

A ZenML server needs a stable JWT signing key (or every token dies when it restarts), an enrollment
secret (its OAuth2 client secret towards Atrium's control plane) and a key for its secrets store.
Each is an HMAC of the site's SECRET_KEY, the workspace's UUID, the purpose and the server record's
`secret_salt`: Atrium can hand them to the server process at start and check the enrollment secret
when the server logs in, without writing any of them down. A new salt rotates all of them.
"""

import hmac
import secrets

from django.utils.crypto import salted_hmac

JWT_KEY = "jwt"
ENROLLMENT = "enrollment"
SECRETS_STORE_KEY = "secrets-store"


def new_secret_salt() -> str:
    return secrets.token_hex(32)


def server_secret(server, purpose: str) -> str:
    """The secret `purpose` of a WorkspaceServer (a hex string of 64 characters)."""
    value = f"{server.workspace_id}:{purpose}:{server.secret_salt}"
    return salted_hmac("atrium.workspace-server", value, algorithm="sha256").hexdigest()


def enrollment_secret_matches(server, candidate: str) -> bool:
    """Is `candidate` the enrollment secret of this server (constant-time)?"""
    return bool(candidate) and hmac.compare_digest(server_secret(server, ENROLLMENT), candidate)
