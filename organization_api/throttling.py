"""Throttling per credential: each token, and each person's browser session, has its own budget of
`ATRIUM_API_RATE` requests (GitHub's 5,000 an hour by default) per fixed window, counted in Django's
cache (one counter per credential and window, so a check is two cache operations)."""

import time

from django.conf import settings
from django.core.cache import cache
from ninja.throttling import BaseThrottle

from .auth import credential_key

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
        key = f"organization_api:throttle:{credential_key(request)}:{window}"
        cache.add(key, 0, timeout=period + 1)
        try:
            count = cache.incr(key)
        except ValueError:  # evicted between add and incr: start the window again
            cache.set(key, 1, timeout=period + 1)
            count = 1
        reset = (window + 1) * period
        # What the answer tells the caller, as GitHub's X-RateLimit-* headers (added in organization_api.urls).
        request.rate_limit = (limit, max(limit - count, 0), reset)
        if count > limit:
            self._wait = reset - now
            return False
        return True

    def wait(self) -> float | None:
        return self._wait
