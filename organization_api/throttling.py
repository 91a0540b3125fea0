"""Throttling per credential: each token, and each person's browser session, has its own budget of
`ATRIUM_API_RATE` requests (GitHub's 5,000 an hour by default) per fixed window, counted in the
database (`RequestCount`: one row per credential and window, so that every web process counts against
the same budget; a check is one statement, an upsert that returns the new count)."""

import time
from datetime import UTC, datetime

from django.conf import settings
from django.db import connection
from ninja.throttling import BaseThrottle

from .auth import credential_key
from .models import RequestCount

DEFAULT_RATE = "5000/h"
_PERIODS = {"s": 1, "m": 60, "h": 3600, "d": 86400}


def parse_rate(rate: str) -> tuple[int, int]:
    """ "5000/h" → (5000, 3600): how many requests per how many seconds."""
    count, _, period = rate.partition("/")
    return int(count), _PERIODS[period.strip()[:1]]


class CredentialRateThrottle(BaseThrottle):
    def __init__(self, clock=time.time):
        self.clock = clock
        self._wait: float | None = None

    def allow_request(self, request) -> bool:
        if getattr(request, "auth", None) is None:
            return True  # not authenticated: the 401 came first
        limit, period = parse_rate(getattr(settings, "ATRIUM_API_RATE", DEFAULT_RATE))
        now = self.clock()
        window = int(now // period)
        count = _count_request(f"{credential_key(request)}:{window}", expires=(window + 1) * period)
        reset = (window + 1) * period
        # What the answer tells the caller, as GitHub's X-RateLimit-* headers (added in organization_api.urls).
        request.rate_limit = (limit, max(limit - count, 0), reset)
        if count > limit:
            self._wait = reset - now
            return False
        return True

    def wait(self) -> float | None:
        return self._wait


def _count_request(key: str, *, expires: int) -> int:
    """Add one to the count of `key` (made if missing) and return it, in one statement (SQLite and
    PostgreSQL both upsert with RETURNING), so that concurrent requests never lose a count."""
    table, key_column, count_column, expires_column = (
        connection.ops.quote_name(name)
        for name in (RequestCount._meta.db_table, "key", "count", "expires_at")
    )
    expires_at = RequestCount._meta.get_field("expires_at").get_db_prep_value(
        datetime.fromtimestamp(expires, tz=UTC), connection
    )
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {table} ({key_column}, {count_column}, {expires_column}) VALUES (%s, 1, %s) "
            f"ON CONFLICT ({key_column}) DO UPDATE SET {count_column} = {table}.{count_column} + 1 "
            f"RETURNING {count_column}",
            [key, expires_at],
        )
        return cursor.fetchone()[0]


def request_counts_purge(now=None) -> int:
    """Forget the counts of windows that are over (the hourly housekeeping calls it)."""
    deleted, _ = RequestCount.objects.filter(expires_at__lt=now or datetime.now(tz=UTC)).delete()
    return deleted
