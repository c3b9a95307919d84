"""`cloudmap load entra` as functions: read the exports (or Microsoft Graph live), map them, write them
as one sync of the tenant, a scope per kind (:data:`~cloudmap.loaders.entra.transform.SCOPES`).

From files, the kinds the files hold are replaced (a later load of the tenant removes what those lists
no longer have); live, every kind is, and a list Graph refused keeps its earlier data."""

from __future__ import annotations

from pathlib import Path

from cloudmap.loaders.entra.export import Directory, read_exports
from cloudmap.loaders.entra.transform import SCOPES, build_rows, scope_of
from cloudmap.loaders.inputfile import InputError
from cloudmap.loaders.kit.summary import LoadSummary

from cloudmap.graph.driver import Graph
from cloudmap.graph.ingest import Sync


def load_exports(graph: Graph, paths: list[Path], tenant: str | None = None, batch_size: int = 5000) -> LoadSummary:
    directory = read_exports(paths, tenant_id=tenant)   # every file checked before any write
    where = ", ".join(str(p) for p in paths)
    return _write(graph, directory, where, batch_size)


def load_live(graph: Graph, tenant: str | None = None, endpoint: str | None = None, batch_size: int = 5000,
              progress=None) -> LoadSummary:
    """Microsoft Graph v1.0 (see :mod:`cloudmap.loaders.entra.graph_api`); GraphAccessError when it
    cannot be reached or refuses every list, before anything is written."""
    from cloudmap.loaders.entra.graph_api import fetch

    fetched = fetch(endpoint, progress=progress)
    if tenant:
        fetched.directory.tenant_id = tenant
    return _write(graph, fetched.directory, "Microsoft Graph", batch_size, failed=fetched.failed,
                  warnings=fetched.warnings, live=True)


def _write(graph: Graph, directory: Directory, where: str, batch_size: int, failed: dict[str, str] | None = None,
           warnings: list[str] = (), live: bool = False) -> LoadSummary:
    if not directory.tenant_id:
        raise InputError(f"{where}: the directory does not name its tenant: give it with --tenant "
                         f"(az account show --query tenantId)")
    tenant = directory.tenant_id.lower()
    rows = build_rows(directory, tenant)
    with Sync(graph, provider="entra", source=f"entra {tenant}", batch_size=batch_size) as sync:
        for message in warnings:
            sync.warn(message)
        # live, every kind the tenant held is listed: a list that came back empty is checked, not ignored
        held = sync.held_scopes(scope_of(tenant)) | {scope_of(tenant, p) for p in SCOPES} if live else ()
        rows.write(sync, failed={scope_of(tenant, kind): reason for kind, reason in (failed or {}).items()},
                   order=[scope_of(tenant, p) for p in SCOPES], held=held)
    return LoadSummary.of(sync)
