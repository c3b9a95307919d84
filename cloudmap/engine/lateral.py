"""Lateral movement: ``(workload)-[:CAN_CONNECT_TO {ports, protocols, rules}]->(workload)``.

Fan-out is bounded in two steps (docs/engine.md, "Lateral movement"):

1. Destination interfaces are grouped into *buckets* of the same subnet and the same rule sets, and
   each source interface is evaluated once per bucket (the rules cannot tell the members apart),
   so the work is sources x buckets, not sources x interfaces.
2. Allowed buckets are expanded to the workloads in them, at most ``MAX_TARGETS`` per source
   workload. Past that, the source gets one aggregate edge per destination subnet instead
   (``aggregate: true``, ``targets``: how many workloads it stands for).

Databases without a modelled interface (RDS) are destinations only, the network model's
``endpoints``: they answer on their own port and start no connections.
"""

from __future__ import annotations

from collections import defaultdict

from cloudmap.engine.netmodel import NetworkModel, Nic
from cloudmap.engine.netrules import Access, Rule, Verdict, destination_matches, source_matches
from cloudmap.engine.writer import EdgeWriter
from cloudmap.graph.driver import Graph
from cloudmap.graph.kinds import derived

DERIVATION = "lateral-movement"
REL = derived.CONNECT
MAX_TARGETS = 100


def _matcher(model: NetworkModel, src: Nic, dst: Nic, same_network: bool):
    src_groups = set(model.groups_on(src.id, *src.workloads))

    def matches(rule: Rule) -> bool:
        peer = (any(source_matches(s, src.private_ips, same_network) for s in rule.sources)
                or bool(src_groups.intersection(rule.allows_from)))
        return peer and destination_matches(rule, dst.private_ips, True)
    return matches


def derive_lateral(graph: Graph, writer: EdgeWriter, model: NetworkModel) -> None:
    nics = [n for n in model.nics.values() if n.workloads and n.subnet]
    buckets: dict[tuple, list[Nic]] = defaultdict(list)
    for n in nics + model.endpoints:
        key = (n.subnet, n.provider, tuple(model.groups_on(n.id, *n.workloads)), tuple(model.groups_on(n.subnet)),
               n.listens)
        buckets[key].append(n)

    # Only buckets in the source's own network or a peered one can be reached: index them by network.
    by_network: dict[str, list[tuple[tuple, list[Nic]]]] = defaultdict(list)
    for key, members in buckets.items():
        network = model.subnet_network.get(key[0] or "")
        if network:
            by_network[network].append((key, members))

    # Written network by network, so the writer holds one network's edges at a time (a workload with
    # interfaces in several networks joins them into one batch: its edges are merged within one write).
    for batch in _network_batches(model, nics):
        writer.write(DERIVATION, REL, _edges(model, batch, by_network))
    writer.sweep(DERIVATION, REL)


def _network_batches(model: NetworkModel, nics: list[Nic]) -> list[list[Nic]]:
    """The source interfaces grouped by network; networks that share a workload are one group."""
    parent: dict[str, str] = {}

    def root(n: str) -> str:
        while parent.setdefault(n, n) != n:
            parent[n] = parent[parent[n]]
            n = parent[n]
        return n

    first_network: dict[str, str] = {}
    for nic in nics:
        network = model.subnet_network.get(nic.subnet)
        if not network:
            continue   # outside any known network: no peer to reach
        for w in nic.workloads:
            parent[root(first_network.setdefault(w, network))] = root(network)
    batches: dict[str, list[Nic]] = defaultdict(list)
    for nic in nics:
        network = model.subnet_network.get(nic.subnet)
        if network:
            batches[root(network)].append(nic)
    return [batches[k] for k in sorted(batches)]


def _edges(model: NetworkModel, nics: list[Nic], by_network: dict[str, list[tuple[tuple, list[Nic]]]]):
    """The edges, source by source (a generator: the writer holds them once, not the caller too)."""
    for src in nics:
        per_source: dict[str, list[tuple[Nic, object]]] = defaultdict(list)
        network = model.subnet_network[src.subnet]
        reachable = [(n, bucket) for n in {network} | model.peers.get(network, set()) for bucket in by_network.get(n, ())]
        for n, ((_, provider, _, _, listens), members) in reachable:
            same_network = n == network
            # One evaluation per bucket: its members share subnet and rule sets (a rule naming a
            # single destination address is judged on the bucket's first member).
            verdict = model.inbound(members[0], None, _matcher(model, src, members[0], same_network), provider)
            if listens:
                verdict = Verdict(verdict.access & Access.of("tcp", listens), verdict.rules)
            if not verdict.access:
                continue
            for w in src.workloads:
                per_source[w].extend((m, verdict) for m in members if m is not src)
        for w, hits in per_source.items():
            targets = {t: v for m, v in hits for t in m.workloads if t != w}
            if len(targets) <= MAX_TARGETS:
                for t, v in targets.items():
                    yield {"source": w, "target": t, "ports": v.access.ports(),
                           "protocols": v.access.protocols(), "rules": v.rules}
            else:
                by_subnet: dict[str, list] = defaultdict(list)
                for m, v in hits:
                    by_subnet[m.subnet].append((m, v))
                for subnet, items in by_subnet.items():
                    yield {"source": w, "target": subnet, "aggregate": True,
                           "targets": len({t for m, _ in items for t in m.workloads if t != w}),
                           "ports": sorted({p for _, v in items for p in v.access.ports()}),
                           "protocols": sorted({p for _, v in items for p in v.access.protocols()}),
                           "rules": sorted({r for _, v in items for r in v.rules})}
