"""The cross-source link pass: relationships whose two ends come from different sources.

It runs at the end of every load, over the whole graph, and writes its relationships under the
scope ``links/<kind of link>``; what it no longer finds is cleaned up like any scope. Whichever
source loads first, the links appear once both ends are in the graph, so load order never matters.

* a cluster read through the Kubernetes API ``SAME_AS`` the EKS/AKS cluster: by the cloud id given
  (`--cluster-id`), else by API endpoint host;
* an AKS service account ``USES_IDENTITY`` the managed identity (or app) whose client id its
  workload-identity annotation names;
* an ``AWSExternalPrincipal`` node for each principal outside the loaded AWS accounts that a role's
  trust policy or a resource policy admits (another account, a role or user in one, a federated
  identity provider, any account): the entries of the engine's external-principal moves. An account
  loaded later is no longer external, and its node goes with the next load.

It also normalizes what several sources feed: the effective ``cvss`` of each ``Vulnerability``
(scanners share the node, so it is computed from the merged facts, not by each writer), and one node
per Google Cloud project: a project a Terraform state named by id before any Cloud Asset load keyed
it by number (``GCPProject`` with a ``project_id`` and no ``project_number``) is folded into the
numbered node of the same ``project_id`` (:func:`merge_gcp_projects`).
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from urllib.parse import urlsplit

from cloudmap.graph.driver import Graph
from cloudmap.graph.ingest import Sync
from cloudmap.graph.kinds import aws
from cloudmap.graph.kinds import kubernetes as k

CLUSTERS = "links/kubernetes-clusters"
WORKLOAD_IDENTITIES = "links/workload-identities"
EXTERNAL_PRINCIPALS = "links/external-principals"
EXTERNAL_PREFIX = "external:"   # external principal ids: never the id of a loaded account's own node


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


def named_principals(document) -> Iterator[tuple[str, str]]:
    """(AWS or Federated, name) of each principal an Allow statement of a policy document admits."""
    try:
        doc = json.loads(document) if isinstance(document, str) else document
    except ValueError:
        return   # the engine reports unreadable policies
    statements = doc.get("Statement") if isinstance(doc, dict) else None
    for st in [statements] if isinstance(statements, dict) else statements or []:
        principal = st.get("Principal") if isinstance(st, dict) and st.get("Effect") == "Allow" else None
        if principal == "*":
            yield "AWS", "*"
        elif isinstance(principal, dict):
            for key in ("AWS", "Federated"):
                names = principal.get(key)
                yield from ((key, n) for n in ([names] if isinstance(names, str) else names or [])
                            if isinstance(n, str))


def external_principal(key: str, name: str, loaded: set[str]) -> dict | None:
    """The node row of a principal a policy names, when it is outside the ``loaded`` accounts."""
    if key == "Federated":   # the provider's users are outside every account, whoever holds the provider
        if "oidc.eks." in name:
            return None   # a cluster's own pods: the IRSA moves of its service accounts cover them
        return {"id": EXTERNAL_PREFIX + name, "name": name.rsplit("/", 1)[-1], "arn": name,
                "principal_type": "federated", "provider": "aws", "account_id": None, "external_account": None,
                "region": "global"}
    if name == "*":
        return {"id": EXTERNAL_PREFIX + "*", "name": "any AWS account", "arn": "*", "principal_type": "anyone",
                "provider": "aws", "account_id": None, "external_account": "*", "region": "global"}
    if name.isdigit() and len(name) == 12:
        name = f"arn:aws:iam::{name}:root"
    parts = name.split(":", 5)
    if len(parts) < 6 or parts[2] not in ("iam", "sts") or not parts[4] or parts[4] in loaded:
        return None   # a unique id left by a deleted principal, a service, or a loaded account's principal
    resource = parts[5]
    kind = "account" if resource == "root" else "user" if resource.startswith("user/") else "role"
    return {"id": EXTERNAL_PREFIX + name, "name": name if kind == "account" else resource.rsplit("/", 1)[-1],
            "arn": name, "principal_type": kind, "provider": "aws", "account_id": None,
            "external_account": parts[4], "region": "global"}


def external_principals(sync: Sync) -> list[dict]:
    loaded = {r["id"] for r in sync.graph.read(
        "MATCH (a:Account) WHERE a.provider = 'aws' AND a.account_id IS NOT NULL RETURN a.account_id AS id")}
    rows: dict[str, dict] = {}
    for r in sync.graph.read("""
            MATCH (n:Asset) WHERE coalesce(n.provider, 'aws') = 'aws'
              AND (n.trust_policy IS NOT NULL OR n.resource_policy IS NOT NULL)
            RETURN n.trust_policy AS trust, n.resource_policy AS policy"""):
        for document in (r["trust"], r["policy"]):
            for key, name in named_principals(document) if document else ():
                row = external_principal(key, name, loaded)
                if row:
                    rows[row["id"]] = row
    return [rows[i] for i in sorted(rows)]


_EFFECTIVE_CVSS = """
MATCH (v:Vulnerability)
WITH v, coalesce(v.cvss_score, CASE toLower(v.severity) WHEN 'critical' THEN 9.0 WHEN 'high' THEN 7.0
                                                       WHEN 'medium' THEN 5.0 ELSE 0.0 END) AS cvss
