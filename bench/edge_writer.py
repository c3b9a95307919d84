"""Derived-edge write rate of the engine's EdgeWriter per batch size, fresh and rewritten.

    python -m bench.edge_writer --nodes 20000 --edges 60000 --batch-sizes 1000 2000 5000 10000

Creates ``--nodes`` assets, then for each batch size writes ``--edges`` random CAN_CONNECT_TO
edges with lateral-movement-like properties on a database holding none (fresh: every MERGE
creates), and again with a new run id (rewrite: every MERGE matches, the re-derive path). The
first batch size is run twice and its first (JVM warm-up) figures are dropped.
"""

from __future__ import annotations

import argparse
import json
import logging
import random
import time

from bench.ingest import wipe
from bench.server import bench_server
from cloudmap.engine import writer
from cloudmap.graph.driver import connect
from cloudmap.graph.schema import apply_schema


def run(nodes: int, edges: int, batch_sizes: list[int]) -> None:
    rnd = random.Random(7)
    rows = [{"source": f"a{rnd.randrange(nodes)}", "target": f"a{rnd.randrange(nodes)}", "ports": ["22", "443"],
             "protocols": ["tcp"], "rules": ["sg-1", "sg-2"]} for _ in range(edges)]
    with bench_server() as (cfg, _server):
        graph = connect(cfg)
        apply_schema(graph)
        wipe(graph)
        graph.write("UNWIND range(0, $n - 1) AS i CREATE (:Asset {id: 'a' + i})", n=nodes)
        for i, batch in enumerate([batch_sizes[0], *batch_sizes]):
            writer.WRITE_BATCH = batch
            graph.run_autocommit("MATCH ()-[r:CAN_CONNECT_TO]->() CALL (r) { DELETE r } IN TRANSACTIONS OF 10000 ROWS")
            times = []
            for run_id in ("fresh", "rewrite"):
                t0 = time.perf_counter()
                writer.EdgeWriter(graph, run_id).write("bench", "CAN_CONNECT_TO", rows)
                times.append(time.perf_counter() - t0)
            if i:
                print(json.dumps({"batch": batch, "edges": edges, "fresh_edges_s": round(edges / times[0]),
                                  "rewrite_edges_s": round(edges / times[1])}), flush=True)
        graph.close()


def main() -> None:
    logging.getLogger("neo4j").setLevel(logging.ERROR)
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--nodes", type=int, default=20_000)
    ap.add_argument("--edges", type=int, default=60_000)
    ap.add_argument("--batch-sizes", type=int, nargs="+", default=[1000, 2000, 5000, 10_000])
    args = ap.parse_args()
    run(args.nodes, args.edges, args.batch_sizes)


if __name__ == "__main__":
    main()
