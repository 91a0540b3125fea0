"""Roles given until a date end by themselves, whatever else runs.

`manage.py expire_roles` (cron) ends them and warns holders a week before; this middleware makes sure
a role past its last day stops giving access even where no cron runs: at most once every
ATRIUM_ROLE_EXPIRY_CHECK_SECONDS per process, before serving a request (pages, API and the control
plane alike), it ends the roles whose last day has passed. One cheap query when none has.
"""

import logging
import threading
import time

from django.conf import settings

from .services import workspace_roles_expire

logger = logging.getLogger(__name__)

_lock = threading.Lock()
_next_check = 0.0  # per process, monotonic seconds


class WorkspaceRoleExpiryMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        every = getattr(settings, "ATRIUM_ROLE_EXPIRY_CHECK_SECONDS", 60)
        if every is not None and _due(every):
            try:
                workspace_roles_expire()
            except Exception:  # the request is served all the same; the next check tries again
                logger.exception("Ending expired workspace roles failed")
        return self.get_response(request)


def _due(every: float) -> bool:
    global _next_check
    now = time.monotonic()
    with _lock:
        if now < _next_check:
            return False
        _next_check = now + every
        return True