WHERE v.cvss IS NULL OR v.cvss <> cvss
SET v.cvss = cvss
"""


_PROJECT_ALIASES = """
MATCH (alias:GCPProject) WHERE alias.project_number IS NULL AND alias.project_id IS NOT NULL
MATCH (p:GCPProject {project_id: alias.project_id}) WHERE p.project_number IS NOT NULL
MATCH (alias)-[r]-()
RETURN alias.id AS alias, p.id AS id, collect(DISTINCT [type(r), startNode(r) = alias]) AS types
"""


def _quoted(name: str) -> str:
    return "`" + name.replace("`", "``") + "`"


def merge_gcp_projects(graph: Graph) -> int:
    """Fold each project node keyed by id into the node keyed by number with that ``project_id``: its
    relationships move over (keeping their scope and sync, so the source that wrote them still cleans
    them up; one the numbered node has already is kept as it is), its bindings take the numbered name,
    then the id-keyed node goes."""
    merged = 0
    rows = graph.read_values(_PROJECT_ALIASES)
    alone = graph.read_values(
        "MATCH (alias:GCPProject) WHERE alias.project_number IS NULL AND alias.project_id IS NOT NULL "
        "AND NOT (alias)--() MATCH (p:GCPProject {project_id: alias.project_id}) WHERE p.project_number IS NOT NULL "
        "RETURN alias.id AS alias, p.id AS id, [] AS types")
    for row in rows + alone:
        for rel_type, outgoing in row["types"]:
            pattern = (f"(a)-[r:{_quoted(rel_type)}]->(x)" if outgoing else f"(x)-[r:{_quoted(rel_type)}]->(a)")
            merge = (f"(p)-[n:{_quoted(rel_type)}]->(x)" if outgoing else f"(x)-[n:{_quoted(rel_type)}]->(p)")
            graph.write(f"MATCH (a:GCPProject {{id: $alias}}), (p:GCPProject {{id: $id}}) MATCH {pattern} "
                        f"WHERE x <> p MERGE {merge} ON CREATE SET n = properties(r) DELETE r",
                        alias=row["alias"], id=row["id"])
        graph.write("MATCH (a:GCPProject {id: $alias}) DETACH DELETE a", alias=row["alias"])
        # its bindings are named after it (<project>#iam/<role>): renamed, unless that binding exists already
        graph.write("MATCH (:GCPProject {id: $id})-[:HAS_BINDING]->(b:GCPBinding) WHERE b.id STARTS WITH $prefix "
                    "WITH b, $id + substring(b.id, size($alias)) AS renamed "
                    "WHERE NOT EXISTS { MATCH (:Asset {id: renamed}) } "
                    "SET b.id = renamed, b.name = b.role + ' on ' + $number",
                    id=row["id"], alias=row["alias"], prefix=row["alias"] + "#", number=row["id"].rsplit("/", 1)[-1])
        merged += 1
    return merged


def normalize(graph: Graph) -> None:
    """Properties rules compare, computed once from what every source wrote."""
    graph.write(_EFFECTIVE_CVSS)
    merge_gcp_projects(graph)


def link(sync: Sync) -> None:
    """Recompute every cross-source link inside ``sync``, then normalize shared facts."""
    normalize(sync.graph)
    for scope, kind, find in ((CLUSTERS, k.CLUSTER_SAME_AS, same_clusters),
                              (WORKLOAD_IDENTITIES, k.SERVICE_ACCOUNT_USES_IDENTITY, workload_identities)):
        with sync.scope(scope) as sc:
            rows = find(sync)
            if rows:  # an empty pass writes nothing; the scope's earlier links are still cleaned up
                sc.rels(kind, rows)
    with sync.scope(EXTERNAL_PRINCIPALS) as sc:
        rows = external_principals(sync)
        if rows:
            sc.nodes(aws.EXTERNAL_PRINCIPAL, rows)
