"""Internet reach through GCP external load balancers.

An internet-facing forwarding rule (scheme EXTERNAL or EXTERNAL_MANAGED, with an address) gets a
``direct`` edge on its ports. Its backends are found by following ``ROUTES_TO`` (target proxy → URL map
→ backend service → instance group → instances; a target pool's instances; a serverless endpoint
group's Cloud Run service or function) and get a ``load-balancer`` edge when traffic gets through:

* behind a proxy (target HTTP(S), TCP, SSL or gRPC proxy) the backends see Google's front ends, so a
  firewall rule admitting 35.191.0.0/16 or 130.211.0.0/22 (any range overlapping them, 0.0.0.0/0
  included) must allow the backend port: the named port of the backend service, else its port,
  else 80/443 for HTTP/HTTPS;
* passthrough (a backend service or target pool straight from the forwarding rule) keeps the
  client's address, so the firewall must admit the internet on the forwarding rule's ports;
* a Cloud Run service or function behind a serverless endpoint group needs an allUsers /
  allAuthenticatedUsers invoker and an ingress setting other than ``internal``.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator

from cloudmap.engine.gcp_firewall import FwRule, allowing_rule, from_front_ends, internet_ingress
from cloudmap.engine.gcp_network import firewalls, instances
from cloudmap.engine.writer import stream
from cloudmap.graph.driver import Graph

DEFAULT_PORTS = {"HTTP": 80, "HTTPS": 443, "HTTP2": 443}

_BACKENDS = """
MATCH (fr:GCPForwardingRule {scheme: 'internet-facing'})
CALL (fr) {
  MATCH (fr)-[:ROUTES_TO*1..3]->(bs:GCPBackendService)-[:ROUTES_TO]->(g:GCPInstanceGroup)-[:CONTAINS]->(t:GCPInstance)
  RETURN t.id AS target, bs.port AS port, bs.port_name AS port_name, bs.protocol AS protocol, g.named_ports AS named
  UNION
  MATCH (fr)-[:ROUTES_TO]->(:GCPTargetPool)-[:ROUTES_TO]->(t:GCPInstance)
  RETURN t.id AS target, null AS port, null AS port_name, null AS protocol, null AS named
  UNION
  MATCH (fr)-[:ROUTES_TO*1..3]->(bs:GCPBackendService)-[:ROUTES_TO]->(:GCPNetworkEndpointGroup)-[:ROUTES_TO]->(t:Function)
  RETURN t.id AS target, null AS port, null AS port_name, null AS protocol, null AS named
}
RETURN fr.id AS lb, fr.listener_ports AS listeners, fr.ip_protocol AS protocol, fr.proxied AS proxied,
       collect({target: target, port: port, port_name: port_name, protocol: protocol, named: named}) AS backends
"""


def _backend_port(b: dict) -> int | None:
    named = json.loads(b["named"]) if isinstance(b["named"], str) else (b["named"] or {})
    return named.get(b["port_name"]) or b["port"] or DEFAULT_PORTS.get(str(b["protocol"] or "").upper())


def _through_firewall(lb: dict, b: dict, vm: dict, rules: dict[str, list[FwRule]]) -> tuple[list[str], list[str]]:
    """(ports, deciding rules) the load balancer's traffic reaches on one backend instance."""
    tags, sas = set(vm["tags"] or []), set(vm["sas"])
    ports, deciding = set(), set()
    for net in vm["nets"]:
        if lb["proxied"]:
            port = _backend_port(b)
            rule = port and allowing_rule(rules[net], tags, sas, from_front_ends, "tcp", int(port))
            if rule:
                ports.add(str(port)), deciding.add(rule)
            continue
        protocol = lb["protocol"] if lb["protocol"] in ("tcp", "udp") else "tcp"
        for spec in lb["listeners"] or ["*"]:
            if spec == "*":
                open_ports, _, why = internet_ingress(rules[net], tags, sas)
                ports.update(open_ports), deciding.update(why)
                continue
            rule = allowing_rule(rules[net], tags, sas, FwRule.from_internet, protocol, int(spec.split("-")[0]))
            if rule:
                ports.add(spec), deciding.add(rule)
    return sorted(ports), sorted(deciding)


def load_balancer_reach(graph: Graph, invokers: Iterable[tuple[dict, str]]) -> Iterator[dict]:
    """``invokers``: (service or function binding row, binding id) of those anyone may invoke."""
    rules = firewalls(graph)
    vms = {vm["id"]: vm for vm in instances(graph)}
    public = {b["target"]: (b["ingress"], binding) for b, binding in invokers}
    edges: dict[str, dict] = {}
    for lb in stream(graph, _BACKENDS):
        protocols = [lb["protocol"] or "tcp"]
        yield {"source": "internet", "target": lb["lb"], "ports": lb["listeners"] or ["*"], "protocols": protocols,
               "via": "direct", "rules": []}
        for b in lb["backends"]:
            if b["target"] in vms:
                ports, why = _through_firewall(lb, b, vms[b["target"]], rules)
            elif b["target"] in public and public[b["target"]][0] != "internal":
                ports, why = lb["listeners"] or ["*"], [public[b["target"]][1]]
            else:
                continue
            if ports:
                e = edges.setdefault(b["target"], {"source": "internet", "target": b["target"], "ports": [],
                                                   "protocols": ["tcp"], "via": "load-balancer", "rules": []})
                e["ports"] = sorted({*e["ports"], *ports})
                e["rules"] = sorted({*e["rules"], *why})
    yield from edges.values()
