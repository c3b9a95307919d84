"""Keyset paging shared by the findings and asset lists: opaque cursors and the cut of one page.

A cursor is the sort key of the last row of a page (a JSON list, base64url) and an HMAC of it; the
next page asks for rows strictly after it, so pages stay consistent while rows are added (no
shifting offsets). The HMAC key is made per process: a cursor that was altered, or made by another
process, is refused with a clear error rather than reaching a query.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import secrets

_KEY = secrets.token_bytes(32)
_MAC_CHARS = 22  # 128 bits, base64url


class CursorError(ValueError):
    """A cursor that was not made by :func:`encode_cursor` (or was tampered with)."""


def _mac(payload: str) -> str:
    digest = hmac.new(_KEY, payload.encode(), hashlib.sha256).digest()
    return base64.urlsafe_b64encode(digest).decode()[:_MAC_CHARS]


def encode_cursor(values: list) -> str:
    payload = base64.urlsafe_b64encode(json.dumps(values).encode()).decode()
    return f"{payload}.{_mac(payload)}"


def decode_cursor(cursor: str, size: int) -> list:
    """The ``size`` values a cursor holds, or CursorError naming the cursor."""
    payload, _, mac = (cursor or "").rpartition(".")
    values = None
    if payload and hmac.compare_digest(mac.encode(), _mac(payload).encode()):
        try:
            values = json.loads(base64.urlsafe_b64decode(payload.encode()))
        except (ValueError, TypeError):
            values = None
    if not isinstance(values, list) or len(values) != size:
        raise CursorError(f"cursor {cursor[:40]!r} is not valid")
    return values


def cut_page(rows: list, limit: int) -> tuple[list, bool]:
    """A query asked for ``limit + 1`` rows: the page, and whether another page follows."""
    return rows[:limit], len(rows) > limit
