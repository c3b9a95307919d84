"""GCP load balancers, routes, peerings and GKE endpoints: a Cloud Asset export through the real CLI
into a real Neo4j, the engine's derivations and the rules (one load and one analysis for the module)."""

from __future__ import annotations

import pytest

from cloudmap.engine.gcp_firewall import FwRule, allowing_rule, from_front_ends, ingress
from cloudmap.engine.gcp_iam import condition_can_hold
from tests.conftest import wipe
from tests.fixtures.gcp import network_estate as est
from tests.helpers import cli_json

pytestmark = pytest.mark.neo4j


@pytest.fixture(scope="module")
def estate(_session_graph, neo4j_env, tmp_path_factory):
    env = dict(neo4j_env)
    wipe(_session_graph)
    files = est.write(tmp_path_factory.mktemp("gcp-network"))
    summary = cli_json(env, "load", "gcp", *[a for p in files for a in ("--export", str(p))], "--format", "json")
    assert summary["status"] == "success", summary
    analysis = cli_json(env, "analyze", "--format", "json")
    assert "failed" not in str(analysis.get("derive", analysis)), analysis
    findings = cli_json(env, "findings", "--format", "json", "--status", "open")
    yield _session_graph, findings
    wipe(_session_graph)


def _reach(graph) -> dict[tuple[str, str], dict]:
    return {(r["name"], r["via"]): r for r in graph.read(
        "MATCH (:Internet)-[r:CAN_REACH]->(t:Asset {provider: 'gcp'}) RETURN t.name AS name, r.via AS via, "
        "r.ports AS ports, r.rules AS rules")}


def test_the_load_balancing_chain_is_in_the_graph(estate):
    graph, _ = estate
    chain = graph.read("""
        MATCH p = (fr:GCPForwardingRule {name: 'web-fr'})-[:ROUTES_TO*]->(bs:GCPBackendService)-[:ROUTES_TO]->
                  (g:GCPInstanceGroup)-[:CONTAINS]->(vm:GCPInstance)
        RETURN [n IN nodes(p) | n.name] AS names ORDER BY names""")
    assert [r["names"] for r in chain] == [
        ["web-fr", "web-proxy", "web-map", "api-bs", "api-ig", "api-1"],     # the managed group, by created-by
        ["web-fr", "web-proxy", "web-map", "web-bs", "web-ig", "web-1"],
        ["web-fr", "web-proxy", "web-map", "web-bs", "web-ig", "web-2"]]
    frs = {r["name"]: r for r in graph.read("MATCH (f:LoadBalancer:GCPForwardingRule) RETURN f.name AS name, "
                                            "f.scheme AS scheme, f.listener_ports AS ports, f.proxied AS proxied")}
    assert {n: (r["scheme"], r["ports"], r["proxied"]) for n, r in frs.items()} == {
        "web-fr": ("internet-facing", ["443"], True), "int-fr": ("internal", ["8080"], False),
        "ssh-fr": ("internet-facing", ["22"], False)}
    managed = graph.read("MATCH (g:GCPInstanceGroup) RETURN g.name AS name, g.managed AS managed ORDER BY name")
    assert [(r["name"], r["managed"]) for r in managed] == [("api-ig", True), ("int-ig", None), ("ssh-ig", None),
                                                            ("web-ig", None)]


def test_backends_behind_external_load_balancers_are_reachable(estate):
    graph, _ = estate
    reach = _reach(graph)
    lb = {name: r for (name, via), r in reach.items() if via == "load-balancer"}
    # web-2 (no rule admits the front ends for its tag), int-1 (internal rule), ssh-2 (front ends only on a
    # passthrough balancer), shop-internal (ingress internal) are the twins
    assert set(lb) == {"web-1", "api-1", "ssh-1", "shop"}, lb
    assert lb["web-1"]["ports"] == ["8080"] and lb["web-1"]["rules"] == [f"{est.P}/global/firewalls/allow-gfe"]
    assert lb["ssh-1"]["ports"] == ["22"] and lb["ssh-1"]["rules"] == [f"{est.P}/global/firewalls/allow-ssh-nlb"]
    assert lb["shop"]["ports"] == ["443"]
    assert ("web-fr", "direct") in reach and ("ssh-fr", "direct") in reach and ("int-fr", "direct") not in reach


def test_routes_decide_direct_reach(estate):
    graph, _ = estate
    direct = {name for (name, via) in _reach(graph) if via == "direct"}
    assert "edge-1" in direct and "lab-1" not in direct   # lab's default route goes to an appliance


def test_lateral_movement_crosses_active_peerings_by_range_only(estate):
    graph, _ = estate
    moves = {r["dst"]: r["ports"] for r in graph.read(
        "MATCH (s:GCPInstance {name: 'app-1'})-[r:CAN_CONNECT_TO]->(t) RETURN t.name AS dst, r.ports AS ports")}
    assert moves["db-1"] == ["5432"]          # shared: peered; its source-tag rule for 6379 does not apply
    assert moves["cache-1"] == ["6379"]       # same network: the source tag counts
    assert "db-2" not in moves                # partner: the peering is INACTIVE
    peered = graph.read("MATCH (a:GCPNetwork)-[p:PEERED_WITH]->(b:GCPNetwork) RETURN a.name AS a, b.name AS b "
                        "ORDER BY a")
    assert [(r["a"], r["b"]) for r in peered] == [("prod", "shared"), ("shared", "prod")]


