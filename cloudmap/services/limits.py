"""In-process limits of the API: concurrent hunts, request rates per key, failed authentications.

All are answered at once (never by waiting), so a flood of requests cannot hold the API's workers;
each refusal says when to retry (``retry_after`` seconds, sent as ``Retry-After`` with a 429).
"""

from __future__ import annotations

import math
import threading
import time
from collections import OrderedDict, defaultdict

MAX_TRACKED = 10_000  # clients or keys remembered; the oldest are forgotten first


class Busy(Exception):
    def __init__(self, message: str, retry_after: int):
        super().__init__(message)
        self.message, self.retry_after = message, max(1, int(retry_after))


class HuntPool:
    """At most ``total`` hunts at once, and ``per_key`` for one key."""

    def __init__(self, total: int, per_key: int):
        self.total, self.per_key = total, per_key
        self.running: dict[str, int] = defaultdict(int)
        self.lock = threading.Lock()

    def acquire(self, key: str) -> None:
        with self.lock:
            if self.running[key] >= self.per_key:
                raise Busy(f"this key already runs {self.per_key} hunt(s) at once (hunt_concurrency_per_key); "
                           f"wait for one to finish", 1)
            if sum(self.running.values()) >= self.total:
                raise Busy(f"the server already runs {self.total} hunts at once (hunt_concurrency); retry shortly", 1)
            self.running[key] += 1

    def release(self, key: str) -> None:
        with self.lock:
            self.running[key] -= 1
            if self.running[key] <= 0:
                del self.running[key]


class RateLimit:
    """A token bucket per key: ``per_period`` requests per ``period`` seconds, refilled continuously."""

    def __init__(self, per_period: int, period: float, what: str):
        self.capacity, self.rate, self.what = per_period, per_period / period, what
        self.buckets: OrderedDict[str, tuple[float, float]] = OrderedDict()
        self.lock = threading.Lock()

    def take(self, key: str) -> None:
        t = time.monotonic()
        with self.lock:
            tokens, last = self.buckets.pop(key, (float(self.capacity), t))
            tokens = min(self.capacity, tokens + (t - last) * self.rate)
            if tokens < 1:
                self.buckets[key] = (tokens, t)
                raise Busy(f"too many {self.what} for this key; retry later", math.ceil((1 - tokens) / self.rate))
            self.buckets[key] = (tokens - 1, t)
            while len(self.buckets) > MAX_TRACKED:
                self.buckets.popitem(last=False)


class FailedAuth:
    """Failed authentications per client address and per key id: ``free`` failures per ``window``
    seconds, then each further failure blocks that client (or key id) for twice as long as the last
    (1 s, 2 s, 4 s ... at most ``max_block``)."""

    def __init__(self, free: int = 10, window: float = 60.0, max_block: float = 900.0):
        self.free, self.window, self.max_block = free, window, max_block
        self.state: OrderedDict[str, list[float]] = OrderedDict()  # ident -> [window start, failures, blocked until]
        self.lock = threading.Lock()

    def blocked_for(self, *idents: str) -> int:
        t = time.monotonic()
        with self.lock:
            waits = [self.state[i][2] - t for i in idents if i in self.state]
        wait = max(waits, default=0)
        return math.ceil(wait) if wait > 0 else 0

    def failure(self, *idents: str) -> None:
        t = time.monotonic()
        with self.lock:
            for ident in idents:
                start, count, until = self.state.pop(ident, [t, 0, 0.0])
                if t - start > self.window and t > until:
                    start, count = t, 0
                count += 1
                if count > self.free:
                    until = t + min(self.max_block, 2.0 ** (count - self.free - 1))
                self.state[ident] = [start, count, until]
            while len(self.state) > MAX_TRACKED:
                self.state.popitem(last=False)

    def success(self, ident: str) -> None:
        with self.lock:
            self.state.pop(ident, None)
