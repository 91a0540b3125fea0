"""What the site checks before it serves a request (called by config.wsgi and config.asgi)."""

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured

MISSING_SECRET_KEY = (
    "DJANGO_SECRET_KEY is not set. Set it to a long random string that stays the same across "
    "restarts, e.g. export DJANGO_SECRET_KEY=\"$(python -c 'import secrets; "
    "print(secrets.token_urlsafe(50))')\" (or set DJANGO_DEBUG=1 for local development)."
)


def refuse_to_serve_without_secret_key() -> None:
    """No key, no site: with DEBUG off the settings leave SECRET_KEY empty when DJANGO_SECRET_KEY is
    missing, so that management commands that sign nothing still run."""
    try:
        key = settings.SECRET_KEY
    except ImproperlyConfigured:  # Django refuses to hand out an empty key
        key = ""
    if not key:
        raise ImproperlyConfigured(MISSING_SECRET_KEY)
