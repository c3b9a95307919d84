"""Keyset paging shared by the findings and asset lists: opaque cursors and the cut of one page.

A cursor is the sort key of the last row of a page (a JSON list, base64url); the next page asks for
rows strictly after it, so pages stay consistent while rows are added (no shifting offsets).
"""

from __future__ import annotations

import base64
import json


class CursorError(ValueError):
    """A cursor that was not made by :func:`encode_cursor` (or was tampered with)."""


def encode_cursor(values: list) -> str:
    return base64.urlsafe_b64encode(json.dumps(values).encode()).decode()


def decode_cursor(cursor: str, size: int) -> list:
    """The ``size`` values a cursor holds, or CursorError naming the cursor."""
    try:
        values = json.loads(base64.urlsafe_b64decode(cursor.encode()))
    except (ValueError, TypeError):
        values = None
    if not isinstance(values, list) or len(values) != size:
        raise CursorError(f"cursor {cursor[:40]!r} is not valid")
    return values


def cut_page(rows: list, limit: int) -> tuple[list, bool]:
    """A query asked for ``limit + 1`` rows: the page, and whether another page follows."""
    return rows[:limit], len(rows) > limit
