"""Write one cluster's rows as one sync, a scope per kind (`kubernetes/<cluster>/pods`, ...)."""

from __future__ import annotations

from urllib.parse import urlsplit

from cloudmap.loaders.kubernetes.objects import Objects
from cloudmap.loaders.kubernetes.transform import Cluster, Rows, transform

from cloudmap.graph.driver import Graph
from cloudmap.graph.ingest import Sync
from cloudmap.graph.kinds import kubernetes as k
from cloudmap.graph.kinds.common import CONTAINER_IMAGE

# Written in this order: a relationship needs both of its ends.
SCOPES = ("cluster", "namespaces", "serviceaccounts", "pod-identities", "pods", "services", "ingresses")
_SCOPE_OF_KIND = {"Namespace": "namespaces", "ServiceAccount": "serviceaccounts", "Pod": "pods",
                  "Service": "services", "Ingress": "ingresses"}


class FetchFailed(RuntimeError):
    """The API refused a list; the scope is recorded as failed and its earlier data kept."""


def _host(url: str | None) -> str | None:
    """The host[:port] of an API endpoint, without the default port, for matching across loaders."""
    if not url:
        return None
    parts = urlsplit(url if "://" in url else f"https://{url}")
    host = (parts.hostname or "").lower()
    return f"{host}:{parts.port}" if parts.port and parts.port != 443 else host or None


def _same_as(graph: Graph, cluster: Cluster) -> list[dict]:
    """The EKS/AKS cluster node this cluster is: by the ARN / resource id given, else by API endpoint."""
    found = graph.read(
        "MATCH (c:Cluster) WHERE NOT c:KubernetesCluster AND (c.id = $cloud_id OR c.endpoint IS NOT NULL "
        "OR c.fqdn IS NOT NULL) RETURN c.id AS id, c.endpoint AS endpoint, c.fqdn AS fqdn",
        cloud_id=cluster.cloud_id or "")
    by_id = [{"source": cluster.id, "target": r["id"], "matched_by": "id"} for r in found if r["id"] == cluster.cloud_id]
    if by_id:
        return by_id
    host = _host(cluster.endpoint)
    return [{"source": cluster.id, "target": r["id"], "matched_by": "endpoint"} for r in found
            if host and host in (_host(r["endpoint"]), _host(r["fqdn"]))]


def _workload_identities(graph: Graph, sync: Sync, rows: Rows) -> list[dict]:
    """AKS workload identity: the managed identity (or app) whose client id the service account names."""
    if not rows.workload_identities:
        return []
    wanted = sorted({cid for _, cid in rows.workload_identities})
    found = {r["cid"]: r["id"] for r in graph.read(
        "MATCH (i:Identity) WHERE toLower(i.client_id) IN $ids RETURN toLower(i.client_id) AS cid, i.id AS id",
        ids=wanted)}
    for cid in wanted:
        if cid not in found:
            sync.warn(f"workload identity: no identity with client id {cid} in the graph (load Azure first)")
    return [{"source": sa, "target": found[cid], "via": "workload-identity"}
            for sa, cid in rows.workload_identities if cid in found]


def load(graph: Graph, objs: Objects, cluster: Cluster, source: str, failed: dict[str, str] | None = None,
         batch_size: int | None = None, progress=None) -> dict:
    rows = transform(objs, cluster)  # every input error is raised here, before anything is written
    failed_scopes = {_SCOPE_OF_KIND[kind]: msg for kind, msg in (failed or {}).items()}
    kw = {"batch_size": batch_size} if batch_size else {}
    with Sync(graph, provider="kubernetes", source=source, progress=progress, **kw) as sync:
        for name in SCOPES:
            if name not in rows.nodes and name not in rows.rels and name not in failed_scopes:
                continue
            with sync.scope(f"kubernetes/{cluster.key}/{name}") as sc:
                if name in failed_scopes:
                    raise FetchFailed(failed_scopes[name])
                for kind, node_rows in rows.nodes.get(name, []):
                    sc.nodes(kind, node_rows)
                if name == "cluster":
                    sc.rels(k.CLUSTER_SAME_AS, _same_as(graph, cluster))
                if name == "serviceaccounts":
                    sc.rels(k.SERVICE_ACCOUNT_USES_IDENTITY, _workload_identities(graph, sync, rows))
                if name == "pods":
                    # images are shared with the scanners: written outside any scope, never cleaned up here
                    sync.write_nodes(CONTAINER_IMAGE, rows.images, None)
                for kind, rel_rows in rows.rels.get(name, []):
                    sc.rels(kind, rel_rows)
    out = sync.summary()
    out["cluster"] = cluster.id
    out["ignored_kinds"] = dict(sorted(objs.ignored.items()))
    return out
