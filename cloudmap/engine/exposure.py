"""Network exposure: ``(:Internet)-[:CAN_REACH {ports, protocols, via, rules}]->(asset)``.

Each source of exposure is one small function yielding edge rows; see docs/engine.md for the
conditions of each.
"""

from __future__ import annotations

from collections.abc import Iterator

from cloudmap.engine.netmodel import NetworkModel
from cloudmap.engine.netrules import Access, Rule, Verdict, destination_matches, is_internet, source_matches
from cloudmap.engine.writer import EdgeWriter, stream
from cloudmap.graph.driver import Graph
from cloudmap.graph.ingest import batched
from cloudmap.graph.kinds import derived

DERIVATION = "network-exposure"
REL = derived.INTERNET_REACH
MANAGEMENT_PORTS = (22, 23, 3389, 5985, 5986)   # SSH, telnet, RDP, WinRM

# Facts of each exposed asset that make it exploitable without a known vulnerability.
_ENTRY_FACTS = """
UNWIND $ids AS id
MATCH (a:Asset {id: id})
RETURN a.id AS id,
       coalesce(a.imds_v1_enabled, false) AND EXISTS { (:InstanceProfile)-[:ATTACHED_TO]->(a) } AS imds_v1,
       coalesce(a.password_auth, false) AS password_auth, a:Database AS database,
       coalesce(a.url_auth_type = 'NONE' OR a.public = true, false) AS no_auth,
       EXISTS { (a)-[:HOLDS_CREDENTIAL]->(:Credential) } AS credentials
"""


def _from_internet(ips: list[str]):
    def matches(rule: Rule) -> bool:
        return any(source_matches(s, internet=True) for s in rule.sources) and destination_matches(rule, ips)
    return matches


def _edge(target: str, verdict: Verdict, via: str, extra_rules=()) -> dict:
    return {"source": "internet", "target": target, "ports": verdict.access.ports(),
            "protocols": verdict.access.protocols(), "via": via,
            "rules": sorted(set(verdict.rules) | set(extra_rules))}


def tcp(ports) -> Access:
    return Access.of("tcp", [str(p) for p in ports]) if ports else Access.of("tcp", ["*"])


def direct_interfaces(m: NetworkModel) -> Iterator[dict]:
    """Workloads behind an interface with a public IP (AWS: in a subnet routed to an internet gateway)."""
    for nic in m.nics.values():
        if not nic.public_ips:
            continue
        if nic.provider != "azure" and nic.subnet not in m.public_subnets:
            continue
        verdict = m.inbound(nic, None, _from_internet(nic.private_ips + nic.public_ips), nic.provider)
        if verdict.access:
            for w in nic.workloads or [nic.id]:
                yield _edge(w, verdict, "direct")


def load_balancers(graph: Graph, m: NetworkModel) -> Iterator[dict]:
    """Internet-facing load balancers (scheme, or a public IP on the frontend) and their targets."""
    for lb in stream(graph, """
            MATCH (lb:LoadBalancer)
            WHERE (lb.scheme = 'internet-facing' OR EXISTS { (:PublicIP)-[:ATTACHED_TO]->(lb) })
              AND coalesce(lb.provider, '') <> 'gcp'   // engine/gcp_balancing.py: the backends' firewall decides
            RETURN lb.id AS id, lb.provider AS provider, lb.listener_ports AS listeners,
                   COLLECT { MATCH (lb)-[rt:ROUTES_TO]->(t:Asset) RETURN {target: t.id, ports: rt.ports} } AS targets"""):
        listeners = tcp(lb["listeners"])
        if lb["provider"] == "azure":
            verdict = Verdict(listeners, [])
        else:
            sgs = m.security_groups(m.groups_on(lb["id"], *[n.id for n in m.nics.values() if lb["id"] in n.workloads]))
            # An NLB without security groups lets everything through to its listeners.
            acc, ids = m.evaluate_level(sgs, _from_internet([]), absent_allows=True)
            verdict = Verdict(listeners & acc, ids)
        if not verdict.access:
            continue
        yield _edge(lb["id"], verdict, "direct")
        for t in lb["targets"]:
            ports = tcp(t["ports"]) if t["ports"] else verdict.access
            yield _edge(t["target"], Verdict(ports, verdict.rules), "load-balancer")


def public_databases(graph: Graph, m: NetworkModel) -> Iterator[dict]:
    """AWS databases marked publicly accessible whose security groups admit the internet."""
    for db in stream(graph, "MATCH (d:Database) WHERE d.publicly_accessible = true AND coalesce(d.provider,'aws') <> 'azure' "
                            "RETURN d.id AS id, d.port AS port, "
                            "COLLECT { MATCH (ni:NetworkInterface)-[:ATTACHED_TO]->(d) RETURN ni.id } AS nics"):
        sgs = m.security_groups(m.groups_on(db["id"], *db["nics"]))
        acc, ids = m.evaluate_level(sgs, _from_internet([]), absent_allows=False)
        if db["port"]:
            acc = acc & tcp([db["port"]])
        if acc:
            yield _edge(db["id"], Verdict(acc, ids), "direct")


