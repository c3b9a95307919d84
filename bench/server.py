"""A Neo4j server for a benchmark run: NEO4J_URI if set, else a fresh local server on free ports.

Also reports the local server's start-up time and resident memory (`python -m bench.server`)."""

from __future__ import annotations

import argparse
import json
import os
import signal
import sys
import tempfile
import time
from contextlib import contextmanager
from pathlib import Path

from cloudmap.config import load_settings
from cloudmap.db.server import LocalServer, free_port, new_password
from cloudmap.graph.driver import connect


def rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def hwm_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def reset_hwm() -> None:
    """Set this process's peak-RSS mark (VmHWM) back to its current RSS (Linux), so the next
    :func:`hwm_mb` reads the peak of what runs in between."""
    Path("/proc/self/clear_refs").write_text("5")


@contextmanager
def bench_server(heap: str = "2g", pagecache: str = "1g"):
    """Yields (settings, server or None)."""
    base = load_settings()
    if os.environ.get("NEO4J_URI"):
        yield base, None
        return
    with tempfile.TemporaryDirectory(prefix="cloudmap-bench-") as home:
        server = LocalServer(Path(home), bolt_port=free_port(), http_port=free_port(), password=new_password(),
                             heap=heap, pagecache=pagecache, data_dir=base.data_dir,
                             neo4j_version=base.neo4j_version, browser_version=base.browser_version, use_docker="no")
        server.start(echo=lambda *_: None)
        # A stopped benchmark (SIGTERM) stops its server too instead of leaving it running.
        previous = signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
        try:
            yield load_settings(neo4j_uri=server.bolt_uri, neo4j_password=server.password), server
        finally:
            server.stop()
            signal.signal(signal.SIGTERM, previous)


def require_existing(option: str) -> None:
    """``option`` measures the graph NEO4J_URI points to: refuse it before a fresh (empty) local server starts."""
    if not os.environ.get("NEO4J_URI"):
        raise SystemExit(f"{option} measures the graph at NEO4J_URI: set NEO4J_URI (and NEO4J_PASSWORD)")


def measure_startup(heap: str) -> dict:
    base = load_settings()
    with tempfile.TemporaryDirectory(prefix="cloudmap-start-") as home:
        server = LocalServer(Path(home), bolt_port=free_port(), http_port=free_port(), password=new_password(),
                             heap=heap, pagecache="256m", data_dir=base.data_dir, neo4j_version=base.neo4j_version,
                             browser_version=base.browser_version, use_docker="no")
        t0 = time.perf_counter()
        server.start(echo=lambda *_: None)
        cold = time.perf_counter() - t0
        pid = server.running_pid()
        idle_rss = rss_mb(pid)
        server.stop()
        t0 = time.perf_counter()
        server.start(echo=lambda *_: None)
        warm = time.perf_counter() - t0
        with connect(load_settings(neo4j_uri=server.bolt_uri, neo4j_password=server.password)) as g:
            g.write("UNWIND range(1, 100000) AS i CREATE (:Asset {id: toString(i), name: 'n' + i})")
        loaded_rss = rss_mb(server.running_pid())
        server.stop()
    return {"heap": heap, "cold_start_s": round(cold, 1), "restart_s": round(warm, 1),
            "rss_idle_mb": round(idle_rss), "rss_after_100k_nodes_mb": round(loaded_rss)}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--heap", default="512m")
    args = ap.parse_args()
    print(json.dumps(measure_startup(args.heap), indent=2))


if __name__ == "__main__":
    main()
