"""What must happen by itself, whatever else runs (cron may also run the management commands).

- A role past its last day stops giving access at once: at most every ATRIUM_ROLE_EXPIRY_CHECK_SECONDS
  per process, before serving a request (pages, API and the control plane alike), the roles whose last
  day has passed end. One cheap query when none has.
- The rest (warnings a week before a role ends, reminders of overdue access reviews, purging deleted
  workspaces after the restore period) is queued for the task worker at most every
  ATRIUM_HOUSEKEEPING_SECONDS per process (`workspaces.tasks.workspace_housekeeping`); each e-mail
  goes once, whoever runs it.
"""

import logging
import threading
import time

from django.conf import settings

from .services import workspace_roles_expire
from .tasks import workspace_housekeeping

logger = logging.getLogger(__name__)

_lock = threading.Lock()
_next_check: dict[str, float] = {}  # per process: what → when next (monotonic seconds)


class WorkspaceRoleExpiryMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        every = getattr(settings, "ATRIUM_ROLE_EXPIRY_CHECK_SECONDS", 60)
        if every is not None and _due("expiry", every):
            try:
                workspace_roles_expire()
            except Exception:  # the request is served all the same; the next check tries again
                logger.exception("Ending expired workspace roles failed")
        every = getattr(settings, "ATRIUM_HOUSEKEEPING_SECONDS", 3600)
        if every is not None and _due("housekeeping", every):
            try:
                workspace_housekeeping.enqueue()
            except Exception:
                logger.exception("Queueing the workspaces' housekeeping failed")
        return self.get_response(request)


def _due(what: str, every: float) -> bool:
    now = time.monotonic()
    with _lock:
        if now < _next_check.get(what, 0.0):
            return False
        _next_check[what] = now + every
        return True
