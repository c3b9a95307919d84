"""`cloudmap load gcp`: Cloud Asset Inventory exports through the real CLI into a real Neo4j, then the
engine's GCP derivations and the rules."""

from __future__ import annotations

import json
from http.server import BaseHTTPRequestHandler
from pathlib import Path
from urllib.parse import parse_qs, urlparse

import pytest
from cloudmap.loaders.gcp.exports import GCPInputError, read_export
from cloudmap.loaders.gcp.live import GCPAccessError, fetch
from cloudmap.loaders.gcp.load import load_live
from cloudmap.loaders.gcp.transform import HANDLED_TYPES
from google.auth.credentials import AnonymousCredentials

from cloudmap.engine.gcp_firewall import FwRule, internet_ingress
from cloudmap.engine.gcp_iam import escalation_methods
from cloudmap.rules.scoring import level_rank
from tests.conftest import wipe
from tests.fixtures.gcp import build_exports as est
from tests.helpers import cli_json, local_http, run_cli, send_json

pytestmark = pytest.mark.neo4j

GRAPH_SHAPE = ("MATCH (n:Asset {provider: 'gcp'}) OPTIONAL MATCH (n)-[r]->(m) WHERE NOT type(r) STARTS WITH 'CAN_' "
               "WITH n, r, m ORDER BY type(r), m.id "   # collect in a fixed order: every form lists the same edges
               "RETURN n.id AS id, labels(n) AS labels, properties(n) AS props, "
               "collect(DISTINCT [type(r), m.id]) AS out ORDER BY id")
_PER_LOAD = ("sync_id", "first_seen", "last_seen")
E2E = Path(__file__).parent / "fixtures" / "e2e"
DEMO_DATA = Path(__file__).parents[1] / "cloudmap" / "demo" / "data"


def shape(graph) -> list[dict]:
    """Every GCP asset with its labels, properties (less what each load stamps) and raw edges."""
    return [{**r, "props": {k: v for k, v in r["props"].items() if k not in _PER_LOAD}} for r in graph.read(GRAPH_SHAPE)]


def _load(env, paths):
    return cli_json(env, "load", "gcp", *[a for p in paths for a in ("--export", str(p))], "--format", "json")


def scan(env, tmp: Path, vm: str, fixture: str) -> None:
    """Loads the e2e Trivy host report ``fixture`` as the scan of ``vm`` (a newer scan of a VM replaces its last)."""
    report = json.loads((E2E / f"trivy-{fixture}-host.json").read_text())
    report["ArtifactName"] = vm
    (tmp / f"{vm}.json").write_text(json.dumps(report))
    assert run_cli(env, "load", "trivy", str(tmp / f"{vm}.json"), "--asset", est.VM[vm]).returncode == 0


@pytest.fixture(scope="module")
def estate(_session_graph, neo4j_env, tmp_path_factory):
    env = dict(neo4j_env)
    tmp = tmp_path_factory.mktemp("gcp")
    files = est.write(tmp)
    shapes = {}
    for form in ("list", "search", "export"):
        wipe(_session_graph)
        summary = _load(env, files[form])
        assert summary["status"] == "success", summary
        shapes[form] = shape(_session_graph)
    # as the seed's scans: Log4Shell (in CISA KEV) on both exposed VMs, curl on the isolated worker
    for vm, fixture in (("web-cards", "log4shell"), ("web-blog", "log4shell"), ("worker", "curl")):
        scan(env, tmp, vm, fixture)
    assert run_cli(env, "load", "kev", str(DEMO_DATA / "kev.json")).returncode == 0
    analysis = cli_json(env, "analyze", "--format", "json")
    assert "failed" not in json.dumps(analysis.get("derive", analysis)), analysis
    findings = cli_json(env, "findings", "--format", "json", "--status", "open")
    yield env, files, shapes, findings
    wipe(_session_graph)


def one(graph, query, **params):
    rows = graph.read(query, **params)
    assert len(rows) == 1, rows
    return rows[0]


def test_every_export_form_gives_the_same_graph(estate):
    _, _, shapes, _ = estate
    assert shapes["list"] == shapes["export"] and shapes["search"] == shapes["export"]
    assert len(shapes["export"]) > 20
    binding = f"{est.sa_name(est.DEPLOY_SA)}#iam/roles/iam.serviceAccountUser"  # one search result per member
    assert next(r["props"]["members"] for r in shapes["search"] if r["id"] == binding) == [
        f"user:{u}@example.com" for u in ("bob", "carol", "frank", "grace")]


