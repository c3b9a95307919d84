"""A per-process cache of first pages (the findings list every dashboard opens), keyed by a stamp
read from the graph, so every worker process and every machine drops its copy when the findings change.

The stamp is the latest analysis (``(:Analysis)`` by ``started_at``, through its index): its id, its
status and ``triage_changes`` (counted by suppress/unsuppress), and today's date (suppressions expire by
day). Nothing is cached while that analysis is still running (it is rewriting the findings), and a
page computed while the stamp changed is not kept.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable, Hashable

from cloudmap.findings import triage
from cloudmap.graph.driver import Graph

STAMP = ("MATCH (a:Analysis) WHERE a.started_at IS NOT NULL WITH a ORDER BY a.started_at DESC LIMIT 1 "
         "RETURN a.id AS id, a.status AS status, a.triage_changes AS triaged")


def stamp(graph: Graph) -> tuple | None:
    """What the cached pages are valid for, or None when nothing may be cached."""
    rows = graph.read_values(STAMP)
    if not rows or rows[0]["status"] in (None, "running"):
        return None
    return rows[0]["id"], rows[0]["status"], rows[0]["triaged"], triage.today()


class PageCache:
    def __init__(self, size: int = 64):
        self.size = size
        self.valid_for: tuple | None = None
        self.pages: OrderedDict[Hashable, bytes] = OrderedDict()
        self.lock = threading.Lock()
        self.hits = self.misses = 0

    def get(self, graph: Graph, key: Hashable, compute: Callable[[], bytes]) -> bytes:
        """The cached answer for ``key`` under the graph's current stamp, else ``compute()`` (kept)."""
        now = stamp(graph) if self.size else None
        if now is None:
            return compute()
        with self.lock:
            if now != self.valid_for:
                self.pages.clear()
                self.valid_for = now
            hit = self.pages.get(key)
            if hit is not None:
                self.pages.move_to_end(key)
                self.hits += 1
                return hit
            self.misses += 1
        value = compute()
        if stamp(graph) == now:
            with self.lock:
                if self.valid_for == now:
                    self.pages[key] = value
                    while len(self.pages) > self.size:
                        self.pages.popitem(last=False)
        return value
