"""`cloudmap load entra` as a function: read the exports, map them, write them as one sync.

The tenant is one scope: a later load of the same tenant removes what its directory no longer has."""

from __future__ import annotations

from pathlib import Path

from cloudmap.loaders.entra.export import read_exports
from cloudmap.loaders.entra.transform import build_rows
from cloudmap.loaders.inputfile import InputError
from cloudmap.loaders.kit.summary import LoadSummary

from cloudmap.graph.driver import Graph
from cloudmap.graph.ingest import Sync


def load_exports(graph: Graph, paths: list[Path], tenant: str | None = None, batch_size: int = 5000) -> LoadSummary:
    directory = read_exports(paths, tenant_id=tenant)   # every file checked before any write
    if not directory.tenant_id:
        raise InputError(f"{', '.join(str(p) for p in paths)}: the exports do not name their tenant: "
                         f"give it with --tenant (az account show --query tenantId)")
    tenant = directory.tenant_id.lower()
    rows = build_rows(directory, tenant)
    with Sync(graph, provider="entra", source=f"entra {tenant}", batch_size=batch_size) as sync:
        rows.write(sync, scope=f"entra/{tenant}")
    return LoadSummary.of(sync)
