"""Offline bulk import vs the raw `UNWIND ... CREATE` baseline and the ingestion core, same rows, same run.

    python -m bench.bulk_import --assets 10000

The physical limit of loading the estate of bench/estate.py: its rows are written as CSV files in
the neo4j-admin header format (timed on its own) and loaded offline with `neo4j-admin database
import full` into the empty database of a fresh server home (the time includes the admin JVM's
start; it gets the bench server's 2g heap and 1g of off-heap memory). That home is then started
and its nodes and relationships counted. The same rows then go through `raw_baseline` and `core`
of bench/ingest.py on a fresh bench server; ratios are their rows/s over the import's rows/s.
"""

from __future__ import annotations

import argparse
import csv
import json
import logging
import os
import re
import subprocess
import tempfile
import time
from pathlib import Path

from bench.estate import ASSETS_PER_UNIT, Estate, units_for
from bench.ingest import core, raw_baseline, wipe
from bench.server import bench_server
from cloudmap.config import load_settings
from cloudmap.db.runtime import ADMIN_CLASS, ensure_runtime, find_java
from cloudmap.db.server import LocalServer, free_port, new_password
from cloudmap.graph.driver import connect
from cloudmap.graph.model import NodeKind
from cloudmap.graph.schema import apply_schema


def _column_type(values) -> str:
    kinds = {type(v) for v in values if v is not None}
    if list in kinds:
        return "string[]"
    if kinds == {bool}:
        return "boolean"
    if kinds == {int}:
        return "long"
    if kinds and kinds <= {int, float}:
        return "double"
    return "string"


def _cell(value):
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, list):
        return ";".join(str(v) for v in value)
    return value  # None is written as an empty field: no property


def write_csv(estate: Estate, out: Path) -> tuple[list[str], int, int]:
    """One file per kind; returns the --nodes/--relationships arguments and the node and rel row counts."""
    args, nodes, rels = [], 0, 0
    for n, stream in enumerate(estate.streams()):
        kind, rows = stream.kind, list(stream.rows)  # one kind at a time: the header needs every column
        if not rows:
            continue
        is_node = isinstance(kind, NodeKind)
        keys = ("id",) if is_node else ("source", "target")
        props = list(dict.fromkeys(k for r in rows for k in r if k not in keys))
        header = ["id:ID", ":LABEL"] if is_node else [":START_ID", ":END_ID", ":TYPE"]
        header += [f"{p}:{_column_type(r.get(p) for r in rows)}" for p in props]
        fixed = ";".join(kind.labels) if is_node else kind.type
        path = out / f"{n:02d}-{kind.name if is_node else kind.type}.csv"
        with open(path, "w", newline="") as fh:
            w = csv.writer(fh)
            w.writerow(header)
            for r in rows:
                w.writerow([*(r[k] for k in keys), fixed, *(_cell(r.get(p)) for p in props)])
        args.append(f"--{'nodes' if is_node else 'relationships'}={path}")
        nodes, rels = (nodes + len(rows), rels) if is_node else (nodes, rels + len(rows))
    return args, nodes, rels


def _admin(lib: Path, home: Path, *args: str, heap: str = "512m") -> subprocess.CompletedProcess:
    env = {**os.environ, "NEO4J_HOME": str(home), "NEO4J_CONF": str(home / "conf")}
    return subprocess.run([find_java(), f"-Xmx{heap}", "-cp", f"{lib}/*", ADMIN_CLASS, *args],
                          capture_output=True, text=True, env=env, timeout=3600)


