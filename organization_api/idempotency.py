"""`Idempotency-Key`: a write retried with the same key returns the first result instead of writing
twice (Stripe's contract, which GitHub-style clients follow too).

Keys are per credential (a token, or a person's session), so two scripts cannot collide or read each
other's results. The key is written first and commits with the write, in one transaction: a
concurrent retry waits for the first attempt and then replays it. A refused write stores nothing, so retrying it is evaluated
afresh. The same key with a different body is refused with `idempotency_key_reused`.
"""

import hashlib
import json
from collections.abc import Callable
from datetime import timedelta

from django.db import IntegrityError, transaction
from django.utils import timezone

from .auth import credential_key
from .errors import ApiError
from .models import IdempotencyKey

IDEMPOTENCY_KEY_LIFETIME = timedelta(hours=24)
MAX_KEY_LENGTH = 255


def request_hash(operation: str, body: dict) -> str:
    canonical = json.dumps({"operation": operation, "body": body}, sort_keys=True, default=str)
    return hashlib.sha256(canonical.encode()).hexdigest()


def _replay(stored: IdempotencyKey, digest: str) -> tuple[int, dict]:
    if stored.request_hash != digest:
        raise ApiError(
            422,
            "idempotency_key_reused",
            "This Idempotency-Key was already used with a different request; use a new key.",
            field="Idempotency-Key",
        )
    return stored.response_status, stored.response_body


def idempotent(
    request, *, key: str | None, operation: str, body: dict, perform: Callable[[], tuple[int, dict]]
):
    """Run `perform` (which returns status and JSON body) at most once per key and credential, and
    return its status and body; without a key, simply run it."""
    if not key:
        return perform()
    if len(key) > MAX_KEY_LENGTH:
        raise ApiError(
            422, "invalid", "An Idempotency-Key is at most 255 characters.", field="Idempotency-Key"
        )
    credential = credential_key(request)
    digest = request_hash(operation, body)
    IdempotencyKey.objects.filter(
        credential=credential, key=key, created_at__lt=timezone.now() - IDEMPOTENCY_KEY_LIFETIME
    ).delete()
    stored = IdempotencyKey.objects.filter(credential=credential, key=key).first()
    if stored is not None:
        return _replay(stored, digest)
    try:
        with transaction.atomic():
            # The key first: a concurrent attempt with it waits here until this one commits or fails.
            stored = IdempotencyKey.objects.create(
                credential=credential,
                key=key,
                operation=operation,
                request_hash=digest,
                response_status=0,
                response_body={},
            )
            status, response_body = perform()
            stored.response_status, stored.response_body = status, response_body
            stored.save(update_fields=["response_status", "response_body"])
    except IntegrityError:
        # A concurrent request with this key committed first (its write is the one that counts; ours
        # was rolled back with the key): answer as it did.
        stored = IdempotencyKey.objects.filter(credential=credential, key=key).first()
        if stored is None:
            raise
        return _replay(stored, digest)
    return status, response_body
