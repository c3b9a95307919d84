"""`cloudmap load gcp`: Cloud Asset Inventory exports through the real CLI into a real Neo4j, then the
engine's GCP derivations and the rules."""

from __future__ import annotations

import json

import pytest
from cloudmap.loaders.gcp.exports import GCPInputError, read_export
from cloudmap.loaders.gcp.predefined_roles import RETRIEVED, ROLES

from cloudmap.engine.gcp_firewall import FwRule, internet_ingress
from cloudmap.engine.gcp_iam import escalation_methods
from tests.conftest import wipe
from tests.fixtures.gcp import build_exports as est
from tests.helpers import cli_json, run_cli

pytestmark = pytest.mark.neo4j

GRAPH_SHAPE = ("MATCH (n:Asset {provider: 'gcp'}) OPTIONAL MATCH (n)-[r]->(m) WHERE NOT type(r) STARTS WITH 'CAN_' "
               "WITH n, r, m ORDER BY type(r), m.id "   # collect in a fixed order: both forms list the same edges
               "RETURN n.id AS id, labels(n) AS labels, collect(DISTINCT [type(r), m.id]) AS out ORDER BY id")


def _load(env, paths):
    return cli_json(env, "load", "gcp", *[a for p in paths for a in ("--export", str(p))], "--format", "json")


@pytest.fixture(scope="module")
def estate(_session_graph, neo4j_env, tmp_path_factory):
    env = dict(neo4j_env)
    files = est.write(tmp_path_factory.mktemp("gcp"))
    wipe(_session_graph)
    summary = _load(env, files["list"])
    assert summary["status"] == "success", summary
    list_shape = _session_graph.read(GRAPH_SHAPE)
    wipe(_session_graph)
    summary = _load(env, files["export"])
    assert summary["status"] == "success", summary
    analysis = cli_json(env, "analyze", "--format", "json")
    assert "failed" not in json.dumps(analysis.get("derive", analysis)), analysis
    findings = cli_json(env, "findings", "--format", "json", "--status", "open")
    yield env, files, list_shape, findings
    wipe(_session_graph)


def one(graph, query, **params):
    rows = graph.read(query, **params)
    assert len(rows) == 1, rows
    return rows[0]


def test_every_export_form_gives_the_same_graph(estate, _session_graph):
    _, _, list_shape, _ = estate
    assert _session_graph.read(GRAPH_SHAPE) == list_shape
    assert len(list_shape) > 20


def test_project_number_and_id_meet_and_sa_unique_id_and_email_meet(estate, _session_graph):
    app = one(_session_graph, "MATCH (p:GCPProject {project_id: $pid}) RETURN p.id AS id, labels(p) AS labels, "
              "[(f:GCPFolder)-[:CONTAINS]->(p) | f.id] AS parents", pid=est.APP_ID)
    assert app == {"id": est.APP, "labels": ["Asset", "Account", "GCPProject"], "parents": [f"{est.CRM}{est.FOLDER}"]}
    sa = one(_session_graph, "MATCH (s:GCPServiceAccount {email: $e}) RETURN s.id AS id, s.unique_id AS uid, "
             "[(vm)-[:USES_IDENTITY]->(s) | vm.name] AS vms", e=est.CARDS_SA)
    assert sa == {"id": est.sa_name(est.CARDS_SA), "uid": est.CARDS_SA_UID, "vms": ["web-cards"]}
    key = one(_session_graph, "MATCH (s:GCPServiceAccount)-[:HAS_KEY]->(k:GCPServiceAccountKey) "
              "RETURN s.email AS sa, k.key_type AS t", )
    assert key == {"sa": est.DEPLOY_SA, "t": "USER_MANAGED"}


def test_reachability_honours_disabled_rules_and_higher_priority_denies(estate, _session_graph):
    reach = {r["name"]: r for r in _session_graph.read(
        "MATCH (:Internet)-[r:CAN_REACH]->(t:Asset {provider: 'gcp'}) RETURN t.name AS name, r.ports AS ports, "
        "r.rules AS rules")}
    assert set(reach) == {"web-cards", "web-blog", "orders"}, reach
    assert reach["web-cards"]["ports"] == ["443"]
    assert reach["web-cards"]["rules"] == [f"{est.COMPUTE}/global/firewalls/allow-https"]


