"""Peak resident memory of each derivation step, on the analysed graph NEO4J_URI points to.

    NEO4J_URI=bolt://… NEO4J_PASSWORD=… python -m bench.engine_memory

Runs the engine in this process (``cloudmap.engine.derive``, as ``cloudmap analyze`` does). As each step
starts, the kernel's peak-RSS mark (``/proc/self/clear_refs``) is reset, so each step's ``peak_mb`` is its
own. Prints one JSON line per step, then the edges written, created and removed: on a graph already
analysed by the same engine, created and removed are 0 (the same edges), which makes a change to how the
engine holds its edges checkable for sameness on the same graph. Linux only."""

from __future__ import annotations

import json
import logging
from pathlib import Path

from bench.server import require_existing, reset_hwm
from cloudmap.config import load_settings
from cloudmap.engine import derive
from cloudmap.graph.driver import connect


def status_mb(key: str) -> int:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(key):
            return int(line.split()[1]) // 1024
    raise KeyError(key)


def main() -> None:
    require_existing("bench.engine_memory")
    logging.getLogger("neo4j").setLevel(logging.ERROR)
    print(json.dumps({"baseline_rss_mb": status_mb("VmRSS:")}), flush=True)
    marks: list[dict] = []

    def step_starts(name: str) -> None:
        if marks:   # the step before this one has ended: its peak
            marks[-1]["peak_mb"] = status_mb("VmHWM:")
        reset_hwm()
        marks.append({"step": name, "rss_before_mb": status_mb("VmRSS:")})

    with connect(load_settings()) as graph:
        summary = derive(graph, progress=step_starts)
    marks[-1]["peak_mb"] = status_mb("VmHWM:")
    for mark, step in zip(marks, summary["steps"], strict=True):
        print(json.dumps({**mark, "seconds": step["seconds"], "status": step["status"]}), flush=True)
    print(json.dumps({"edges": summary["edges"]}), flush=True)


if __name__ == "__main__":
    main()
