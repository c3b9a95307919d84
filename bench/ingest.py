"""Ingestion core vs the raw `UNWIND ... CREATE` baseline: the same estate rows, same server, same run.

    python -m bench.ingest --assets 10000 100000 --batch-sizes 1000 2000 5000

For each size the synthetic estate of bench/estate.py is written (a) with raw `CREATE` on an empty
database (the physical-limit baseline: no validation, no MERGE, no bookkeeping; relationships
MATCH their ends through the same id constraint) and (b) through the ingestion core (validation,
MERGE on the constrained key, first_seen/last_seen/sync_id/scope, one sync with cleanup) on an
empty database, then (c) the same sync again (the steady-state update path). Rows come from
generators, so the loader's memory is bounded by the batch size, not the estate size.
"""

from __future__ import annotations

import argparse
import json
import logging
import resource
import time

from bench.estate import Estate, units_for
from bench.server import bench_server, hwm_mb
from cloudmap.graph.driver import connect
from cloudmap.graph.ingest import Sync, batched
from cloudmap.graph.model import NodeKind
from cloudmap.graph.schema import apply_schema


def wipe(graph) -> None:
    """Relationships first, then nodes, each in bounded transactions (a batch of nodes with hundreds of
    thousands of relationships between them exceeds the transaction memory pool)."""
    graph.run_autocommit("MATCH ()-[r]->() CALL (r) { DELETE r } IN TRANSACTIONS OF 20000 ROWS")
    graph.run_autocommit("MATCH (n) WHERE NOT n:SchemaVersion CALL (n) { DETACH DELETE n } "
                         "IN TRANSACTIONS OF 10000 ROWS")


def raw_baseline(graph, estate: Estate, batch: int) -> tuple[float, int]:
    rows_total = 0
    t0 = time.perf_counter()
    for stream in estate.streams():
        kind = stream.kind
        if isinstance(kind, NodeKind):
            labels = ":".join(f"`{label}`" for label in kind.labels)
            query = f"UNWIND $rows AS row CREATE (n:{labels}) SET n = row"
        else:
            query = (f"UNWIND $rows AS row MATCH (a:`{kind.source_label}` {{id: row.source}}) "
                     f"MATCH (b:`{kind.target_label}` {{id: row.target}}) CREATE (a)-[:`{kind.type}`]->(b)")
        for rows in batched(({k: v for k, v in r.items() if v is not None} for r in stream.rows), batch):
            graph.write(query, rows=rows)
            rows_total += len(rows)
    return time.perf_counter() - t0, rows_total


def core(graph, estate: Estate, batch: int) -> tuple[float, int]:
    t0 = time.perf_counter()
    with Sync(graph, "aws", "bench estate", batch_size=batch) as sync:
        with sync.scope("aws/bench/eu-west-1/estate") as sc:
            for stream in estate.streams():
                write = sc.nodes if isinstance(stream.kind, NodeKind) else sc.rels
                write(stream.kind, stream.rows)
    return time.perf_counter() - t0, sum(sync.counts.values())


def run(sizes: list[int], batch_sizes: list[int]) -> list[dict]:
    out = []
    with bench_server() as (cfg, server):
        graph = connect(cfg)
        apply_schema(graph)
        for assets in sizes:
            estate = Estate(units_for(assets))
            for batch in batch_sizes:
                wipe(graph)
                base_s, rows = raw_baseline(graph, estate, batch)
                wipe(graph)
                core_s, written = core(graph, estate, batch)
                update_s, _ = core(graph, estate, batch)
                rec = {"assets": estate.units * 125, "batch": batch, "rows": rows, "core_rows_written": written,
                       "raw_s": round(base_s, 1), "core_s": round(core_s, 1), "update_s": round(update_s, 1),
                       "raw_rows_s": round(rows / base_s), "core_rows_s": round(rows / core_s),
                       "update_rows_s": round(rows / update_s), "core_vs_raw": round(base_s / core_s, 2),
                       "loader_peak_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024),
                       "neo4j_peak_rss_mb": round(hwm_mb(server.running_pid())) if server else None}
                print(json.dumps(rec), flush=True)
                out.append(rec)
        wipe(graph)
        graph.close()
    return out


def main() -> None:
    logging.getLogger("neo4j").setLevel(logging.ERROR)
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--assets", type=int, nargs="+", default=[10_000, 100_000])
    ap.add_argument("--batch-sizes", type=int, nargs="+", default=[2000])
    args = ap.parse_args()
    run(args.assets, args.batch_sizes)


if __name__ == "__main__":
    main()
