"""The cross-source link pass: relationships whose two ends come from different sources.

It runs at the end of every load, over the whole graph, and writes its relationships under the
scope ``links/<kind of link>``; what it no longer finds is cleaned up like any scope. Whichever
source loads first, the links appear once both ends are in the graph, so load order never matters.

* a cluster read through the Kubernetes API ``SAME_AS`` the EKS/AKS cluster: by the cloud id given
  (`--cluster-id`), else by API endpoint host;
* an AKS service account ``USES_IDENTITY`` the managed identity (or app) whose client id its
  workload-identity annotation names.

It also normalizes what several sources feed: the effective ``cvss`` of each ``Vulnerability``
(scanners share the node, so it is computed from the merged facts, not by each writer).
"""

from __future__ import annotations

from urllib.parse import urlsplit

from cloudmap.graph.driver import Graph
from cloudmap.graph.ingest import Sync
from cloudmap.graph.kinds import kubernetes as k

CLUSTERS = "links/kubernetes-clusters"
WORKLOAD_IDENTITIES = "links/workload-identities"


def host(url: str | None) -> str | None:
    """The host[:port] of an API endpoint, without the default port, for matching across sources."""
    if not url:
        return None
    parts = urlsplit(url if "://" in url else f"https://{url}")
    name = (parts.hostname or "").lower()
    return f"{name}:{parts.port}" if parts.port and parts.port != 443 else name or None


def same_clusters(sync: Sync) -> list[dict]:
    k8s = sync.graph.read("MATCH (c:KubernetesCluster) RETURN c.id AS id, c.cloud_id AS cloud_id, "
                          "c.endpoint AS endpoint")
    if not k8s:
        return []
    cloud = sync.graph.read("MATCH (c:Cluster) WHERE NOT c:KubernetesCluster "
                            "RETURN c.id AS id, c.endpoint AS endpoint, c.fqdn AS fqdn")
    ids = {c["id"] for c in cloud}
    by_host: dict[str, list[str]] = {}
    for c in cloud:
        for h in {host(c["endpoint"]), host(c["fqdn"])} - {None}:
            by_host.setdefault(h, []).append(c["id"])
    out = []
    for c in k8s:
        if c["cloud_id"] in ids:
            out.append({"source": c["id"], "target": c["cloud_id"], "matched_by": "id"})
        else:
            out += [{"source": c["id"], "target": t, "matched_by": "endpoint"}
                    for t in by_host.get(host(c["endpoint"]) or "", [])]
    return out


def workload_identities(sync: Sync) -> list[dict]:
    return [{"source": r["sa"], "target": r["id"], "via": "workload-identity"} for r in sync.graph.read(
        "MATCH (sa:ServiceAccount) WHERE sa.azure_client_id IS NOT NULL "
        "MATCH (i:Identity) WHERE toLower(i.client_id) = sa.azure_client_id AND NOT i:ServiceAccount "
        "RETURN sa.id AS sa, i.id AS id ORDER BY sa, id")]


_EFFECTIVE_CVSS = """
MATCH (v:Vulnerability)
WITH v, coalesce(v.cvss_score, CASE toLower(v.severity) WHEN 'critical' THEN 9.0 WHEN 'high' THEN 7.0
                                                       WHEN 'medium' THEN 5.0 ELSE 0.0 END) AS cvss
WHERE v.cvss IS NULL OR v.cvss <> cvss
SET v.cvss = cvss
"""


def normalize(graph: Graph) -> None:
    """Properties rules compare, computed once from what every source wrote."""
    graph.write(_EFFECTIVE_CVSS)


def link(sync: Sync) -> None:
    """Recompute every cross-source link inside ``sync``, then normalize shared facts."""
    normalize(sync.graph)
    for scope, kind, find in ((CLUSTERS, k.CLUSTER_SAME_AS, same_clusters),
                              (WORKLOAD_IDENTITIES, k.SERVICE_ACCOUNT_USES_IDENTITY, workload_identities)):
        with sync.scope(scope) as sc:
            rows = find(sync)
            if rows:  # an empty pass writes nothing; the scope's earlier links are still cleaned up
                sc.rels(kind, rows)
