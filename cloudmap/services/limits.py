"""Limits of the API: concurrent hunts, request rates per key, failed authentications.

All are answered at once (never by waiting), so a flood of requests cannot hold the API's workers;
each refusal says when to retry (``retry_after`` seconds, sent as ``Retry-After`` with a 429).

Their state lives in a store: :class:`MemoryState` for one process, or :class:`SharedState`, a
SQLite file that every worker process of one ``cloudmap serve --workers N`` opens, so the bounds
hold for the server as a whole and not once per worker. Each change is one ``BEGIN IMMEDIATE``
transaction (SQLite's write lock), and ``time.monotonic`` is the system-wide clock on Linux, so
the workers agree on it. A hunt slot names the process that holds it; slots of processes that no
longer exist are given back.
"""

from __future__ import annotations

import json
import math
import os
import sqlite3
import threading
import time
from collections import OrderedDict
from collections.abc import Callable
from pathlib import Path
from typing import Any

MAX_TRACKED = 10_000  # clients or keys remembered per limit; the oldest are forgotten first
Update = Callable[[Any], tuple[Any, Any]]   # old state (or None) -> (new state or None to forget, result)


class Busy(Exception):
    def __init__(self, message: str, retry_after: int):
        super().__init__(message)
        self.message, self.retry_after = message, max(1, int(retry_after))


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


class MemoryState:
    """Limit state of one process."""

    def __init__(self):
        self.data: dict[str, OrderedDict] = {}
        self.lock = threading.Lock()

    def update(self, space: str, key: str, fn: Update) -> Any:
        with self.lock:
            table = self.data.setdefault(space, OrderedDict())
            new, result = fn(table.get(key))   # fn may raise: nothing is changed then
            table.pop(key, None)
            if new is not None:
                table[key] = new
            while len(table) > MAX_TRACKED:
                table.popitem(last=False)
            return result

    def get(self, space: str, key: str) -> Any:
        with self.lock:
            return self.data.get(space, {}).get(key)


class SharedState:
    """Limit state in a SQLite file shared by the worker processes of one server."""

    SCHEMA = ("CREATE TABLE IF NOT EXISTS state (space TEXT NOT NULL, key TEXT NOT NULL, value TEXT NOT NULL, "
              "at REAL NOT NULL, PRIMARY KEY (space, key)); CREATE INDEX IF NOT EXISTS state_at ON state (space, at);")

    def __init__(self, path: str | Path):
        self.path = str(path)
        self.local = threading.local()
        with self._db() as db:
            db.executescript(self.SCHEMA)

    def _db(self) -> sqlite3.Connection:
        db = getattr(self.local, "db", None)
        if db is None:
            db = self.local.db = sqlite3.connect(self.path, timeout=10, isolation_level=None)
            db.execute("PRAGMA journal_mode=WAL")
        return db

    def update(self, space: str, key: str, fn: Update) -> Any:
        db = self._db()
        db.execute("BEGIN IMMEDIATE")
        try:
            row = db.execute("SELECT value FROM state WHERE space = ? AND key = ?", (space, key)).fetchone()
            new, result = fn(json.loads(row[0]) if row else None)
            if new is None:
                db.execute("DELETE FROM state WHERE space = ? AND key = ?", (space, key))
            else:
                db.execute("INSERT OR REPLACE INTO state VALUES (?, ?, ?, ?)", (space, key, json.dumps(new), time.time()))
                if row is None:
                    db.execute("DELETE FROM state WHERE space = ? AND key IN (SELECT key FROM state WHERE space = ? "
                               "ORDER BY at DESC LIMIT -1 OFFSET ?)", (space, space, MAX_TRACKED))
        except BaseException:
            db.execute("ROLLBACK")
            raise
        db.execute("COMMIT")
        return result

    def get(self, space: str, key: str) -> Any:
        row = self._db().execute("SELECT value FROM state WHERE space = ? AND key = ?", (space, key)).fetchone()
        return json.loads(row[0]) if row else None


class HuntPool:
    """At most ``total`` hunts at once, and ``per_key`` for one key (across the store's processes)."""

    def __init__(self, total: int, per_key: int, state: MemoryState | SharedState | None = None):
        self.total, self.per_key = total, per_key
        self.state = state or MemoryState()

    def acquire(self, key: str) -> None:
        me = str(os.getpid())

        def take(slots):   # slots: {pid: {key: running}}
            slots = {pid: keys for pid, keys in (slots or {}).items() if pid == me or _alive(int(pid))}
            if sum(keys.get(key, 0) for keys in slots.values()) >= self.per_key:
                raise Busy(f"this key already runs {self.per_key} hunt(s) at once (hunt_concurrency_per_key); "
                           f"wait for one to finish", 1)
            if sum(n for keys in slots.values() for n in keys.values()) >= self.total:
                raise Busy(f"the server already runs {self.total} hunts at once (hunt_concurrency); retry shortly", 1)
            mine = slots.setdefault(me, {})
            mine[key] = mine.get(key, 0) + 1
            return slots, None
        self.state.update("hunts", "slots", take)

    def release(self, key: str) -> None:
        me = str(os.getpid())

        def give(slots):
            slots = slots or {}
            mine = slots.get(me, {})
            mine[key] = mine.get(key, 0) - 1
            if mine[key] <= 0:
                del mine[key]
            if not mine:
                slots.pop(me, None)
            return slots or None, None
        self.state.update("hunts", "slots", give)


class RateLimit:
    """A token bucket per key: ``per_period`` requests per ``period`` seconds, refilled continuously."""

    def __init__(self, per_period: int, period: float, what: str, state: MemoryState | SharedState | None = None):
        self.capacity, self.rate, self.what = per_period, per_period / period, what
        self.state = state or MemoryState()

    def take(self, key: str) -> None:
        t = time.monotonic()

        def spend(bucket):
            tokens, last = bucket or (float(self.capacity), t)
            tokens = min(self.capacity, tokens + (t - last) * self.rate)
            if tokens < 1:
                return (tokens, t), math.ceil((1 - tokens) / self.rate)
            return (tokens - 1, t), 0
        wait = self.state.update(f"rate:{self.what}", key, spend)
        if wait:
            raise Busy(f"too many {self.what} for this key; retry later", wait)


class FailedAuth:
    """Failed authentications per client address and per key id: ``free`` failures per ``window``
    seconds, then each further failure blocks that client (or key id) for twice as long as the last
    (1 s, 2 s, 4 s ... at most ``max_block``)."""

    def __init__(self, free: int = 10, window: float = 60.0, max_block: float = 900.0,
                 state: MemoryState | SharedState | None = None):
        self.free, self.window, self.max_block = free, window, max_block
        self.state = state or MemoryState()

    def blocked_for(self, *idents: str) -> int:
        t = time.monotonic()
        waits = [s[2] - t for s in (self.state.get("auth", i) for i in idents) if s]
        wait = max(waits, default=0)
        return math.ceil(wait) if wait > 0 else 0

    def failure(self, *idents: str) -> None:
        t = time.monotonic()

        def count(state):   # [window start, failures, blocked until]
            start, failures, until = state or [t, 0, 0.0]
            if t - start > self.window and t > until:
                start, failures = t, 0
            failures += 1
            if failures > self.free:
                until = t + min(self.max_block, 2.0 ** (failures - self.free - 1))
            return [start, failures, until], None
        for ident in idents:
            self.state.update("auth", ident, count)

    def success(self, ident: str) -> None:
        if self.state.get("auth", ident) is not None:
            self.state.update("auth", ident, lambda _: (None, None))
