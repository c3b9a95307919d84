"""Leases kept in the graph: one writer per source at a time, and analyses that never read half a sync.

A lease is ``(:Lease {id, mode, owner, holder, host, pid, acquired_at, heartbeat_at, expires_at})``:

* ``sync:<source>`` (mode ``write``): one load of a source (an AWS account, an Azure subscription, a
  file) at a time;
* ``analysis`` (mode ``analysis``): one analysis at a time, and never while any load is writing. It
  is shared by everything an analysis reads, so it excludes every write lease and they exclude it.

Leases are taken and renewed in write transactions that first lock one ``(:Lease {id: '_lock'})``
node, so two processes can never both see a lease free. The holder renews its lease from a
heartbeat thread; a lease whose holder stopped renewing (killed, host gone) expires after its TTL,
and one held by a process of this host that no longer exists is free at once.
"""

from __future__ import annotations

import logging
import os
import socket
import threading
import time
import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from neo4j.exceptions import DriverError, Neo4jError

from cloudmap.graph.driver import Graph

log = logging.getLogger("cloudmap.lease")

LOCK_ID = "_lock"
DEFAULT_TTL = 60.0
POLL_SECONDS = 0.5
HOST = socket.gethostname()


class LeaseHeld(Exception):
    """The lease is held by another live process; the message names the holder."""


class LeaseLost(Exception):
    """This process's lease expired and was taken by another one: it must not write any more."""


def default_ttl() -> float:
    try:
        from cloudmap.config import settings
        return float(settings().lease_ttl)
    except Exception:  # noqa: BLE001 - a bad config file is reported by the CLI, not here
        return DEFAULT_TTL


def _now() -> datetime:
    return datetime.now(UTC)


def _process_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # exists, owned by someone else
        return True
    return True


def _is_live(row: dict, now: datetime) -> bool:
    if row["expires_at"] is None or row["expires_at"].to_native() <= now:
        return False
    if row.get("host") == HOST and row.get("pid") and row["pid"] != os.getpid():
        return _process_alive(int(row["pid"]))
    return True


def describe(row: dict) -> str:
    beat = row["heartbeat_at"].to_native() if row.get("heartbeat_at") else None
    age = f", last heartbeat {(_now() - beat).total_seconds():.0f}s ago" if beat else ""
    return f"{row['holder']} (pid {row['pid']} on {row['host']}{age})"


@dataclass
class Lease:
    """``with Lease(graph, "sync:aws 123", "write", holder=sync_id, wait=30):`` ... renewed while held."""

    graph: Graph
    key: str
    mode: str                       # "write" or "analysis"
    holder: str                     # what holds it: a sync or analysis id (shown to the next one)
    wait: float = 0.0               # seconds to wait for a held lease before LeaseHeld
    ttl: float = field(default_factory=default_ttl)
    owner: str = field(default_factory=lambda: f"{HOST}:{os.getpid()}:{uuid.uuid4().hex[:8]}")
    taken_over: list[str] = field(default_factory=list)  # holders of expired leases this one replaced
    lost: bool = False
    _stop: threading.Event = field(default_factory=threading.Event, repr=False)
    _thread: threading.Thread | None = field(default=None, repr=False)

    # -- acquire / release ------------------------------------------------------------------------
    def acquire(self) -> Lease:
        deadline = time.monotonic() + max(self.wait, 0)
        while True:
            with self.graph.session() as session:
                blockers = session.execute_write(self._try_take)
            if not blockers:
                break
            if time.monotonic() >= deadline:
                raise LeaseHeld(f"{self._what()} is locked by {describe(blockers[0])}: "
                                f"{'waited ' + format(self.wait, '.0f') + 's, ' if self.wait > 0 else ''}"
                                f"retry later or pass --wait SECONDS")
            time.sleep(min(POLL_SECONDS, max(deadline - time.monotonic(), 0.05)))
        self._thread = threading.Thread(target=self._beat, name=f"lease {self.key}", daemon=True)
        self._thread.start()
        return self

    def _what(self) -> str:
        return "analysis" if self.mode == "analysis" else self.key.removeprefix("sync:")

    def _try_take(self, tx) -> list[dict]:
        now = _now()
        tx.run("MERGE (g:Lease {id: $lock}) SET g.touched_at = $now", lock=LOCK_ID, now=now).consume()
        rows = tx.run(
            "MATCH (l:Lease) WHERE l.id <> $lock AND l.owner IS NOT NULL AND l.owner <> $owner "
            "AND (l.id = $key OR l.mode <> $mode) "
            "RETURN l.id AS id, l.owner AS owner, l.holder AS holder, l.host AS host, l.pid AS pid, "
            "l.heartbeat_at AS heartbeat_at, l.expires_at AS expires_at",
            lock=LOCK_ID, owner=self.owner, key=self.key, mode=self.mode).data()
        live = [r for r in rows if _is_live(r, now)]
        if live:
            return live
        dead = [r["id"] for r in rows]
        self.taken_over = [r["holder"] for r in rows if r["id"] == self.key]
        tx.run("MATCH (l:Lease) WHERE l.id IN $dead AND l.id <> $key DELETE l", dead=dead, key=self.key).consume()
        tx.run("MERGE (l:Lease {id: $key}) SET l += $props", key=self.key,
               props={"mode": self.mode, "owner": self.owner, "holder": self.holder, "host": HOST,
                      "pid": os.getpid(), "acquired_at": now, "heartbeat_at": now,
                      "expires_at": now + timedelta(seconds=self.ttl)}).consume()
        return []

    def renew(self) -> None:
        """Extend the lease (a write transaction); LeaseLost when another process holds it now."""
        now = _now()
        rows = self.graph.write("MATCH (l:Lease {id: $key, owner: $owner}) "
                                "SET l.heartbeat_at = $now, l.expires_at = $expires RETURN count(l) AS n",
                                key=self.key, owner=self.owner, now=now,
                                expires=now + timedelta(seconds=self.ttl))
        if not rows[0]["n"]:
            self.lost = True
            raise LeaseLost(f"the lease on {self._what()} expired and was taken by another process "
                            f"(no heartbeat for {self.ttl:.0f}s): nothing more is written")

    def _beat(self) -> None:
        while not self._stop.wait(self.ttl / 3):
            try:
                self.renew()
            except LeaseLost:
                log.error("lease %s lost", self.key)
                return
            except (Neo4jError, DriverError, OSError) as exc:  # try again at the next beat
                log.warning("lease %s: heartbeat failed: %s", self.key, exc)

    def release(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=5)
        try:
            self.graph.write("MATCH (l:Lease {id: $key, owner: $owner}) DELETE l", key=self.key, owner=self.owner)
        except (Neo4jError, DriverError, OSError) as exc:  # it expires on its own
            log.warning("lease %s: release failed, it expires in %.0fs: %s", self.key, self.ttl, exc)

    def __enter__(self) -> Lease:
        return self.acquire()

    def __exit__(self, *exc) -> None:
        self.release()
