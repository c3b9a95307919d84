"""Peak resident memory of each derivation step, on the analysed graph NEO4J_URI points to.

    NEO4J_URI=bolt://… NEO4J_PASSWORD=… python -m bench.engine_memory

Runs the engine's steps in order in this process (as ``cloudmap analyze`` does) and, before each, resets
the kernel's peak-RSS mark (``/proc/self/clear_refs``), so each step's ``peak_mb`` is its own. Prints one
JSON line per step, then the edges written, created and removed: on a graph already analysed by the same
engine, created and removed are 0 (the same edges), which makes a change to how the engine holds its edges
checkable for sameness on the same graph. Linux only."""

from __future__ import annotations

import json
import logging
import time
from pathlib import Path

from bench.server import require_existing
from cloudmap.config import load_settings
from cloudmap.engine import _steps
from cloudmap.engine.writer import EdgeWriter
from cloudmap.graph.driver import connect


def status_mb(key: str) -> int:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(key):
            return int(line.split()[1]) // 1024
    raise KeyError(key)


def main() -> None:
    require_existing("bench.engine_memory")
    logging.getLogger("neo4j").setLevel(logging.ERROR)
    with connect(load_settings()) as graph:
        writer = EdgeWriter(graph, f"derive-bench-memory-{int(time.time())}")
        print(json.dumps({"baseline_rss_mb": status_mb("VmRSS:")}), flush=True)
        for name, step in _steps():
            Path("/proc/self/clear_refs").write_text("5")   # reset VmHWM to the current RSS
            before, t0 = status_mb("VmRSS:"), time.monotonic()
            step(graph, writer)
            print(json.dumps({"step": name, "seconds": round(time.monotonic() - t0, 1), "rss_before_mb": before,
                              "peak_mb": status_mb("VmHWM:"), "rss_after_mb": status_mb("VmRSS:")}), flush=True)
        print(json.dumps({"written": dict(writer.written), "created": dict(writer.created),
                          "removed": dict(writer.removed)}), flush=True)


if __name__ == "__main__":
    main()