def azure_sql(graph: Graph) -> Iterator[dict]:
    """Azure SQL servers whose firewall admits every address (0.0.0.0-255.255.255.255)."""
    for db in stream(graph, """
            MATCH (d:Database) WHERE EXISTS { (d)-[:HAS_RULE]->(:FirewallRule) }
              AND coalesce(toLower(toString(d.public_network_access)), 'enabled') IN ['enabled', 'true']
            RETURN d.id AS id, d.port AS port,
                   COLLECT { MATCH (d)-[:HAS_RULE]->(r:FirewallRule) RETURN {id: r.id, sources: r.sources, action: r.action} }
                   AS rules"""):
        hits = [r["id"] for r in db["rules"] if (r["action"] or "allow") == "allow"
                and any(is_internet(s) for s in r["sources"] or [])]
        if hits:
            yield _edge(db["id"], Verdict(tcp([db["port"] or 1433]), hits), "direct")


def storage_accounts(graph: Graph) -> Iterator[dict]:
    """Storage accounts open to public networks (public access enabled, default action Allow)."""
    for sa in stream(graph, """
            MATCH (s:StorageAccount)
            WHERE toLower(toString(s.public_network_access)) IN ['enabled', 'true']
              AND coalesce(toLower(s.network_default_action), 'allow') = 'allow'
            RETURN s.id AS id"""):
        yield _edge(sa["id"], Verdict(tcp(["443"]), []), "direct")


def function_urls(graph: Graph) -> Iterator[dict]:
    """Functions callable anonymously over HTTPS: Lambda URLs with auth NONE, public Azure functions."""
    for f in stream(graph, "MATCH (f:Function) WHERE (f.has_url = true AND f.url_auth_type = 'NONE') "
                           "OR f.public = true RETURN f.id AS id"):
        yield _edge(f["id"], Verdict(tcp(["443"]), []), "function-url")


def cluster_endpoints(graph: Graph) -> Iterator[dict]:
    """Kubernetes API endpoints public to the internet (no CIDR restriction, or 0.0.0.0/0)."""
    for c in stream(graph, "MATCH (c:Cluster) WHERE c.endpoint_public = true "
                           "RETURN c.id AS id, c.public_cidrs AS cidrs"):
        if not c["cidrs"] or any(is_internet(x) for x in c["cidrs"]):
            yield _edge(c["id"], Verdict(tcp(["443"]), []), "endpoint")


def kubernetes(graph: Graph) -> Iterator[dict]:
    """LoadBalancer services and ingresses, to the pods they route to."""
    for row in stream(graph, """
            MATCH (svc:KubernetesService {service_type: 'LoadBalancer'})-[:ROUTES_TO]->(p:Pod)
            RETURN svc.id AS entry, svc.ports AS ports, p.id AS pod, 'load-balancer' AS via
            UNION
            MATCH (i:Ingress)-[:ROUTES_TO]->(svc:KubernetesService)-[:ROUTES_TO]->(p:Pod)
            RETURN i.id AS entry, svc.ports AS ports, p.id AS pod, 'ingress' AS via"""):
        verdict = Verdict(tcp(row["ports"]), [])
        yield _edge(row["entry"], verdict, "direct")
        yield _edge(row["pod"], verdict, row["via"])


def opens_port(ports: list[str], wanted: tuple[int, ...]) -> bool:
    """Whether port specs such as "22", "0-65535" or "*" include any of ``wanted``."""
    for spec in ports or []:
        if spec == "*":
            return True
        low, _, high = spec.partition("-")
        if low.isdigit() and any(int(low) <= p <= int(high or low) for p in wanted if (high or low).isdigit()):
            return True
    return False


def with_weaknesses(graph: Graph, rows: list[dict]) -> list[dict]:
    """Each edge with the weaknesses of its target that an attacker on the internet can use."""
    facts = {f["id"]: f for ids in batched(sorted({r["target"] for r in rows}), 5000)
             for f in graph.read(_ENTRY_FACTS, ids=ids)}
    for row in rows:
        f = facts.get(row["target"])
        if not f:
            continue
        management = opens_port(row["ports"], MANAGEMENT_PORTS)
        found = {"imds-v1": f["imds_v1"], "management-port": management,
                 "password-auth": f["password_auth"] and (f["database"] or management),
                 "no-auth": f["no_auth"] and row["via"] == "function-url",
                 "credentials-in-configuration": f["credentials"]}
        row["weaknesses"] = sorted(w for w, yes in found.items() if yes)
    return rows


def derive_exposure(graph: Graph, writer: EdgeWriter, model: NetworkModel) -> None:
    def rows():
        yield from direct_interfaces(model)
        yield from load_balancers(graph, model)
        yield from public_databases(graph, model)
        yield from azure_sql(graph)
        yield from storage_accounts(graph)
        yield from function_urls(graph)
        yield from cluster_endpoints(graph)
        yield from kubernetes(graph)
    writer.write(DERIVATION, REL, with_weaknesses(graph, list(rows())))
    writer.sweep(DERIVATION, REL)
