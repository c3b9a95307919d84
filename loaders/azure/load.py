"""Writing a plan as one sync: every node first, then every relationship, scope by scope; a scope is
cleaned (what it held before and no longer has is removed) only when this input covers it."""

from __future__ import annotations

from collections import defaultdict

from cloudmap.loaders.azure.plan import Plan

from cloudmap.graph.driver import Graph
from cloudmap.graph.ingest import Sync


def known_principals(graph: Graph):
    """A lookup for principal ids named by role assignments but defined by an earlier load (another
    subscription's managed identity). Entra nodes (``entra:<object id>``) are not looked up: the
    assignment writes them again itself, so its scope keeps them for as long as it names them."""
    def lookup(principal_ids: list[str]) -> dict[str, str]:
        rows = graph.read("UNWIND $ids AS pid MATCH (i:Identity {provider: 'azure'}) WHERE i.principal_id = pid "
                          "AND NOT i.id STARTS WITH 'entra:' RETURN pid, i.id AS id ORDER BY i.id", ids=principal_ids)
        return {r["pid"]: r["id"] for r in rows}
    return lookup


def write_plan(graph: Graph, plan: Plan, source: str, batch_size: int = 2000, progress=None) -> dict:
    shared: dict = defaultdict(list)
    by_scope: dict = defaultdict(lambda: defaultdict(list))
    for kind, nodes in plan.nodes.items():
        for scope, row in nodes.values():
            (by_scope[scope][kind] if scope else shared[kind]).append(row)
    scopes = sorted(plan.covered | set(by_scope) | set(plan.rels))
    with Sync(graph, provider="azure", source=source, batch_size=batch_size, progress=progress) as sync:
        for kind, rows in shared.items():  # catalog nodes (built-in roles, images): never scope-cleaned
            sync.write_nodes(kind, rows, None)
        handles = {name: sync.scope(name) for name in scopes}
        for name in scopes:  # nodes of every scope before any relationship, which may cross scopes
            for kind, rows in by_scope[name].items():
                handles[name].nodes(kind, rows)
        for name in scopes:
            with handles[name] as sc:
                for kind, pairs in plan.rels.get(name, {}).items():
                    sc.rels(kind, [{"source": s, "target": t, "props": props} for (s, t), props in pairs.items()])
    summary = sync.summary()
    if plan.skipped_types:
        summary["skipped_types"] = dict(plan.skipped_types.most_common())
    return summary
