"""Writing the rows as one sync: every node first, then every relationship, project by project; a
project's previous data that this input no longer has is removed only after the new data is in."""

from __future__ import annotations

from collections import defaultdict
from pathlib import Path

from cloudmap.loaders.gcp.exports import read_export
from cloudmap.loaders.gcp.transform import Rows, build_rows

from cloudmap.graph.driver import Graph
from cloudmap.graph.ingest import Sync


def write_rows(graph: Graph, rows: Rows, source: str, batch_size: int = 2000, progress=None) -> dict:
    shared: dict = defaultdict(list)
    by_scope: dict = defaultdict(lambda: defaultdict(list))
    for kind, nodes in rows.nodes.items():
        for scope, row in nodes.values():
            (by_scope[scope][kind] if scope else shared[kind]).append(row)
    scopes = sorted(set(by_scope) | set(rows.rels))
    with Sync(graph, provider="gcp", source=source, batch_size=batch_size, progress=progress) as sync:
        for kind, node_rows in shared.items():  # hierarchy above projects, roles, members: never scope-cleaned
            sync.write_nodes(kind, node_rows, None)
        handles = {name: sync.scope(name) for name in scopes}
        for name in scopes:
            for kind, node_rows in by_scope[name].items():
                handles[name].nodes(kind, node_rows)
        for name in scopes:
            with handles[name] as sc:
                for kind, pairs in rows.rels.get(name, {}).items():
                    sc.rels(kind, [{"source": s, "target": t, "props": p} for (s, t), p in pairs.items()])
    summary = sync.summary()
    if rows.skipped_types:
        summary["skipped_types"] = dict(rows.skipped_types.most_common())
    return summary


def load_exports(graph: Graph, paths: list[Path], batch_size: int = 2000, progress=None) -> dict:
    """Programmatic entry point: every file read and checked, then one sync."""
    assets = [a for p in paths for a in read_export(p)]
    return write_rows(graph, build_rows(assets), f"gcp exports {', '.join(Path(p).name for p in paths)}",
                      batch_size, progress)
