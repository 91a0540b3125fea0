"""Which account a log-in attempt counts against, for login throttling (django-axes).

E-mail addresses are stored lower-cased and looked up case-insensitively (`accounts.models`), so
`LoCkMe@x.com` and `lockme@x.com` are the same account; failures must add up to one lockout.
"""

from django.conf import settings


def lockout_username(request, credentials: dict | None = None) -> str | None:
    """The attempt's e-mail address as the account is stored: stripped and lower-cased.

    Reads the credentials passed to `authenticate()` when given, else the posted form
    (AXES_USERNAME_FORM_FIELD). Used as AXES_USERNAME_CALLABLE."""
    field = settings.AXES_USERNAME_FORM_FIELD
    source = credentials or getattr(request, "data", request.POST)
    value = source.get(field)
    if not isinstance(value, str):
        return value
    return value.strip().lower()