def _level(findings, vm_id):
    levels = [f["level"] for f in findings if vm_id in (f["entry"]["id"], f["target"]["id"])]
    return max(levels, key=level_rank) if levels else "none"


def test_the_seed_cases_get_their_levels(estate):
    _, _, _, findings = estate
    levels = {name: _level(findings, est.VM[name]) for name in ("web-cards", "web-blog", "worker")}
    assert levels == {"web-cards": "critical", "web-blog": "medium", "worker": "low"}, levels
    cards = max((f for f in findings if f["entry"]["id"] == est.VM["web-cards"] and f["target"]["id"] == est.PCI_BUCKET),
                key=lambda f: level_rank(f["level"]))
    assert cards["level"] == "critical" and "CVE-2021-44228" in json.dumps(cards)
    assert est.sa_name(est.CARDS_SA) in json.dumps(cards["path"])  # through the service account, across projects
    assert not [f for f in findings if f["entry"]["id"] == est.VM["web-blog"] and "DataStore" in json.dumps(f)
                and f["target"]["id"] == est.PCI_BUCKET]


def test_public_bucket_and_exposed_cloud_sql_findings(estate):
    _, _, _, findings = estate
    targets = {(f["target"]["id"], f["rule_id"]) for f in findings}
    assert (est.PUBLIC_BUCKET, "CM-DATA-005") in targets, targets
    assert (est.SQL, "CM-DATA-001") in targets, targets  # reachable through 0.0.0.0/0, password logins
    assert not [f for f in findings if f["target"]["id"] == est.PCI_BUCKET and f["entry"]["id"] == "internet"]


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
    # the public Cloud Run service and function; internal-api takes internal traffic only
    assert set(reach) == {"web-cards", "web-blog", "orders", "api", "hook"}, reach
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
    assert not [k for k in access if k[0] == est.sa_name(est.BLOG_SA)]   # secret viewer reads no version
    assert access[(cards, "db-password")]["actions"] == ["secretmanager.versions.access"]
    assert access[(cards, "cards")]["actions"] == ["cloudkms.cryptoKeyVersions.useToDecrypt"]
    assert access[("internet", "analytics")]["actions"] == ["bigquery.tables.getData"]


def test_serverless_and_gke_kinds(estate, _session_graph):
    runs = {r["name"]: r for r in _session_graph.read(
        "MATCH (f:Function {provider: 'gcp'})-[u:USES_IDENTITY]->(s:GCPServiceAccount) "
        "RETURN f.name AS name, labels(f) AS labels, f.ingress AS ingress, s.email AS sa, u.via AS via")}
    assert {n: (r["ingress"], r["sa"], r["via"]) for n, r in runs.items()} == {
        "api": ("all", est.BLOG_SA, "cloud-run"), "internal-api": ("internal", est.BLOG_SA, "cloud-run"),
        "hook": ("all", est.BLOG_SA, "cloud-functions")}
    assert "GCPCloudFunction" in runs["hook"]["labels"] and "GCPCloudRunService" in runs["api"]["labels"]
    gke = one(_session_graph, "MATCH (c:Cluster:GCPGKECluster)-[:USES_IDENTITY]->(s) RETURN c.public_endpoint AS pub, "
              "c.authorized_networks AS nets, c.workload_identity AS wi, c.node_service_account AS node, s.email AS sa")
    assert gke == {"pub": True, "nets": ["203.0.113.0/24"], "wi": True, "node": est.BLOG_SA, "sa": est.BLOG_SA}
    kinds = {tuple(sorted(r["l"])) for r in _session_graph.read(
        "MATCH (n {provider: 'gcp'}) WHERE n:GCPBigQueryDataset OR n:GCPSecret OR n:GCPCryptoKey "
        "RETURN [l IN labels(n) WHERE l <> 'Asset'] AS l")}
    assert kinds == {("DataStore", "Database", "GCPBigQueryDataset"), ("GCPSecret", "Secret"), ("GCPCryptoKey", "Key")}


