"""The network facts the exposure and lateral-movement derivations share, read once from the graph:
rule sets and where they apply, interfaces, subnets, routes, peerings."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field

from cloudmap.engine.netrules import (
    AZURE_DEFAULT_INBOUND,
    Access,
    Matcher,
    Rule,
    Verdict,
    ordered_allowed,
    union_allowed,
)
from cloudmap.engine.writer import stream
from cloudmap.graph.driver import Graph

DEFAULT_ROUTES = ("0.0.0.0/0", "::/0")


@dataclass
class Nic:
    id: str
    provider: str
    private_ips: list[str]
    public_ips: list[str]
    subnet: str | None
    workloads: list[str]
    listens: tuple[str, ...] = ()   # the only TCP ports that answer (a database endpoint); empty: any


@dataclass
class NetworkModel:
    rules: dict[str, list[Rule]] = field(default_factory=lambda: defaultdict(list))  # group/acl id -> rules
    nacls: set[str] = field(default_factory=set)
    ordered_groups: set[str] = field(default_factory=set)   # Azure NSGs (priority-ordered)
    applied: dict[str, list[str]] = field(default_factory=lambda: defaultdict(list))  # target id -> group ids
    nics: dict[str, Nic] = field(default_factory=dict)
    # Databases placed in subnets without a modelled interface (RDS: subnet group and security groups
    # only), one entry per subnet they may run in, with the database's id (its groups apply to it):
    # destinations of lateral movement, never sources.
    endpoints: list[Nic] = field(default_factory=list)
    subnet_network: dict[str, str] = field(default_factory=dict)
    public_subnets: set[str] = field(default_factory=set)
    peers: dict[str, set[str]] = field(default_factory=lambda: defaultdict(set))
    _index: dict[str, Rule] = field(default_factory=dict)

    @staticmethod
    def load(graph: Graph) -> NetworkModel:
        m = NetworkModel()
        for row in stream(graph, """
                MATCH (g:Asset)-[:HAS_RULE]->(r:FirewallRule)
                RETURN g.id AS group, g:NetworkAcl AS nacl, g.provider AS provider, properties(r) AS rule,
                       COLLECT { MATCH (r)-[:ALLOWS_FROM]->(ref:SecurityGroup) RETURN ref.id } AS allows_from"""):
            m.rules[row["group"]].append(Rule.from_row({**row["rule"], "allows_from": row["allows_from"]}))
            if row["nacl"]:
                m.nacls.add(row["group"])
            elif row["provider"] == "azure" or row["rule"].get("priority") is not None:
                m.ordered_groups.add(row["group"])
        for row in stream(graph, "MATCH (g:Asset)-[:APPLIES_TO]->(x:Asset) WHERE g:SecurityGroup OR g:NetworkAcl "
                                 "RETURN g.id AS g, x.id AS x, g:NetworkAcl AS nacl, g.provider AS provider"):
            m.applied[row["x"]].append(row["g"])
            if row["nacl"]:
                m.nacls.add(row["g"])
            elif row["provider"] == "azure":
                m.ordered_groups.add(row["g"])
        for row in stream(graph, """
                MATCH (ni:NetworkInterface)
                RETURN ni.id AS id, ni.provider AS provider, ni.private_ips AS ips,
                       head(COLLECT { MATCH (ni)-[:IN_SUBNET]->(s:Subnet) RETURN s.id }) AS subnet,
                       COLLECT { MATCH (ni)-[:ATTACHED_TO]->(w:Asset) RETURN DISTINCT w.id } AS workloads,
                       COLLECT { MATCH (pip:PublicIP)-[:ATTACHED_TO]->(ni) RETURN DISTINCT coalesce(pip.ip, pip.id) } AS pips
                """):
            m.nics[row["id"]] = Nic(row["id"], row["provider"] or "", list(row["ips"] or []), row["pips"],
                                    row["subnet"], row["workloads"])
        for row in stream(graph, """
                MATCH (d:Database) WHERE EXISTS { (d)-[:IN_SUBNET]->(:Subnet) }
                  AND NOT EXISTS { (:NetworkInterface)-[:ATTACHED_TO]->(d) }
                RETURN d.id AS id, d.provider AS provider, d.port AS port,
                       COLLECT { MATCH (d)-[:IN_SUBNET]->(s:Subnet) RETURN s.id } AS subnets"""):
            listens = (str(row["port"]),) if row["port"] else ()
            m.endpoints.extend(Nic(row["id"], row["provider"] or "", [], [], s, [row["id"]], listens)
                               for s in sorted(row["subnets"]))
        for row in stream(graph, "MATCH (n:Network)-[:CONTAINS]->(s:Subnet) RETURN n.id AS n, s.id AS s"):
            m.subnet_network[row["s"]] = row["n"]
        for row in stream(graph, "MATCH (a:Network)-[:PEERED_WITH]-(b:Network) RETURN a.id AS a, b.id AS b"):
            m.peers[row["a"]].add(row["b"])
        m._load_routes(graph)
        return m

    def _load_routes(self, graph: Graph) -> None:
        internet_tables = {r["rt"] for r in graph.read(
            "MATCH (rt:RouteTable)-[r:ROUTES_TO]->(g:Gateway {gateway_type: 'internet'}) "
            "WHERE r.destination IN $dests RETURN DISTINCT rt.id AS rt", dests=list(DEFAULT_ROUTES))}
        explicit: dict[str, set[str]] = defaultdict(set)
        main: dict[str, set[str]] = defaultdict(set)
        for row in graph.read("MATCH (rt:RouteTable)-[:ASSOCIATED_WITH]->(x) "
                              "RETURN rt.id AS rt, x.id AS x, x:Subnet AS subnet"):
            (explicit if row["subnet"] else main)[row["x"]].add(row["rt"])
        for subnet, network in self.subnet_network.items():
            tables = explicit.get(subnet) or main.get(network, set())
            if tables & internet_tables:
                self.public_subnets.add(subnet)
        for subnet, tables in explicit.items():
            if tables & internet_tables:
                self.public_subnets.add(subnet)

    # -- evaluation ---------------------------------------------------------------------------------
    def groups_on(self, *target_ids: str | None) -> list[str]:
        return sorted({g for t in target_ids if t for g in self.applied.get(t, ())})

    def security_groups(self, group_ids: list[str]) -> list[str]:
        return [g for g in group_ids if g not in self.nacls]

    def evaluate_level(self, group_ids: list[str], matches: Matcher, absent_allows: bool) -> tuple[Access, list[str]]:
        """One level of filtering (the groups on an interface, or on a subnet)."""
        if not group_ids:
            return (Access.everything(), []) if absent_allows else (Access(), [])
        total, ids = None, []
        for g in group_ids:
            if g in self.nacls or g in self.ordered_groups:
                defaults = AZURE_DEFAULT_INBOUND if g in self.ordered_groups else ()
                acc, rid = ordered_allowed(self.rules.get(g, []), matches, defaults=defaults)
                total = acc if total is None else total & acc   # every ordered set must allow
            else:
                acc, rid = union_allowed(self.rules.get(g, []), matches)
                total = acc if total is None else total | acc   # AWS groups on one ENI add up
            ids += rid
        return total, ids

    def inbound(self, nic: Nic | None, resource_id: str | None, matches: Matcher, provider: str) -> Verdict:
        """What reaches an interface (or a resource without a modelled interface) from a peer; the
        rules listed are the allowing ones whose traffic gets through every level."""
        v = self._inbound(nic, resource_id, matches, provider)
        return Verdict(v.access, [r for r in v.rules if self._rule_access(r) & v.access])

    def _rule_access(self, rule_id: str) -> Access:
        if not self._index:
            self._index.update({r.id: r for rules in self.rules.values() for r in rules})
            self._index.update({r.id: r for r in AZURE_DEFAULT_INBOUND})
        rule = self._index.get(rule_id)
        return rule.access if rule else Access.everything()

    def _inbound(self, nic: Nic | None, resource_id: str | None, matches: Matcher, provider: str) -> Verdict:
        subnet = nic.subnet if nic else None
        verdict = Verdict()
        if provider == "azure":
            for level in (self.groups_on(subnet), self.groups_on(nic.id if nic else None, resource_id)):
                acc, ids = self.evaluate_level(level, matches, absent_allows=True)
                verdict = verdict.through(acc, ids)
            return verdict
        sgs = self.security_groups(self.groups_on(nic.id if nic else None, resource_id))
        acc, ids = self.evaluate_level(sgs, matches, absent_allows=False)
        verdict = verdict.through(acc, ids)
        nacls = [g for g in self.groups_on(subnet) if g in self.nacls]
        acc, ids = self.evaluate_level(nacls, matches, absent_allows=True)
        return verdict.through(acc, ids)
