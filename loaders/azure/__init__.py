"""Azure: Resource Graph rows (live through the SDK, or `az graph query` / portal exports) mapped onto
the agnostic graph model. Pipeline: fetch or read rows -> ``transform.build_plan`` (pure, validates
everything) -> ``write.write_plan`` (one sync, scoped per subscription and table).

``load(graph, exports=[...])`` or ``load(graph, subscriptions=[...])`` is the library entry point."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from cloudmap.loaders.kit import LoadSummary

from cloudmap.graph.driver import Graph


def load(graph: Graph, exports: list[Path] | None = None, subscriptions: list[str] | None = None,
         endpoint: str | None = None, batch_size: int = 2000,
         progress: Callable[[str], None] | None = None, max_workers: int = 4) -> LoadSummary:
    """Load export files (every one checked before any write), else query Resource Graph live.
    Bad input raises AzureInputError, refused credentials AzureAccessError, before anything is written."""
    from cloudmap.loaders.azure.exports import read_export
    from cloudmap.loaders.azure.resource_graph import fetch
    from cloudmap.loaders.azure.transform import build_plan
    from cloudmap.loaders.azure.write import known_principals, write_plan

    failed: dict[str, str] = {}
    if exports:
        rows = [row for path in exports for row in read_export(path)]
        covered: set[str] = set()
        source = f"azure exports {', '.join(Path(p).name for p in exports)}"
    else:
        fetched = fetch(subscriptions, endpoint, progress=progress, max_workers=max_workers)
        rows, covered, failed = fetched.rows, fetched.covered, fetched.failed
        source = f"azure {', '.join(subscriptions) if subscriptions else 'all subscriptions'}"
    plan = build_plan(rows, known_principals(graph), covered)
    return write_plan(graph, plan, source, batch_size, progress=progress, failed_tables=failed)