def test_escalation_methods_and_near_misses(estate, _session_graph):
    edges: dict[str, set] = {}
    for r in _session_graph.read("MATCH (s:GCPPrincipal)-[r:CAN_ESCALATE_TO]->(t) "
                                 "RETURN s.name AS src, r.method AS method, t.name AS target"):
        edges.setdefault(r["src"].removeprefix("user:").split("@")[0], set()).add((r["method"], r["target"]))
    deployer, cards, blog = est.DEPLOY_SA, est.CARDS_SA, est.BLOG_SA
    act = "iam.serviceAccounts.actAs+"
    assert edges.pop("alice") == {(f"iam.serviceAccounts.{m}", deployer)
                                  for m in ("getAccessToken", "signBlob", "signJwt", "implicitDelegation")}
    assert edges.pop("erin") == {("iam.serviceAccountKeys.create", deployer)}
    assert edges.pop("mallory") == {("iam.serviceAccounts.setIamPolicy", deployer)}
    # instanceAdmin on the project: instances it may create and re-point, and the metadata of every instance
    assert edges.pop("carol") == {(act + "compute.instances.create", deployer),
                                  (act + "compute.instances.setServiceAccount", deployer),
                                  ("compute.instances.setMetadata", cards), ("compute.instances.setMetadata", blog)}
    assert edges.pop("frank") == {(act + "cloudfunctions.functions.create", deployer)}
    assert edges.pop("grace") == {(act + "run.services.create", deployer)}
    assert edges.pop("ivan") == {("resourcemanager.projects.setIamPolicy", est.APP_ID)}
    assert edges.pop("judy") == {("resourcemanager.folders.setIamPolicy", "shop")}
    assert edges.pop("ken") == {("resourcemanager.organizations.setIamPolicy", "example.com"),
                                ("resourcemanager.folders.setIamPolicy", "shop"),
                                ("resourcemanager.projects.setIamPolicy", est.APP_ID),
                                ("resourcemanager.projects.setIamPolicy", est.DATA_ID)}
    assert edges.pop("larry") == {("iam.roles.update", est.APP_ID)}       # the custom role he holds there
    assert edges.pop("peggy") == {("compute.instances.setMetadata", blog)}  # ssh keys on web-blog
    assert edges.pop("rob") == {("deploymentmanager.deployments.create", est.DM_AGENT)}
    assert edges.pop("sam") == {("cloudbuild.builds.create", est.BUILD_AGENT)}
    # near-misses: bob (actAs only), dave (viewer), henry (functions without actAs), nina (may update roles but
    # holds no custom one), oscar (holds it, may not update it), quinn (metadata under OS Login, no restart),
    # tina (deployment and build viewer)
    assert edges == {}, edges
    assert escalation_methods({"iam.serviceAccounts.actAs"}) == []
    assert escalation_methods({"cloudfunctions.functions.create"}) == []


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


class CloudAssetServer(BaseHTTPRequestHandler):
    """The Cloud Asset REST API over the fixture estate: ``GET /v1/<parent>/assets`` (by asset type,
    ``contentType`` RESOURCE) and ``GET /v1/<scope>:searchAllIamPolicies``, PAGE items a page with
    ``nextPageToken``; 403 for the asset types in ``refused`` (``iam-policy``: the search)."""
    PAGE = 3
    requests: list = []
    refused: set = set()

    def do_GET(self):
        url = urlparse(self.path)
        query = parse_qs(url.query)
        self.requests.append({"path": url.path, "query": query})
        path = url.path.removeprefix("/v1/")
        if path.endswith(":searchAllIamPolicies"):
            parent = path.removesuffix(":searchAllIamPolicies")
            if "iam-policy" in self.refused:
                return send_json(self, 403, {"error": {"code": 403, "status": "PERMISSION_DENIED",
                                                       "message": "cloudasset.assets.searchAllIamPolicies denied"}})
            items = [r for a in est.policies() if parent in a["ancestors"] for r in est.search_policy(a)]
            key = "results"
        else:
            parent, types = path.removesuffix("/assets"), query.get("assetTypes", [])
            if set(types) & self.refused:
                return send_json(self, 403, {"error": {"code": 403, "status": "PERMISSION_DENIED",
                                                       "message": "cloudasset.assets.listResource denied"}})
            items = [est.camel(a) for a in est.resources() if a["asset_type"] in types and parent in a["ancestors"]]
            key = "assets"
        start = int(query.get("pageToken", ["0"])[0])
        body = {key: items[start:start + self.PAGE]}
        if start + self.PAGE < len(items):
            body["nextPageToken"] = str(start + self.PAGE)
        send_json(self, 200, body)

    def log_message(self, *args):
        pass


