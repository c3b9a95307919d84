"""The GCP network facts the exposure, load-balancer and lateral derivations share, read from the graph:
each network's firewall rules and default routes, and each instance's interfaces, tags and accounts."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterator

from cloudmap.engine.gcp_firewall import FwRule
from cloudmap.engine.writer import stream
from cloudmap.graph.driver import Graph


def firewalls(graph: Graph) -> dict[str, list[FwRule]]:
    """Each network's firewall rules (the implied ones included)."""
    rules: dict[str, list[FwRule]] = defaultdict(list)
    for row in stream(graph, "MATCH (n:GCPNetwork)-[:HAS_RULE]->(r:GCPFirewallRule) "
                             "RETURN n.id AS net, properties(r) AS rule"):
        rules[row["net"]].append(FwRule.from_row(row["rule"]))
    return rules


def internet_routes(graph: Graph) -> dict[str, list[dict]]:
    """Each network's default routes (0.0.0.0/0), for the networks whose routes were loaded at all."""
    routes: dict[str, list[dict]] = defaultdict(list)
    for row in stream(graph, "MATCH (n:GCPNetwork)-[:HAS_ROUTE]->(r:GCPRoute) RETURN n.id AS net, "
                             "r.dest_range AS dest, r.internet_gateway AS gateway, r.priority AS priority, "
                             "r.route_tags AS tags, r.id AS id"):
        routes[row["net"]].append(row)
    return routes


def routed_to_internet(routes: list[dict] | None, tags: set[str]) -> bool:
    """Whether the instance's best default route (lowest priority number among those that apply to it)
    goes to the internet gateway; a network without loaded routes is assumed to have GCP's default one."""
    if routes is None:
        return True
    applying = [r for r in routes if r["dest"] == "0.0.0.0/0" and (not r["tags"] or tags & set(r["tags"]))]
    best = min(applying, key=lambda r: (r["priority"] if r["priority"] is not None else 1000, not r["gateway"]),
               default=None)
    return bool(best and best["gateway"])


def instances(graph: Graph) -> Iterator[dict]:
    yield from stream(graph, """
            MATCH (vm:GCPInstance)-[nic:IN_NETWORK]->(n:GCPNetwork)
            OPTIONAL MATCH (vm)-[:USES_IDENTITY]->(sa:GCPServiceAccount)
            OPTIONAL MATCH (vm)-[:IN_SUBNET]->(s:GCPSubnetwork)
            RETURN vm.id AS id, collect(DISTINCT n.id) AS nets, collect(DISTINCT [n.id, nic.ip]) AS nics,
                   vm.network_tags AS tags, collect(DISTINCT sa.email) AS sas, head(collect(s.id)) AS subnet,
                   size(coalesce(vm.external_ips, [])) > 0 AS external""")