def bulk_import(estate: Estate) -> dict:
    base = load_settings()
    lib = ensure_runtime(base.data_dir, base.neo4j_version, base.browser_version, echo=lambda *_: None) / "lib"
    with tempfile.TemporaryDirectory(prefix="cloudmap-bench-import-") as tmp:
        csv_dir, home = Path(tmp) / "csv", Path(tmp) / "home"
        csv_dir.mkdir()
        t0 = time.perf_counter()
        files, nodes, rels = write_csv(estate, csv_dir)
        csv_s = time.perf_counter() - t0
        server = LocalServer(home, bolt_port=free_port(), http_port=free_port(), password=new_password(),
                             data_dir=base.data_dir, neo4j_version=base.neo4j_version,
                             browser_version=base.browser_version, use_docker="no")
        for sub in ("conf", "data", "logs", "run", "plugins", "import"):
            (home / sub).mkdir(parents=True)
        server.write_conf()
        # the server sets its password only on a home without data, so set it before the import
        proc = _admin(lib, home, "dbms", "set-initial-password", "--", server.password)
        if proc.returncode != 0:
            raise SystemExit(f"set-initial-password failed: {proc.stderr.strip()[-500:]}")
        report = Path(tmp) / "import.report"
        t0 = time.perf_counter()
        proc = _admin(lib, home, "database", "import", "full", *files, "--skip-bad-relationships=true",
                      f"--bad-tolerance={nodes + rels}", "--max-off-heap-memory=1g", f"--report-file={report}",
                      "--overwrite-destination=true", "neo4j", heap="2g")
        import_s = time.perf_counter() - t0
        if proc.returncode != 0:
            raise SystemExit(f"neo4j-admin import failed ({proc.returncode}):\n{(proc.stdout + proc.stderr)[-2000:]}")
        done = re.search(r"IMPORT DONE in (?:(\d+)m )?(?:(\d+)s )?(\d+)ms", proc.stdout)
        skipped = sum(1 for _ in report.open()) if report.exists() else 0
        server.start(echo=lambda *_: None)
        try:
            with connect(load_settings(neo4j_uri=server.bolt_uri, neo4j_password=server.password)) as g:
                got_nodes = g.read("MATCH (n) RETURN count(n) AS c")[0]["c"]
                got_rels = g.read("MATCH ()-[r]->() RETURN count(r) AS c")[0]["c"]
        finally:
            server.stop()
    print(f"import of {nodes} nodes, {rels} rels: {got_nodes} nodes and {got_rels} relationships in the "
          f"imported database, {skipped} bad entries skipped", flush=True)
    rec = {"rows": nodes + rels, "csv_write_s": round(csv_s, 2), "import_s": round(import_s, 2)}
    if done:
        m, s, ms = (int(x or 0) for x in done.groups())
        rec["import_tool_s"] = round(m * 60 + s + ms / 1000, 2)  # the tool's own figure, without JVM start
    return {**rec, "imported_nodes": got_nodes, "imported_rels": got_rels, "skipped": skipped}


def run(sizes: list[int], batch: int) -> None:
    estates = [Estate(units_for(assets)) for assets in sizes]
    recs = [{"assets": e.units * ASSETS_PER_UNIT, **bulk_import(e)} for e in estates]
    with bench_server() as (cfg, _server):  # started after the imports, so they do not share the machine
        graph = connect(cfg)
        apply_schema(graph)
        for estate, rec in zip(estates, recs, strict=True):
            wipe(graph)
            raw_s, raw_rows = raw_baseline(graph, estate, batch)
            wipe(graph)
            core_s, _ = core(graph, estate, batch)
            wipe(graph)
            rows, import_rate = rec["rows"], rec["rows"] / rec["import_s"]
            assert raw_rows == rows, (raw_rows, rows)
            rec.update(import_rows_s=round(import_rate), raw_s=round(raw_s, 2), raw_rows_s=round(rows / raw_s),
                       core_s=round(core_s, 2), core_rows_s=round(rows / core_s),
                       core_vs_import=round(rows / core_s / import_rate, 3),
                       raw_vs_import=round(rows / raw_s / import_rate, 3))
            print(json.dumps(rec), flush=True)
        graph.close()


def main() -> None:
    logging.getLogger("neo4j").setLevel(logging.ERROR)
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--assets", type=int, nargs="+", default=[10_000])
    ap.add_argument("--batch", type=int, default=10_000)
    args = ap.parse_args()
    run(args.assets, args.batch)


if __name__ == "__main__":
    main()
