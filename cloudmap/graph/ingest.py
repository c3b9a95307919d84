"""The write path every loader shares: syncs, scopes, batched idempotent writes, scoped cleanup.

A load is one :class:`Sync`. Inside it, a loader opens one *scope* per unit it fetches (for
example ``aws/123456789012/eu-west-1/ec2``); everything written under a scope carries that scope.
When a scope completes without error, what it held before and no longer has is deleted; a scope
that failed (AccessDenied, throttling, a bad file) keeps its previous data untouched::

    with Sync(graph, provider="aws", source="aws 123456789012") as sync:
        with sync.scope("aws/123456789012/eu-west-1/ec2") as sc:
            sc.nodes(INSTANCE, rows)
            sc.rels(INSTANCE_IN_SUBNET, [{"source": iid, "target": subnet_id}])
"""

from __future__ import annotations

import json
import logging
import uuid
from collections import Counter
from collections.abc import Iterable, Iterator
from contextvars import ContextVar
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import cache

from neo4j.exceptions import DriverError, Neo4jError

from cloudmap.config import DEFAULT_BATCH
from cloudmap.graph.driver import Graph
from cloudmap.graph.lease import Lease
from cloudmap.graph.model import NodeKind, RelKind, RowError, validate_row

log = logging.getLogger("cloudmap.ingest")

DELETE_BATCH = 5000
MAX_WARNINGS_KEPT = 200


@dataclass(frozen=True)
class SyncPolicy:
    """How a sync treats other loads and large deletions (``cloudmap load`` options)."""

    wait: float = 0.0                   # seconds to wait for another load of the same source
    max_delete_fraction: float = 0.5    # a scope's cleanup may remove at most this share of its assets
    force_cleanup: bool = False         # remove whatever the source no longer has, however much
    allow_empty: bool = False           # a scope that yields nothing where it held assets is emptied


POLICY: ContextVar[SyncPolicy | None] = ContextVar("sync_policy", default=None)


def now() -> datetime:
    return datetime.now(UTC)


def _labels(kind: NodeKind) -> str:
    return "".join(f":`{label}`" for label in kind.labels[1:])


@cache
def node_query(kind: NodeKind) -> str:
    extra = f"SET n{_labels(kind)}\n" if len(kind.labels) > 1 else ""
    # Shared kinds (an image several sources see) carry no scope, so no source's cleanup removes them.
    scope = "" if kind.shared else ", n.scope = $scope"
    return (f"UNWIND $rows AS row\n"
            f"MERGE (n:`{kind.key_label}` {{id: row.id}})\n"
            f"ON CREATE SET n.first_seen = $now\n"
            f"{extra}"
            f"SET n += row, n.last_seen = $now, n.sync_id = $sync_id{scope}\n"
            f"RETURN count(n) AS written")


@cache
def rel_query(kind: RelKind) -> str:
    return (f"UNWIND $rows AS row\n"
            f"MATCH (a:`{kind.source_label}` {{id: row.source}})\n"
            f"MATCH (b:`{kind.target_label}` {{id: row.target}})\n"
            f"MERGE (a)-[r:`{kind.type}`]->(b)\n"
            f"ON CREATE SET r.first_seen = $now\n"
            f"SET r += row.props, r.last_seen = $now, r.sync_id = $sync_id, r.scope = $scope\n"
            f"RETURN count(r) AS written")


def batched(rows: Iterable, size: int) -> Iterator[list]:
    batch = []
    for row in rows:
        batch.append(row)
        if len(batch) >= size:
            yield batch
            batch = []
    if batch:
        yield batch


