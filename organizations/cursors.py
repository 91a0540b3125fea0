"""Keyset cursors: a position in a list ordered newest first by (created_at, id), given out in URLs.

A page after a cursor costs what the first page costs (an index range, then LIMIT), however deep it is,
and events recorded meanwhile never shift or repeat a page, which OFFSET cannot promise.
"""

import base64
import binascii
import json
from dataclasses import dataclass
from datetime import datetime

from django.db.models import Q, QuerySet


@dataclass(frozen=True)
class Cursor:
    """The position of one row: its `created_at` and its id (the tie-break)."""

    created_at: datetime
    pk: int

    @classmethod
    def of(cls, row) -> "Cursor":
        return cls(row.created_at, row.pk)

    def encode(self) -> str:
        raw = json.dumps({"t": self.created_at.isoformat(), "i": self.pk}).encode()
        return base64.urlsafe_b64encode(raw).decode().rstrip("=")

    @classmethod
    def decode(cls, text: str) -> "Cursor":
        """The cursor `encode` wrote; raises ValueError for anything else."""
        try:
            data = json.loads(base64.urlsafe_b64decode(text + "=" * (-len(text) % 4)))
            return cls(datetime.fromisoformat(data["t"]), int(data["i"]))
        except (binascii.Error, ValueError, KeyError, TypeError, UnicodeDecodeError) as error:
            raise ValueError("not a cursor") from error

    def older_q(self) -> Q:
        # The first condition alone is an index range; the second settles ties within it.
        return Q(created_at__lte=self.created_at) & (Q(created_at__lt=self.created_at) | Q(pk__lt=self.pk))

    def newer_q(self) -> Q:
        return Q(created_at__gte=self.created_at) & (Q(created_at__gt=self.created_at) | Q(pk__gt=self.pk))


@dataclass(frozen=True)
class CursorPage:
    """One page of a newest-first list; `newer`/`older` point at the neighbouring pages (None: none)."""

    rows: list
    newer: Cursor | None
    older: Cursor | None


def cursor_page(
    rows: QuerySet, *, older: Cursor | None = None, newer: Cursor | None = None, size: int
) -> CursorPage:
    """The page of `rows` (any order is replaced by newest first) just older than `older`, or just newer
    than `newer`, or the first one; one query."""
    if newer is not None:
        found = list(rows.filter(newer.newer_q()).order_by("created_at", "pk")[: size + 1])
        more_newer = len(found) > size
        page = found[:size][::-1]
        return CursorPage(
            page, Cursor.of(page[0]) if more_newer else None, Cursor.of(page[-1]) if page else newer
        )
    if older is not None:
        rows = rows.filter(older.older_q())
    found = list(rows.order_by("-created_at", "-pk")[: size + 1])
    page = found[:size]
    return CursorPage(
        page,
        Cursor.of(page[0]) if older is not None and page else None,
        Cursor.of(page[-1]) if len(found) > size else None,
    )


def count_capped(rows: QuerySet, *, cap: int) -> tuple[int, bool]:
    """How many `rows` there are, counting no further than `cap`: (the count, whether it reached past it)."""
    counted = rows.order_by()[: cap + 1].count()
    return min(counted, cap), counted > cap
