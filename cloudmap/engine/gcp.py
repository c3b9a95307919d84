"""GCP derivations: internet reachability through VPC firewall rules and Cloud SQL authorized networks,
data access and escalation through IAM bindings with inheritance down the hierarchy, public buckets."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterator

from cloudmap.engine.access_levels import level_of
from cloudmap.engine.gcp_balancing import load_balancer_reach
from cloudmap.engine.gcp_firewall import internet_ingress, is_public_range
from cloudmap.engine.gcp_iam import (
    INVOKE,
    PROBES,
    PUBLIC_DATA,
    ROLE_UPDATE,
    SERVICE_AGENTS,
    SET_IAM_POLICY,
    SET_METADATA,
    allowed,
    condition_can_hold,
    escalation_methods,
    grants,
    metadata_takeover,
)
from cloudmap.engine.gcp_lateral import lateral_moves
from cloudmap.engine.gcp_network import firewalls, instances, internet_routes, routed_to_internet
from cloudmap.engine.writer import EdgeWriter, stream
from cloudmap.graph.driver import Graph
from cloudmap.graph.kinds import derived

SQL_PORTS = {"mysql": "3306", "postgres": "5432", "sqlserver": "1433"}


def instance_reach(graph: Graph) -> Iterator[dict]:
    rules, routes = firewalls(graph), internet_routes(graph)
    for vm in instances(graph):
        if not vm["external"]:
            continue
        ports, protocols, deciding = set(), set(), set()
        for net in vm["nets"]:
            if not routed_to_internet(routes.get(net), set(vm["tags"] or [])):
                continue
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


def public_invokers(graph: Graph) -> Iterator[tuple[dict, str]]:
    """(service or function, the binding) for each that allUsers / allAuthenticatedUsers may invoke."""
    for b in _bindings(graph, "Function"):
        permission = next((p for label, p in INVOKE.items() if label in b["labels"]), None)
        if b["public"] and permission and grants(b["permissions"] or [], permission):
            yield b, b["binding"]


def serverless_reach(graph: Graph) -> Iterator[dict]:
    """A Cloud Run service or function with ingress ``all`` that allUsers / allAuthenticatedUsers may invoke."""
    for b, binding in public_invokers(graph):
        if b["ingress"] == "all":
            yield {"source": "internet", "target": b["target"], "ports": ["443"], "protocols": ["tcp"],
                   "via": "public-invoker", "rules": [binding]}


def _bindings(graph: Graph, target_label: str) -> Iterator[dict]:
    yield from stream(graph, f"""
        MATCH (r)-[:HAS_BINDING]->(b:GCPBinding)-[:GRANTS]->(role:GCPRole), (r)-[:CONTAINS*0..8]->(t:{target_label})
        OPTIONAL MATCH (b)-[:ASSIGNED_TO]->(p:Identity)
        RETURN b.id AS binding, b.public AS public, b.condition AS condition, p.id AS principal,
               role.id AS role, role.permissions AS permissions, t.id AS target, labels(t) AS labels,
               t.public_access_prevention AS pap, t.ingress AS ingress""")


def access(graph: Graph) -> Iterator[dict]:
    grouped: dict[tuple[str, str], dict] = {}
    rows = [b for label in ("DataStore", "GCPSecret", "GCPCryptoKey") for b in _bindings(graph, label)]
    for b in rows:
        if not condition_can_hold(b["condition"]):
            continue   # expired: the binding grants nothing any more
        probes = next((p for label, p in PROBES.items() if label in b["labels"]), {})
        ops = allowed(b["permissions"] or [], probes)
        sources = [b["principal"]] if b["principal"] else []
        if b["public"] and set(PUBLIC_DATA) & set(b["labels"]) and b["pap"] != "enforced":
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


def _held(graph: Graph, label: str, undecided: bool, cache: dict) -> tuple[
        dict[tuple[str, str], set[str]], dict[tuple[str, str], set[str]], dict[str, list[str]]]:
    """(principal, target) -> permissions held on the target (bindings on it or above it), the bindings
    that give them, and each target's labels. Unconditional bindings only, or with ``undecided`` also
    those whose condition may hold (``cache`` keeps each label's bindings for the second pass)."""
    held: dict[tuple[str, str], set[str]] = defaultdict(set)
    evidence: dict[tuple[str, str], set[str]] = defaultdict(set)
    labels: dict[str, list[str]] = {}
    if label not in cache:
        cache[label] = list(_bindings(graph, label))
    for b in cache[label]:
        labels[b["target"]] = b["labels"]
        if b["principal"] and (not b["condition"] or (undecided and condition_can_hold(b["condition"]))):
            held[(b["principal"], b["target"])].update(b["permissions"] or [])
            evidence[(b["principal"], b["target"])].add(b["binding"])
    return held, evidence, labels


def escalations(graph: Graph, undecided: bool = False, cache: dict | None = None) -> Iterator[dict]:
    """The escalation moves; with ``undecided``, also those that need a conditional binding."""
    cache = {} if cache is None else cache
    held, evidence, _ = _held(graph, "GCPServiceAccount", undecided, cache)
    for (src, target), perms in held.items():
        for method in escalation_methods(perms):
            yield {"source": src, "target": target, "method": method, "evidence": sorted(evidence[(src, target)])}
    yield from _account_escalations(graph, undecided, cache)
    yield from _metadata_escalations(graph, undecided, cache)


def _account_escalations(graph: Graph, undecided: bool, cache: dict) -> Iterator[dict]:
    """setIamPolicy on a project, folder or organization; iam.roles.update on a custom role the principal
    holds (it can add any permission to it); the service agents that run deployments and builds."""
    held, evidence, labels = _held(graph, "Account", undecided, cache)
    numbers = {r["id"]: r["number"] for r in graph.read(
        "MATCH (p:GCPProject) RETURN p.id AS id, p.project_number AS number")}
    keys = {k: r["id"] for r in graph.read("MATCH (a:Account {provider: 'gcp'}) RETURN a.id AS id, a.project_id AS pid")
            for k in (r["id"].rsplit("/", 2)[-2] + "/" + r["id"].rsplit("/", 1)[-1],
                      f"projects/{r['pid']}" if r["pid"] else None) if k}
    agents = {r["email"]: r["id"] for r in graph.read(
        "MATCH (s:GCPServiceAccount) WHERE s.email ENDS WITH '@cloudservices.gserviceaccount.com' "
        "OR s.email ENDS WITH '@cloudbuild.gserviceaccount.com' RETURN s.email AS email, s.id AS id")}
    for (src, target), perms in held.items():
        ev = sorted(evidence[(src, target)])
        for label, permission in SET_IAM_POLICY.items():
            if label in labels[target] and grants(list(perms), permission):
                yield {"source": src, "target": target, "method": permission, "evidence": ev}
        for method, email in SERVICE_AGENTS.items():
            agent = agents.get(email.format(number=numbers.get(target)))
            if target in numbers and agent and grants(list(perms), method):
                yield {"source": src, "target": agent, "method": method, "evidence": ev}
    for row in stream(graph, """
            MATCH (x)-[:HAS_BINDING]->(b:GCPBinding)-[:GRANTS]->(role:GCPRole {custom: true}),
                  (b)-[:ASSIGNED_TO]->(p:Identity)
            WHERE b.condition IS NULL
            RETURN p.id AS principal, role.id AS role, x.id AS target, b.id AS binding"""):
        owner = keys.get("/".join(row["role"].split("/")[:2]))  # projects/<id>/roles/.. or organizations/<n>/roles/..
        if owner and grants(list(held.get((row["principal"], owner), ())), ROLE_UPDATE):
            yield {"source": row["principal"], "target": row["target"], "method": ROLE_UPDATE,
                   "evidence": sorted({row["binding"], row["role"], *evidence[(row["principal"], owner)]})}


def _metadata_escalations(graph: Graph, undecided: bool, cache: dict) -> Iterator[dict]:
    """compute.instances.setMetadata on an instance: code on it, so its service account."""
    held, evidence, _ = _held(graph, "GCPInstance", undecided, cache)
    vms = {r["id"]: r for r in graph.read(
        "MATCH (vm:GCPInstance)-[:USES_IDENTITY]->(sa:GCPServiceAccount) "
        "RETURN vm.id AS id, coalesce(vm.os_login, false) AS os_login, collect(sa.id) AS sas")}
    for (src, vm), perms in held.items():
        if vm in vms and metadata_takeover(perms, vms[vm]["os_login"]):
            for sa in vms[vm]["sas"]:
                yield {"source": src, "target": sa, "method": SET_METADATA,
                       "evidence": sorted({vm, *evidence[(src, vm)]})}


def _unique(edges: Iterator[dict]) -> list[dict]:
    out: dict[tuple[str, str], dict] = {}
    for e in edges:
        kept = out.setdefault((e["source"], e["target"]), e)
        kept["rules"] = sorted({*kept["rules"], *e["rules"]})
    return list(out.values())


def derive_gcp(graph: Graph, writer: EdgeWriter) -> None:
    writer.write("gcp-exposure", derived.INTERNET_REACH, [*instance_reach(graph), *sql_reach(graph),
                                                         *_unique(serverless_reach(graph)),
                                                         *_unique(load_balancer_reach(graph, public_invokers(graph)))])
    writer.write("gcp-lateral", derived.CONNECT, lateral_moves(graph))
    writer.sweep("gcp-lateral", derived.CONNECT)
    writer.sweep("gcp-exposure", derived.INTERNET_REACH)
    rows = list(access(graph))
    writer.write("gcp-access", derived.ACCESS, [r for r in rows if r["source"] != "internet"])
    writer.write("gcp-public-data", derived.PUBLIC_ACCESS, [r for r in rows if r["source"] == "internet"])
    writer.sweep("gcp-access", derived.ACCESS)
    writer.sweep("gcp-public-data", derived.PUBLIC_ACCESS)
    moves: dict[tuple[str, str, str], dict] = {}
    cache: dict = {}
    sure = {(e["source"], e["target"], e["method"]) for e in escalations(graph, cache=cache)}
    conditions = {r["id"]: r["condition"] for r in graph.read(
        "MATCH (b:GCPBinding) WHERE b.condition IS NOT NULL RETURN b.id AS id, b.condition AS condition")}
    for e in escalations(graph, undecided=True, cache=cache):  # one edge per (principal, target, method)
        if e["source"] != e["target"]:
            key = (e["source"], e["target"], e["method"])
            move = moves.setdefault(key, {**e, "evidence": [], "conditional": key not in sure})
            move["evidence"] = sorted({*move["evidence"], *e["evidence"]})
            if move["conditional"]:   # the conditions it needs, as AWS conditional edges carry theirs
                move["condition"] = "; ".join(sorted({conditions[x] for x in move["evidence"] if x in conditions}))
    writer.write("gcp-escalation", derived.ESCALATE, list(moves.values()))
    writer.sweep("gcp-escalation", derived.ESCALATE)