class Sync:
    """One load: an id, its scopes, counts, warnings and errors; recorded as a (:Sync) node with its
    ``status``: running, success, partial (some scopes failed or kept their data as suspect), failed,
    or abandoned (the process died; set by the next load of the same source).

    It holds the source's write lease from enter to exit (:mod:`cloudmap.graph.lease`)."""

    def __init__(self, graph: Graph, provider: str, source: str, batch_size: int = DEFAULT_BATCH,
                 progress=None, policy: SyncPolicy | None = None):
        self.graph = graph
        self.provider = provider
        self.source = source
        self.batch_size = batch_size
        self.id = f"{provider}-{now():%Y%m%dT%H%M%S}-{uuid.uuid4().hex[:8]}"
        self.started = now()
        self.counts: Counter[str] = Counter()
        self.warnings: list[str] = []
        self.warning_count = 0
        self.errors: list[str] = []
        self.completed: list[str] = []
        self.failed: list[str] = []
        self.status = "running"
        self.progress = progress  # callable(str) or None
        self.removed: Counter[str] = Counter()
        self.rel_types: dict[str, set[str]] = {}  # scope -> relationship types written in it
        self.scope_nodes: Counter[str] = Counter()  # scope -> nodes written in it
        self.suspect: list[str] = []  # completed scopes whose cleanup was refused (their data is kept)
        self.policy = policy or POLICY.get() or SyncPolicy()
        self.lease = Lease(graph, f"sync:{source}", "write", holder=self.id, wait=self.policy.wait)

    # -- context -----------------------------------------------------------------------------------
    def __enter__(self) -> Sync:
        self.lease.acquire()  # LeaseHeld when another live load of this source runs: nothing written
        try:
            self._abandon_dead()
            self._record()
        except BaseException:
            self.lease.release()
            raise
        return self

    def __exit__(self, exc_type, exc, tb) -> bool:
        try:
            if exc is None:
                self.finish()
            else:
                self._fail(exc)
        finally:
            self.lease.release()
        return False

    def _fail(self, exc: BaseException) -> None:
        self.status = "failed"
        self.errors.append(f"{type(exc).__name__}: {str(exc)[:500]}")
        self._record_quietly()

    def _abandon_dead(self) -> None:
        """Syncs of this source still ``running`` belong to loads that died: this one holds the lease."""
        self.graph.write("MATCH (s:Sync {source: $source, status: 'running'}) WHERE s.id <> $id "
                         "SET s.status = 'abandoned', s.finished_at = $now, s.abandoned_by = $id, "
                         "s.errors = coalesce(s.errors, []) + [$why]",
                         source=self.source, id=self.id, now=now(),
                         why=f"abandoned: the load stopped without finishing; {self.id} took over its lease")

    def scope(self, name: str) -> Scope:
        return Scope(self, name)

    def scope_failed(self, name: str, reason: str) -> None:
        """Record a scope as failed (the source refused it, or its data could not be used): it keeps
        its previous data and the sync ends ``partial``."""
        self.failed.append(name)
        self.errors.append(f"{name}: {reason[:300]}")
        log.warning("scope %s failed, its previous data is kept: %s", name, reason)

    def held_scopes(self, prefix: str) -> set[str]:
        """The scopes under ``prefix`` that hold assets now: a loader opens them even when its input has
        nothing for them, so that an input that lost a kind is seen (and refused) rather than ignored."""
        rows = self.graph.read_values("MATCH (n:Asset) WHERE n.scope STARTS WITH $prefix "
                                      "RETURN DISTINCT n.scope AS scope", prefix=prefix)
        return {r["scope"] for r in rows}

    def warn(self, message: str) -> None:
        self.warning_count += 1
        if len(self.warnings) < MAX_WARNINGS_KEPT:
            self.warnings.append(message)
        log.warning("%s", message)

    # -- writes ------------------------------------------------------------------------------------
    def write_nodes(self, kind: NodeKind, rows: Iterable[dict], scope: str | None) -> int:
        written = 0
        for batch in batched(self._valid(kind, rows), self.batch_size):
            written += self._write(node_query(kind), batch, scope)
        self.counts[kind.name] += written
        if scope is not None:
            self.scope_nodes[scope] += written
        return written

    def write_rels(self, kind: RelKind, rows: Iterable[dict], scope: str | None) -> int:
        if kind.derived:
            raise RowError(f"{kind.name} is derived: only the engine writes it (cloudmap derive)")
        written = requested = 0
        for batch in batched(self._valid(kind, rows), self.batch_size):
            requested += len(batch)
            written += self._write(rel_query(kind), batch, scope)
        if requested > written:
            self.warn(f"{kind.name}: {requested - written} relationship(s) skipped, an end node does not exist")
        if scope is not None:
            self.rel_types.setdefault(scope, set()).add(kind.type)
        self.counts[kind.type] += written
        return written

    def _valid(self, kind, rows: Iterable[dict]) -> Iterator[dict]:
        for row in rows:
            try:
                yield validate_row(kind, row)
            except RowError as exc:
                self.warn(str(exc))

    def _write(self, query: str, batch: list[dict], scope: str | None) -> int:
        def work(tx):
            return tx.run(query, rows=batch, now=self.started, sync_id=self.id, scope=scope).single()["written"]

        with self.graph.session() as session:
            return session.execute_write(work)  # retries transient errors (deadlocks, leader switch)

    # -- end ---------------------------------------------------------------------------------------
    def finish(self) -> None:
        try:
            self.lease.renew()  # never clean up on a lease another load has taken over
            allowed = self._guard()
            self.removed.update(cleanup(self.graph, allowed, self.id, self.rel_types,
                                        kept=self.failed + self.suspect))
        except Exception as exc:
            self._fail(exc)
            raise
        self.status = "partial" if self.failed or self.suspect else "success"
        self._record()

    def _guard(self) -> list[str]:
        """The completed scopes whose cleanup may run. A scope that yielded nothing where it held assets,
        or whose cleanup would remove more than ``max_delete_fraction`` of them, keeps its previous data
        and is reported as suspect, unless the policy allows it."""
        if not self.completed:
            return []
        rows = self.graph.read(
            "MATCH (n:Asset) WHERE n.scope IN $scopes "
            "WITH n.scope AS scope, sum(CASE WHEN n.sync_id <> $id THEN 1 ELSE 0 END) AS stale, "
            "     sum(CASE WHEN n.sync_id <> $id OR n.first_seen < $started THEN 1 ELSE 0 END) AS held "
            "WHERE stale > 0 RETURN scope, stale, held",
            scopes=self.completed, id=self.id, started=self.started)
        refused = {}
        limit = self.policy.max_delete_fraction
        for row in rows:
            scope, stale, held = row["scope"], row["stale"], row["held"]
            if self.scope_nodes[scope] == 0:
                if self.policy.allow_empty or self.policy.force_cleanup:
                    continue
                refused[scope] = (f"{scope}: the source yielded nothing where the last sync found {held} "
                                  f"asset(s); they are kept (pass --allow-empty if it really is empty now)")
            elif stale > limit * held and not self.policy.force_cleanup:
                refused[scope] = (f"{scope}: cleanup refused, it would remove {stale} of {held} asset(s) "
                                  f"({stale / held:.0%} > --max-delete-fraction {limit:g}); they are kept "
                                  f"(pass --force-cleanup if the source really lost them)")
        for scope, message in refused.items():
            self.suspect.append(scope)
            self.errors.append(message)
            log.warning("%s", message)
        return [scope for scope in self.completed if scope not in refused]

    def _record(self) -> None:
        self.graph.write(
            "MERGE (s:Sync {id: $id}) SET s += $props",
            id=self.id,
            props={"provider": self.provider, "source": self.source, "started_at": self.started,
                   "finished_at": None if self.status == "running" else now(), "status": self.status,
                   "scopes_completed": self.completed, "scopes_failed": self.failed,
                   "scopes_suspect": self.suspect,
                   "counts": json.dumps(dict(self.counts), sort_keys=True),
                   "removed": json.dumps(dict(self.removed), sort_keys=True),
                   "errors": self.errors[:50], "warnings": self.warnings[:50],
                   "warning_count": self.warning_count})

    def _record_quietly(self) -> None:
        try:
            self._record()
        except (Neo4jError, DriverError):
            log.exception("could not record sync %s", self.id)

    def summary(self) -> dict:
        return {"sync_id": self.id, "status": self.status, "written": dict(self.counts),
                "removed": dict(self.removed), "scopes_completed": len(self.completed),
                "scopes_failed": self.failed, "scopes_suspect": self.suspect, "errors": self.errors, "warnings": self.warning_count}


