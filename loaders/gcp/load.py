"""Writing the rows as one sync: every node first, then every relationship, project by project; a
project's previous data that this input no longer has is removed only after the new data is in."""

from __future__ import annotations

from collections import defaultdict
from pathlib import Path

from cloudmap.loaders.gcp.exports import read_export
from cloudmap.loaders.gcp.live import fetch
from cloudmap.loaders.gcp.transform import CRM, Rows, build_rows
from cloudmap.loaders.kit import LoadSummary
from cloudmap.loaders.kit.link import link

from cloudmap.graph.driver import Graph
from cloudmap.graph.ingest import Sync


def write_rows(graph: Graph, rows: Rows, source: str, batch_size: int = 2000, progress=None,
               failed: dict[str, str] | None = None) -> LoadSummary:
    """``failed``: scope -> why; those scopes get this input's rows but keep what they held (no cleanup)."""
    failed = failed or {}
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
            if name in failed:
                for kind, pairs in rows.rels.get(name, {}).items():
                    sync.write_rels(kind, [{"source": s, "target": t, "props": p} for (s, t), p in pairs.items()],
                                    name)
                continue
            with handles[name] as sc:
                for kind, pairs in rows.rels.get(name, {}).items():
                    sc.rels(kind, [{"source": s, "target": t, "props": p} for (s, t), p in pairs.items()])
        for name, reason in sorted(failed.items()):
            sync.scope_failed(name, reason)
        link(sync)   # a project a Terraform state named by id meets this load's numbered node
    details = {"skipped_types": dict(rows.skipped_types.most_common())} if rows.skipped_types else {}
    return LoadSummary.of(sync, **details)


def load_exports(graph: Graph, paths: list[Path], batch_size: int = 2000, progress=None) -> LoadSummary:
    """Programmatic entry point: every file read and checked, then one sync."""
    assets = [a for p in paths for a in read_export(p)]
    return write_rows(graph, build_rows(assets), f"gcp exports {', '.join(Path(p).name for p in paths)}",
                      batch_size, progress)


def _failed_scopes(graph: Graph, rows: Rows, assets, failed_parents: set[str], reasons: dict[str, str]) -> dict:
    """The project scopes under each parent that a refused request covered: the projects this fetch saw
    under it, and those an earlier load put there."""
    out: dict[str, str] = {}
    for parent in failed_parents:
        why = "; ".join(f"{k.split(' ', 1)[1]}: {v}" for k, v in reasons.items() if k.split(" ", 1)[0] == parent)
        numbers = {rows.project_node(a).rsplit("/", 1)[-1] for x in assets if parent in x.ancestors
                   for a in x.ancestors if a.startswith("projects/")}
        key = parent.split("/", 1)[1]
        numbers |= {r["n"] for r in graph.read(
            "MATCH (p:GCPProject) WHERE $parent STARTS WITH 'projects/' AND (p.project_id = $key OR "
            "p.project_number = $key) RETURN p.project_number AS n UNION "
            "MATCH (:Account {id: $id})-[:CONTAINS*1..8]->(p:GCPProject) RETURN p.project_number AS n",
            parent=parent, key=key, id=CRM + parent) if r["n"]}
        if parent.startswith("projects/"):
            numbers.add(rows.project_numbers.get(key, key))
        out.update({f"gcp/{n}": why for n in numbers})
    return out


def load_live(graph: Graph, scopes: list[str], endpoint: str | None = None, credentials=None, batch_size: int = 2000,
              progress=None, asset_types: list[str] | None = None) -> LoadSummary:
    """Programmatic entry point of the live path: fetch every page under the parents, then one sync."""
    fetched = fetch(scopes, endpoint, credentials, progress, asset_types)
    rows = build_rows(fetched.assets)
    failed = _failed_scopes(graph, rows, fetched.assets, fetched.failed_parents, fetched.failed)
    summary = write_rows(graph, rows, f"gcp live {', '.join(scopes)}", batch_size, progress, failed)
    if fetched.failed:
        summary.details["asset_types_failed"] = dict(fetched.failed)
        summary.status = "partial"
    return summary
