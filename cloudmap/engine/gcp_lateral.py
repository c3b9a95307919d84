"""Lateral movement between GCP instances: ``(vm)-[:CAN_CONNECT_TO {ports, protocols, rules}]->(vm)``.

A source reaches a destination in the same network, or in a network peered with it (an ACTIVE
peering), when the destination network's ingress rules (priority order, implied deny last) allow
the source: a source range holding the source's address, or, inside one network only, a source tag
or source service account of the source. Destinations are evaluated once per group the rules cannot
tell apart (network, tags, service accounts); past ``MAX_TARGETS`` reachable instances a source gets
one aggregate edge per destination subnetwork, as the other clouds' lateral movement does."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable

from cloudmap.engine.gcp_firewall import FwRule, ingress
from cloudmap.engine.gcp_network import firewalls, instances
from cloudmap.engine.lateral import MAX_TARGETS
from cloudmap.engine.writer import stream
from cloudmap.graph.driver import Graph


def _peers(graph: Graph) -> dict[str, set[str]]:
    peers: dict[str, set[str]] = defaultdict(set)
    for row in stream(graph, "MATCH (a:GCPNetwork)-[:PEERED_WITH]-(b:GCPNetwork) RETURN a.id AS a, b.id AS b"):
        peers[row["a"]].add(row["b"])
    return peers


def _source(ip: str | None, tags: set[str], sas: set[str], same_network: bool) -> Callable[[FwRule], bool]:
    return lambda rule: rule.from_peer(ip, tags, sas, same_network)


def _merge(hits: dict[str, dict], target: str, ports, protocols, rules) -> None:
    hit = hits.setdefault(target, {"ports": set(), "protocols": set(), "rules": set()})
    hit["ports"].update(ports), hit["protocols"].update(protocols), hit["rules"].update(rules)


def lateral_moves(graph: Graph) -> list[dict]:
    rules, peers = firewalls(graph), _peers(graph)
    vms = list(instances(graph))
    groups: dict[str, dict[tuple, list[dict]]] = defaultdict(lambda: defaultdict(list))  # network -> key -> vms
    for vm in vms:
        for net in vm["nets"]:
            groups[net][(frozenset(vm["tags"] or []), frozenset(vm["sas"]))].append(vm)
    subnet_of = {vm["id"]: vm["subnet"] or vm["nets"][0] for vm in vms}
    rows: list[dict] = []
    for src in vms:
        tags, sas = set(src["tags"] or []), set(src["sas"])
        hits: dict[str, dict] = {}
        for net, ip in src["nics"]:
            for dest_net in {net} | peers.get(net, set()):
                admits = _source(ip, tags, sas, dest_net == net)
                for (dest_tags, dest_sas), members in groups.get(dest_net, {}).items():
                    ports, protocols, why = ingress(rules[dest_net], set(dest_tags), set(dest_sas), admits)
                    for m in members if ports else ():
                        if m["id"] != src["id"]:
                            _merge(hits, m["id"], ports, protocols, why)
        if len(hits) <= MAX_TARGETS:
            rows.extend({"source": src["id"], "target": t, "ports": sorted(h["ports"]),
                         "protocols": sorted(h["protocols"]), "rules": sorted(h["rules"])} for t, h in hits.items())
            continue
        by_subnet: dict[str, dict[str, dict]] = defaultdict(dict)
        for t, h in hits.items():
            by_subnet[subnet_of[t]][t] = h
        for subnet, items in by_subnet.items():
            rows.append({"source": src["id"], "target": subnet, "aggregate": True, "targets": len(items),
                         "ports": sorted({p for h in items.values() for p in h["ports"]}),
                         "protocols": sorted({p for h in items.values() for p in h["protocols"]}),
                         "rules": sorted({r for h in items.values() for r in h["rules"]})})
    return rows
