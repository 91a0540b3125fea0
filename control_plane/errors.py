"""The OAuth 2.0 refusals of the control plane's token endpoint (RFC 6749 §5.2, RFC 8628 §3.5)."""


class OAuthError(Exception):
    """`code` is the OAuth `error` value the `zenml` CLI reads; `status` the HTTP status to answer."""

    def __init__(self, code: str, description: str = "", *, status: int = 400):
        super().__init__(description or code)
        self.code, self.description, self.status = code, description, status