def test_access_through_inherited_bindings_and_public_buckets(estate, _session_graph):
    access = {(r["src"], r["dst"]): r for r in _session_graph.read(
        "MATCH (s)-[r:CAN_ACCESS]->(t:Asset {provider: 'gcp'}) RETURN s.id AS src, t.name AS dst, r.level AS level, "
        "r.actions AS actions")}
    cards = est.sa_name(est.CARDS_SA)
    assert access[(cards, "shop-cards")]["actions"] == ["storage.objects.get", "storage.objects.list"]
    assert ("internet", "shop-assets") in access
    # allUsers on the pci bucket, but public access prevention is enforced; roles/viewer reads no objects
    assert ("internet", "shop-cards") not in access
    assert not [k for k in access if k[0] == est.sa_name(est.BLOG_SA)]


def test_escalation_methods_and_near_misses(estate, _session_graph):
    edges = {(r["src"], r["method"]) for r in _session_graph.read(
        "MATCH (s)-[r:CAN_ESCALATE_TO]->(t:GCPServiceAccount {email: $e}) RETURN s.name AS src, r.method AS method",
        e=est.DEPLOY_SA)}
    assert ("user:alice@example.com", "iam.serviceAccounts.getAccessToken") in edges
    assert ("user:alice@example.com", "iam.serviceAccounts.signJwt") in edges
    assert ("user:erin@example.com", "iam.serviceAccountKeys.create") in edges
    assert ("user:carol@example.com", "iam.serviceAccounts.actAs+compute.instances.create") in edges
    assert not {m for s, m in edges if s in ("user:bob@example.com", "user:dave@example.com")}  # near-misses


def test_bad_file_names_file_line_and_field(tmp_path, neo4j_env, _session_graph):
    bad = tmp_path / "bad.json"
    bad.write_text(json.dumps({"name": "//x", "asset_type": "a"}) + "\n" + json.dumps({"name": "//y"}) + "\n")
    with pytest.raises(GCPInputError, match=r"bad.json line 2: field 'asset_type'"):
        read_export(bad)
    before = _session_graph.read("MATCH (n) RETURN count(n) AS n")
    proc = run_cli(dict(neo4j_env), "load", "gcp", "--export", str(bad))
    assert proc.returncode != 0 and "bad.json line 2: field 'asset_type'" in proc.stderr
    assert _session_graph.read("MATCH (n) RETURN count(n) AS n") == before


def test_firewall_priority_deny_and_disabled():
    allow = FwRule("a", priority=1000, permissions=(("tcp", ("22",)),), sources=("0.0.0.0/0",))
    deny = FwRule("d", action="deny", priority=1000, permissions=(("tcp", ("22",)),), sources=("0.0.0.0/0",))
    assert internet_ingress([allow], set(), set())[0] == ["22"]
    assert internet_ingress([allow, deny], set(), set())[0] == []  # deny wins at equal priority
    lower_deny = FwRule("d", action="deny", priority=1001, permissions=(("tcp", ("22",)),), sources=("0.0.0.0/0",))
    assert internet_ingress([allow, lower_deny], set(), set())[0] == ["22"]
    off = FwRule("a", disabled=True, permissions=(("tcp", ("22",)),), sources=("0.0.0.0/0",))
    assert internet_ingress([off], set(), set())[0] == []
    private = FwRule("a", permissions=(("tcp", ("22",)),), sources=("10.0.0.0/8",))
    assert internet_ingress([private], set(), set())[0] == []
    tagged = FwRule("a", permissions=(("tcp", ("22",)),), sources=("0.0.0.0/0",), target_tags=("ssh",))
    assert internet_ingress([tagged], {"web"}, set())[0] == [] and internet_ingress([tagged], {"ssh"}, set())[0]
    assert escalation_methods({"iam.serviceAccounts.actAs"}) == []


def test_predefined_roles_are_well_formed():
    assert RETRIEVED and len(ROLES) >= 15
    for role, perms in ROLES.items():
        assert role.startswith("roles/") and perms, role
        assert all(p == "*" or (p.count(".") >= 2 and " " not in p) for p in perms), role
