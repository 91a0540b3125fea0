"""Every change the control plane makes, one function each (see each module)."""

from .access_tokens import (
    api_key_as_token,
    api_key_token_issue,
    person_server_token_issue,
    server_token_issue,
    server_user_authorize,
    server_workspace_for,
    service_identity_authorize,
    service_token_issue,
    workspace_admin_level,
)
from .devices import (
    device_approve,
    device_authorization_start,
    device_deny,
    device_for_user_code,
    device_revoke,
    device_token_exchange,
)
from .usage import usage_event_record

__all__ = [
    "api_key_as_token",
    "api_key_token_issue",
    "person_server_token_issue",
    "service_identity_authorize",
    "service_token_issue",
    "device_approve",
    "device_authorization_start",
    "device_deny",
    "device_for_user_code",
    "device_revoke",
    "device_token_exchange",
    "server_token_issue",
    "server_user_authorize",
    "server_workspace_for",
    "usage_event_record",
    "workspace_admin_level",
]