def test_gke_public_endpoint_and_node_identity(estate):
    graph, findings = estate
    reach = _reach(graph)
    assert {n for (n, via) in reach if via == "endpoint"} == {"open"}
    k8s = {f["target"]["id"] for f in findings if f["rule_id"] == "CM-K8S-001"}
    assert k8s == {est.GKE + "open"}
    auth = graph.read("MATCH (c:GCPGKECluster {name: 'open'})-[:CAN_AUTHENTICATE_AS]->(s) RETURN s.email AS sa")
    assert auth == [{"sa": est.NODE_SA}]


def test_exposed_management_port_behind_a_load_balancer_is_a_finding(estate):
    _, findings = estate
    net = {f["target"]["id"] for f in findings if f["rule_id"] == "CM-NET-001"}
    assert est.vm_id("ssh-1") in net and est.vm_id("ssh-2") not in net


def test_bucket_acls_and_dataset_access_lists_give_access(estate):
    graph, findings = estate
    access = {(r["src"], r["dst"]): r for r in graph.read(
        "MATCH (s)-[r:CAN_ACCESS]->(t:DataStore {provider: 'gcp'}) RETURN coalesce(s.member, s.id) AS src, "
        "t.name AS dst, r.level AS level, r.actions AS actions, r.evidence AS evidence")}
    assert access[("internet", "acl-public")]["actions"] == ["storage.objects.get", "storage.objects.list"]
    assert "//storage.googleapis.com/acl-public#acl/acl/storage.bucket.READER" in access[("internet", "acl-public")][
        "evidence"]
    assert ("internet", "acl-uniform") not in access and ("internet", "acl-pap") not in access   # the twins
    assert access[("user:alice@example.com", "acl-pap")]["level"] == "write"
    assert access[("internet", "bq_open")]["actions"] == ["bigquery.tables.getData"]
    assert access[("user:bob@example.com", "bq_open")]["level"] == "write"
    assert ("internet", "bq_closed") not in access and access[("group:team@example.com", "bq_closed")]["level"] == "read"
    public = {f["target"]["name"] for f in findings if f["rule_id"] == "CM-DATA-005"}
    assert {"acl-public", "bq_open"} <= public and not public & {"acl-uniform", "acl-pap", "bq_closed"}


def test_iam_conditions_expired_give_nothing_undecided_give_conditional_edges(estate):
    graph, _ = estate
    access = {r["who"]: r["conditional"] for r in graph.read(
        "MATCH (p:GCPPrincipal)-[r:CAN_ACCESS]->(:GCPBucket {name: 'acl-uniform'}) "
        "RETURN p.member AS who, r.conditional AS conditional")}
    assert access == {"user:dana@example.com": True}      # carl's grant expired in 2020
    moves = {(r["who"], r["method"]): r for r in graph.read(
        "MATCH (p:GCPPrincipal)-[r:CAN_ESCALATE_TO]->(:GCPServiceAccount {email: $sa}) "
        "RETURN p.member AS who, r.method AS method, r.conditional AS conditional, r.condition AS condition",
        sa=est.NODE_SA)}
    assert set(moves) == {("user:fay@example.com", f"iam.serviceAccounts.{m}")
                          for m in ("getAccessToken", "signBlob", "signJwt", "implicitDelegation")}
    assert all(m["conditional"] and m["condition"] == est.LATER for m in moves.values())


def test_firewall_evaluation_for_front_ends_and_peers():
    gfe = FwRule("gfe", permissions=(("tcp", ("8080",)),), sources=("35.191.0.0/16",))
    world = FwRule("world", permissions=(("tcp", ("8080",)),), sources=("0.0.0.0/0",))
    deny = FwRule("deny", action="deny", priority=900, permissions=(("tcp", ("8080",)),), sources=("0.0.0.0/0",))
    assert allowing_rule([gfe], set(), set(), from_front_ends, "tcp", 8080) == "gfe"
    assert allowing_rule([world], set(), set(), from_front_ends, "tcp", 8080) == "world"
    assert allowing_rule([gfe, deny], set(), set(), from_front_ends, "tcp", 8080) is None
    assert allowing_rule([gfe], set(), set(), FwRule.from_internet, "tcp", 8080) is None  # no client comes from it
    tagged = FwRule("t", permissions=(("tcp", ("6379",)),), source_tags=("app",))
    same = ingress([tagged], set(), set(), lambda r: r.from_peer("10.0.0.2", {"app"}, set(), True))
    peer = ingress([tagged], set(), set(), lambda r: r.from_peer("10.0.0.2", {"app"}, set(), False))
    assert same[0] == ["6379"] and peer[0] == []
    assert FwRule.from_row({"id": "x", "priority": 0}).priority == 0
    assert not condition_can_hold(est.EXPIRED) and condition_can_hold(est.LATER) and condition_can_hold(est.UNDECIDED)
    assert condition_can_hold(est.EXPIRED + " || true")
