"""The main pages, served from memory while nothing they show has changed.

People keep the organization home, a workspace's overview, the members and audit pages open all day
and reload them, and htmx asks for their parts again; most of those requests find nothing changed.
`cached_page` keeps each rendered answer under a key of everything it was made from:

- the **data stamp** (`organizations.changes`): it moves on every committed write to any table that a
  page shows, from any process, so an answer made before a change is never served after it;
- the person (user, session and its contents, CSRF cookie), the full path and query, and the htmx
  headers (the same URL answers a fragment or a page).

It serves nothing from memory to a request that asks for a fresh page (a hard reload sends
`Cache-Control: no-cache`), or while a message waits to be shown; it keeps only a plain 200 that set
no cookie and left the session as it was. Entries also end after `ENTRY_SECONDS`, for what a page
shows relative to now ("3 minutes ago") and what `changes.UNWATCHED_TABLES` leaves out (server
heartbeats). The CSP nonce of the stored answer is replaced by the request's own.

The entries live in the `pages` cache (settings.CACHES): this process's memory by default; point it at
Redis or memcached to share it between processes.
"""

import hashlib
import json
from functools import wraps

from django.contrib.messages import get_messages
from django.core.cache import caches
from django.http import HttpResponse

from organizations.changes import DATA, stamps

ENTRY_SECONDS = 60
CACHE_ALIAS = "pages"


def _asks_for_fresh(request) -> bool:
    return "no-cache" in request.headers.get("Cache-Control", "") or "no-cache" in request.headers.get(
        "Pragma", ""
    )


def _key(request, stamp) -> str:
    session = getattr(request.session, "_session", {})
    parts = [
        stamp,
        request.scheme,
        request.get_host(),  # pages show absolute links on the address they were asked at
        request.get_full_path(),
        request.user.pk,
        request.session.session_key,
        json.dumps(session, sort_keys=True, default=str),
        # The CSRF secret the page's forms are signed with: the browser's, or the one this answer
        # gives it (CsrfViewMiddleware keeps both here).
        request.META.get("CSRF_COOKIE", ""),
        sorted((name, value) for name, value in request.headers.items() if name.lower().startswith("hx-")),
    ]
    return "page:" + hashlib.blake2b(repr(parts).encode(), digest_size=20).hexdigest()


def _storable(request, response) -> bool:
    return (
        response.status_code == 200
        and not response.streaming
        and not response.cookies
        and not request.session.modified
        and not len(get_messages(request))
        and "no-store" not in response.get("Cache-Control", "")
    )


def _nonce(request) -> str:
    nonce = getattr(request, "_csp_nonce", None)
    return str(nonce) if nonce else ""


def cached_page(view):
    """Serve the view's GET answers from memory while the data stamp holds (see the module)."""

    @wraps(view)
    def wrapper(request, *args, **kwargs):
        if (
            request.method != "GET"
            or not request.user.is_authenticated
            or _asks_for_fresh(request)
            or len(get_messages(request))
        ):
            return view(request, *args, **kwargs)
        cache = caches[CACHE_ALIAS]
        stamp = stamps()[DATA]  # first: whatever is read after it can only be newer
        entry = cache.get(_key(request, stamp))
        if entry is not None:
            content, headers, nonce = entry
            if nonce:
                content = content.replace(nonce.encode(), _nonce(request).encode())
            return HttpResponse(content, headers=headers)
        response = view(request, *args, **kwargs)
        if _storable(request, response):
            if hasattr(response, "render") and not response.is_rendered:
                response.render()
            cache.set(
                _key(request, stamp),
                (response.content, dict(response.headers), _nonce(request)),
                ENTRY_SECONDS,
            )
        return response

    return wrapper