@pytest.fixture
def cloud_asset_server():
    CloudAssetServer.requests, CloudAssetServer.refused = [], set()
    with local_http(CloudAssetServer) as url:
        yield url


def test_the_exposed_vm_with_a_known_vulnerability_outside_kev_is_high(estate, tmp_path):
    """The seed's first case without KEV: a newer scan of web-cards finds a critical curl CVE that is
    not known to be exploited (and not RCE) instead of Log4Shell; its path to the pci bucket is high."""
    env = estate[0]
    scan(env, tmp_path, "web-cards", "curl")
    cli_json(env, "analyze", "--format", "json")
    findings = cli_json(env, "findings", "--format", "json", "--status", "open")
    cards = [f for f in findings if f["entry"]["id"] == est.VM["web-cards"] and f["target"]["id"] == est.PCI_BUCKET]
    assert cards and max((f["level"] for f in cards), key=level_rank) == "high", cards
    assert "CVE-2023-38545" in json.dumps(cards) and "CVE-2021-44228" not in json.dumps(cards)
    assert _level(findings, est.VM["web-blog"]) == "medium" and _level(findings, est.VM["worker"]) == "low"


def test_live_cloud_asset_api_gives_the_offline_graph(estate, _session_graph, cloud_asset_server):
    _, files, shapes, _ = estate
    wipe(_session_graph)
    summary = load_live(_session_graph, ["organizations/100"], cloud_asset_server, AnonymousCredentials())
    assert summary.status == "success", summary
    assert shape(_session_graph) == shapes["export"]
    lists = [r for r in CloudAssetServer.requests if r["path"].endswith("/assets")]
    assert {r["path"] for r in CloudAssetServer.requests} == {"/v1/organizations/100/assets",
                                                              "/v1/organizations/100:searchAllIamPolicies"}
    assert [r["query"].get("pageToken") for r in lists if r["query"]["assetTypes"] ==
            ["compute.googleapis.com/Instance"]] == [None, ["3"]]   # five instances, two pages
    assert len([r for r in CloudAssetServer.requests if "searchAllIamPolicies" in r["path"]]) >= 2


def test_live_refused_asset_type_keeps_its_previous_data(estate, _session_graph, cloud_asset_server):
    wipe(_session_graph)
    assert load_live(_session_graph, ["organizations/100"], cloud_asset_server,
                     AnonymousCredentials()).status == "success"
    buckets = "MATCH (b:GCPBucket) RETURN b.name AS name, b.sync_id AS sync ORDER BY name"
    before = _session_graph.read(buckets)
    CloudAssetServer.refused = {"storage.googleapis.com/Bucket"}
    summary = load_live(_session_graph, ["organizations/100"], cloud_asset_server, AnonymousCredentials())
    assert summary.status == "partial", summary
    assert list(summary.details["asset_types_failed"]) == ["organizations/100 storage.googleapis.com/Bucket"]
    assert "403" in summary.details["asset_types_failed"]["organizations/100 storage.googleapis.com/Bucket"]
    assert {"gcp/111", "gcp/222"} <= set(summary.scopes_failed)
    assert _session_graph.read(buckets) == before and len(before) == 2   # kept, from the earlier sync
    assert one(_session_graph, "MATCH (v:GCPInstance {name: 'web-cards'}) RETURN v.sync_id = $s AS fresh",
               s=summary.sync_id) == {"fresh": True}
    # every request refused: one clear error, nothing written
    CloudAssetServer.refused = {*HANDLED_TYPES, "iam-policy"}
    with pytest.raises(GCPAccessError):
        fetch(["projects/shop-app"], cloud_asset_server, AnonymousCredentials(), asset_types=list(HANDLED_TYPES))


def test_live_endpoint_must_be_https_or_loopback(neo4j_env):
    proc = run_cli(dict(neo4j_env), "load", "gcp", "--project", "shop-app", "--endpoint", "http://example.com")
    assert proc.returncode == 1 and "must be an https URL" in proc.stderr and "Traceback" not in proc.stderr
