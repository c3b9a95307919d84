"""Writing derived edges: MERGE in UNWIND batches, stamp with the run id, then sweep what this
run did not produce.

Rows are checked against the edge kind's declaration (:mod:`cloudmap.graph.kinds.derived`): typed
evidence properties and the identity key that tells parallel edges apart. Every derived edge
carries ``derived: true``, ``derived_by`` (the derivation that made it) and ``run_id``. After a derivation has written all its edges without error, edges of its kind still
holding an older ``run_id`` are deleted in batches: a closed port or a detached policy removes the
edges it no longer supports, and an unchanged graph keeps exactly the same edges and properties
(only ``run_id`` moves). A derivation that fails is not swept, so its previous edges stay.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Iterable, Iterator

from cloudmap.graph.driver import Graph
from cloudmap.graph.ingest import batched
from cloudmap.graph.model import RelKind, RowError, validate_row

WRITE_BATCH = 10_000   # bench/edge_writer.py: ~12k edges/s fresh vs ~8.7k at 2,000
SWEEP_BATCH = 5000
READ_PAGE = 5000


class EdgeWriter:
    def __init__(self, graph: Graph, run_id: str):
        self.graph = graph
        self.run_id = run_id
        self.created: Counter[str] = Counter()
        self.written: Counter[str] = Counter()
        self.removed: Counter[str] = Counter()

    def write(self, derivation: str, kind: RelKind, rows: Iterable[dict]) -> int:
        """rows: ``{"source": id, "target": id, **evidence}``, checked against the declaration of
        ``kind`` (a ``RelKind(derived=True)`` from :mod:`cloudmap.graph.kinds.derived`). Every row is
        validated before anything is written, so a bad row leaves the previous edges as they were."""
        if not kind.derived:
            raise RowError(f"{kind.name} is a raw relationship kind: the engine writes only derived kinds")
        clean = [validate_row(kind, row) for row in _dedupe(rows, kind.identity)]
        keymap = "".join(f", {k}: row.props.{k}" for k in kind.identity)
        query = (f"UNWIND $rows AS row\n"
                 f"MATCH (a:`{kind.source_label}` {{id: row.source}})\n"
                 f"MATCH (b:`{kind.target_label}` {{id: row.target}})\n"
                 f"MERGE (a)-[r:`{kind.type}` {{derived_by: $by{keymap}}}]->(b)\n"
                 f"SET r = row.props, r.derived = true, r.derived_by = $by, r.run_id = $run\n"
                 f"RETURN count(r) AS n")
        total = 0
        for batch in batched(clean, WRITE_BATCH):
            for row in batch:
                row["props"] = {k: v for k, v in row["props"].items() if v is not None}
            with self.graph.session() as session:
                n, created = session.execute_write(_run_counted, query, rows=batch, by=derivation, run=self.run_id)
            total += n
            self.created[kind.type] += created
        self.written[kind.type] += total
        return total

    def sweep(self, derivation: str, kind: RelKind) -> int:
        """Delete the edges of ``kind`` this derivation made in earlier runs and not in this one."""
        summary = self.graph.run_autocommit(
            f"MATCH ()-[r:`{kind.type}`]->() WHERE r.derived_by = $by AND r.run_id <> $run "
            f"CALL (r) {{ DELETE r }} IN TRANSACTIONS OF {SWEEP_BATCH} ROWS",
            by=derivation, run=self.run_id)
        n = summary.counters.relationships_deleted
        self.removed[kind.type] += n
        return n


def _run_counted(tx, query: str, **params) -> tuple[int, int]:
    result = tx.run(query, **params)
    n = result.single()["n"]
    return n, result.consume().counters.relationships_created


def _dedupe(rows: Iterable[dict], identity: tuple[str, ...]) -> Iterator[dict]:
    """Merge rows for the same edge (source, target, identity key) within one call: list properties
    are unioned."""
    seen: dict[tuple, dict] = {}
    order: list[tuple] = []
    for row in rows:
        k = (row.get("source"), row.get("target"), *(row.get(name) for name in identity))
        if k not in seen:
            seen[k] = dict(row)
            order.append(k)
            continue
        cur = seen[k]
        for name, value in row.items():
            if isinstance(value, list) and isinstance(cur.get(name), list):
                cur[name] = sorted(set(cur[name]) | set(value))
    for k in order:
        yield seen.pop(k)   # each raw row is let go as its validated form is made: one copy at a time


def stream(graph: Graph, query: str, **params) -> Iterator[dict]:
    """Iterate a read query's records without holding them all (the driver fetches in pages)."""
    with graph.session(fetch_size=READ_PAGE) as session, session.begin_transaction() as tx:
        for record in tx.run(query, **params):
            yield record.data()


def group(rows: Iterable[dict], key: str) -> dict[str, list[dict]]:
    out: dict[str, list[dict]] = defaultdict(list)
    for row in rows:
        out[row[key]].append(row)
    return out
