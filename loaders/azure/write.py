"""Writing a plan as one sync: every node first, then every relationship, scope by scope; a scope is
cleaned (what it held before and no longer has is removed) only when this input covers it."""

from __future__ import annotations

from cloudmap.loaders.azure.plan import Plan
from cloudmap.loaders.kit import LoadSummary
from cloudmap.loaders.kit.link import link

from cloudmap.graph.driver import Graph
from cloudmap.graph.ingest import Sync


def known_principals(graph: Graph):
    """A lookup for principal ids named by role assignments but defined by an earlier load: another
    subscription's managed identity, or the directory object `cloudmap load entra` wrote (so no stub is
    written over it). Stubs (``entra:<object id>`` of an Azure load) are not looked up: the assignment
    writes them again itself, so its scope keeps them for as long as it names them."""
    def lookup(principal_ids: list[str]) -> dict[str, str]:
        rows = graph.read("UNWIND $ids AS pid MATCH (i:Identity) WHERE i.principal_id = pid "
                          "AND (i.provider = 'entra' OR (i.provider = 'azure' AND NOT i.id STARTS WITH 'entra:')) "
                          "RETURN pid, i.id AS id ORDER BY i.id", ids=principal_ids)
        return {r["pid"]: r["id"] for r in rows}
    return lookup


def write_plan(graph: Graph, plan: Plan, source: str, batch_size: int = 2000, progress=None,
               failed_tables: dict[str, str] | None = None) -> LoadSummary:
    with Sync(graph, provider="azure", source=source, batch_size=batch_size, progress=progress) as sync:
        # every part a subscription of this input held counts as listed: a table that lost all its rows
        # is refused by the cleanup guard, not ignored
        subscriptions = {"/".join(name.split("/")[:2]) + "/" for name in plan.covered
                         if name and name.startswith("azure/") and not name.startswith("azure/tenant/")}
        plan.write(sync, held=set().union(*(sync.held_scopes(prefix) for prefix in subscriptions)))
        link(sync)
    details: dict = {}
    if plan.skipped_types:
        details["skipped_types"] = dict(plan.skipped_types.most_common())
    summary = LoadSummary.of(sync, **details)
    if failed_tables:
        summary.details["tables_failed"] = dict(failed_tables)
        summary.status = "partial"
    return summary