class Scope:
    """One unit of fetching. An exception inside marks it failed (recorded, not raised) unless it
    comes from Neo4j itself, which aborts the whole sync."""

    def __init__(self, sync: Sync, name: str):
        self.sync = sync
        self.name = name

    def nodes(self, kind: NodeKind, rows: Iterable[dict]) -> int:
        return self.sync.write_nodes(kind, rows, self.name)

    def rels(self, kind: RelKind, rows: Iterable[dict]) -> int:
        return self.sync.write_rels(kind, rows, self.name)

    def __enter__(self) -> Scope:
        if self.sync.progress:
            self.sync.progress(self.name)
        return self

    def __exit__(self, exc_type, exc, tb) -> bool:
        if exc is None:
            self.sync.completed.append(self.name)
            return False
        if isinstance(exc, (Neo4jError, DriverError)) or not isinstance(exc, Exception):
            return False
        self.sync.scope_failed(self.name, f"{type(exc).__name__}: {exc}")
        return True


def cleanup(graph: Graph, scopes: list[str], sync_id: str, rel_types: dict[str, set[str]],
            kept: list[str] = ()) -> Counter:
    """Delete what earlier syncs wrote under the completed ``scopes`` and this one did not.

    Relationships that touch a node of a ``kept`` scope (failed or suspect: its data stays) stay too:
    a completed scope could not draw its links to nodes this sync did not see (a service's routes to
    pods an input lacked), and removing them would cut the kept nodes off.

    Relationship types to look at are those written in each scope now or by an earlier sync (kept
    on ``(:ScopeState {id: scope, rel_types})``), so each type costs one index-backed query for all
    scopes together. Relationships go first, in batches, so that a node with very many
    relationships never has to be detached in one transaction."""
    removed: Counter[str] = Counter()
    if not scopes:
        return removed
    previous = {r["id"]: r["types"] for r in graph.read(
        "MATCH (s:ScopeState) WHERE s.id IN $scopes RETURN s.id AS id, s.rel_types AS types", scopes=scopes)}
    by_type: dict[str, list[str]] = {}
    for scope in scopes:
        for rel_type in set(previous.get(scope) or ()) | rel_types.get(scope, set()):
            by_type.setdefault(rel_type, []).append(scope)
    for rel_type, type_scopes in sorted(by_type.items()):
        summary = graph.run_autocommit(
            f"MATCH (a)-[r:`{rel_type}`]->(b) WHERE r.scope IN $scopes AND r.sync_id <> $sync_id "
            f"AND NOT (coalesce(a.scope, '') IN $kept OR coalesce(b.scope, '') IN $kept) "
            f"CALL (r) {{ DELETE r }} IN TRANSACTIONS OF {DELETE_BATCH} ROWS",
            scopes=type_scopes, sync_id=sync_id, kept=list(kept))
        removed["relationships"] += summary.counters.relationships_deleted
    summary = graph.run_autocommit(
        "MATCH (n:Asset) WHERE n.scope IN $scopes AND n.sync_id <> $sync_id MATCH (n)-[r]-() "
        f"CALL (r) {{ DELETE r }} IN TRANSACTIONS OF {DELETE_BATCH} ROWS",
        scopes=scopes, sync_id=sync_id)
    removed["relationships"] += summary.counters.relationships_deleted
    summary = graph.run_autocommit(
        "MATCH (n:Asset) WHERE n.scope IN $scopes AND n.sync_id <> $sync_id "
        f"CALL (n) {{ DETACH DELETE n }} IN TRANSACTIONS OF {DELETE_BATCH} ROWS",
        scopes=scopes, sync_id=sync_id)
    removed["nodes"] += summary.counters.nodes_deleted
    graph.write("UNWIND $rows AS row MERGE (s:ScopeState {id: row.id}) SET s.rel_types = row.types, "
                "s.sync_id = $sync_id", sync_id=sync_id,
                rows=[{"id": sc, "types": sorted(rel_types.get(sc, set()))} for sc in scopes])
    return removed
