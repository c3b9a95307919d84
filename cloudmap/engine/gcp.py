"""GCP derivations: internet reachability through VPC firewall rules and Cloud SQL authorized networks,
data access and escalation through IAM bindings with inheritance down the hierarchy, public buckets."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterator

from cloudmap.engine.access_levels import level_of
from cloudmap.engine.gcp_firewall import FwRule, internet_ingress, is_public_range
from cloudmap.engine.gcp_iam import BUCKET_PROBES, SQL_PROBES, allowed, escalation_methods
from cloudmap.engine.writer import EdgeWriter, stream
from cloudmap.graph.driver import Graph
from cloudmap.graph.kinds import derived

SQL_PORTS = {"mysql": "3306", "postgres": "5432", "sqlserver": "1433"}


def instance_reach(graph: Graph) -> Iterator[dict]:
    rules: dict[str, list[FwRule]] = defaultdict(list)
    for row in stream(graph, "MATCH (n:GCPNetwork)-[:HAS_RULE]->(r:GCPFirewallRule) "
                             "RETURN n.id AS net, properties(r) AS rule"):
        rules[row["net"]].append(FwRule.from_row(row["rule"]))
    for vm in stream(graph, """
            MATCH (vm:GCPInstance)-[:IN_NETWORK]->(n:GCPNetwork) WHERE size(coalesce(vm.external_ips, [])) > 0
            OPTIONAL MATCH (vm)-[:USES_IDENTITY]->(sa:GCPServiceAccount)
            RETURN vm.id AS id, collect(DISTINCT n.id) AS nets, vm.network_tags AS tags,
                   collect(DISTINCT sa.email) AS sas"""):
        ports, protocols, deciding = set(), set(), set()
        for net in vm["nets"]:
            p, pr, d = internet_ingress(rules[net], set(vm["tags"] or []), set(vm["sas"]))
            ports.update(p), protocols.update(pr), deciding.update(d)
        if ports:
            yield {"source": "internet", "target": vm["id"], "ports": sorted(ports), "protocols": sorted(protocols),
                   "via": "direct", "rules": sorted(deciding)}


def sql_reach(graph: Graph) -> Iterator[dict]:
    for db in stream(graph, "MATCH (d:GCPSQLInstance) WHERE d.ipv4_enabled RETURN d.id AS id, d.engine AS engine, "
                            "d.authorized_networks AS nets"):
        nets = [n for n in db["nets"] or [] if is_public_range(n) and n.endswith("/0")]
        if nets:
            engine = str(db["engine"] or "").lower()
            port = next((p for k, p in SQL_PORTS.items() if engine.startswith(k)), "*")
            yield {"source": "internet", "target": db["id"], "ports": [port], "protocols": ["tcp"],
                   "via": "authorized-network", "rules": nets}


def _bindings(graph: Graph, target_label: str) -> Iterator[dict]:
    yield from stream(graph, f"""
        MATCH (r)-[:HAS_BINDING]->(b:GCPBinding)-[:GRANTS]->(role:GCPRole), (r)-[:CONTAINS*0..8]->(t:{target_label})
        OPTIONAL MATCH (b)-[:ASSIGNED_TO]->(p:Identity)
        RETURN b.id AS binding, b.public AS public, b.condition AS condition, p.id AS principal,
               role.id AS role, role.permissions AS permissions, t.id AS target, labels(t) AS labels,
               t.public_access_prevention AS pap""")


def access(graph: Graph) -> Iterator[dict]:
    grouped: dict[tuple[str, str], dict] = {}
    for b in _bindings(graph, "DataStore"):
        probes = BUCKET_PROBES if "GCPBucket" in b["labels"] else SQL_PROBES if "GCPSQLInstance" in b["labels"] else {}
        ops = allowed(b["permissions"] or [], probes)
        sources = [b["principal"]] if b["principal"] else []
        if b["public"] and "GCPBucket" in b["labels"] and b["pap"] != "enforced":
            sources.append("internet")
        for src in sources:
            if not ops:
                continue
            e = grouped.setdefault((src, b["target"]), {"ops": {}, "evidence": set(), "conditional": True})
            e["ops"].update(ops)
            e["evidence"].update((b["binding"], b["role"]))
            e["conditional"] = e["conditional"] and bool(b["condition"])
    for (src, target), e in grouped.items():
        yield {"source": src, "target": target, "level": level_of(list(e["ops"]), e["ops"]),
               "actions": sorted(e["ops"]), "evidence": sorted(e["evidence"]), "conditional": e["conditional"]}


def escalations(graph: Graph) -> Iterator[dict]:
    held: dict[tuple[str, str], set[str]] = defaultdict(set)
    evidence: dict[tuple[str, str], set[str]] = defaultdict(set)
    for b in _bindings(graph, "GCPServiceAccount"):
        if b["principal"] and not b["condition"]:
            held[(b["principal"], b["target"])].update(b["permissions"] or [])
            evidence[(b["principal"], b["target"])].add(b["binding"])
    for (src, target), perms in held.items():
        for method in escalation_methods(perms):
            yield {"source": src, "target": target, "method": method, "evidence": sorted(evidence[(src, target)])}


def derive_gcp(graph: Graph, writer: EdgeWriter) -> None:
    writer.write("gcp-exposure", derived.INTERNET_REACH, [*instance_reach(graph), *sql_reach(graph)])
    writer.sweep("gcp-exposure", derived.INTERNET_REACH)
    rows = list(access(graph))
    writer.write("gcp-access", derived.ACCESS, [r for r in rows if r["source"] != "internet"])
    writer.write("gcp-public-data", derived.PUBLIC_ACCESS, [r for r in rows if r["source"] == "internet"])
    writer.sweep("gcp-access", derived.ACCESS)
    writer.sweep("gcp-public-data", derived.PUBLIC_ACCESS)
    writer.write("gcp-escalation", derived.ESCALATE, list(escalations(graph)))
    writer.sweep("gcp-escalation", derived.ESCALATE)
