"""The role questions of workspace servers, answered from memory while nothing about access changed.

A server asks about 20 role questions per pipeline run (`rbac/*`). Each needs the server's token, the
user's membership and their permissions in the organization and the workspace: four reads that do
not change between two runs. This process keeps them (the token, and a `Decider` per user and
workspace with the answers it gave) under the access stamp (`organizations.changes`): a
question costs one read of the stamp, and the first question after any change to memberships,
roles, users, workspaces or tokens reads everything afresh, so a removed member or a revoked token
gets nothing from the next call on. A token's own expiry is checked at each use.
"""

import threading
import time

from django.utils import timezone

from organizations.changes import access_stamp

from .models import TokenKind
from .rbac import Decider
from .selectors import access_token_get

# A net, not the rule: the stamp keeps entries current; this bounds the life of one a missed write
# path could leave behind.
ENTRY_SECONDS = 300
MAX_ENTRIES = 10_000


class StampedCache:
    """Entries valid under one access stamp: a new stamp empties the cache."""

    def __init__(self, *, max_entries: int = MAX_ENTRIES, seconds: float = ENTRY_SECONDS):
        self.max_entries = max_entries
        self.seconds = seconds
        self._stamp = None
        self._entries: dict[object, tuple[float, object]] = {}
        self._lock = threading.Lock()

    def get(self, key, stamp):
        with self._lock:
            if stamp != self._stamp:
                self._entries.clear()
                self._stamp = stamp
                return None
            entry = self._entries.get(key)
        if entry is None or time.monotonic() - entry[0] > self.seconds:
            return None
        return entry[1]

    def put(self, key, stamp, value) -> None:
        with self._lock:
            if stamp != self._stamp:
                return  # made under an older stamp than the cache's own: never kept
            if len(self._entries) >= self.max_entries:
                self._entries.clear()  # rare (ten thousand users × workspaces in one process); simple
            self._entries[key] = (time.monotonic(), value)

    def clear(self) -> None:
        with self._lock:
            self._entries.clear()
            self._stamp = None


_tokens = StampedCache()
_deciders = StampedCache()


def role_question_context(token_value: str):
    """(the stamp, the live server token `token_value` carries or None), the token from memory when
    the stamp has not moved since it was read. The stamp is read first, before anything it guards."""
    stamp = access_stamp()
    token = _tokens.get(token_value, stamp) if token_value else None
    if token is None:
        token = access_token_get(token_value, kind=TokenKind.SERVER)
        if token is None:
            return stamp, None
        _tokens.put(token_value, stamp, token)
    if token.expires_at <= timezone.now():
        return stamp, None
    return stamp, token


def decider_for(external_id: str, *, workspace, stamp) -> Decider:
    """The `Decider` for the user ZenML knows by `external_id` in `workspace`, kept with the answers
    it already gave while the stamp holds."""
    key = (workspace.pk, str(external_id))
    decider = _deciders.get(key, stamp)
    if decider is None:
        decider = Decider.for_external_id(external_id, workspace=workspace)
        _deciders.put(key, stamp, decider)
    return decider


def decision_cache_clear() -> None:
    _tokens.clear()
    _deciders.clear()
