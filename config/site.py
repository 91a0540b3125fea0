"""The address this site is served at, for the absolute links in pages and e-mails.

A link must work where the reader is: `ATRIUM_BASE_URL` when the operator set one, otherwise the
scheme, host and port the current request came in on (so `runserver 8302` links to :8302).
`SiteURLMiddleware` records the request's address in a context variable, so code without the
request at hand (models, services, e-mail) still gets it; `site_base_url()` does the same for code
that runs outside a request, such as a management command told where the site will be served.
"""

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar

from django.conf import settings

# The last resort outside a request with no ATRIUM_BASE_URL: where `manage.py runserver` listens.
FALLBACK_BASE_URL = "http://127.0.0.1:8000"

_base_url: ContextVar[str | None] = ContextVar("site_base_url", default=None)


def site_url(path: str = "") -> str:
    """The absolute URL of `path` (which starts with "/", or is empty for the site's root).

    The base is ATRIUM_BASE_URL when set, else the current request's `scheme://host[:port]`, else
    FALLBACK_BASE_URL. It never ends with "/", so `site_url(reverse(...))` joins cleanly."""
    base = settings.ATRIUM_BASE_URL or _base_url.get() or FALLBACK_BASE_URL
    return base.rstrip("/") + path


@contextmanager
def site_base_url(base_url: str) -> Iterator[None]:
    """Within the block, `site_url()` uses `base_url` unless ATRIUM_BASE_URL is set."""
    token = _base_url.set(base_url)
    try:
        yield
    finally:
        _base_url.reset(token)


class SiteURLMiddleware:
    """Makes the request's own address the base of `site_url()` while the request is handled."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        # get_host() keeps a non-default port and only answers hosts in ALLOWED_HOSTS.
        with site_base_url(f"{request.scheme}://{request.get_host()}"):
            return self.get_response(request)
