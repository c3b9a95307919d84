"""`cloudmap load azure`: Resource Graph exports and the live Resource Graph API (a local HTTP server
speaking its REST shape) through the real CLI into a real Neo4j."""

from __future__ import annotations

import json
from http.server import BaseHTTPRequestHandler

import pytest

from tests.fixtures.azure import build_exports as est
from tests.helpers import assert_nowhere, cli_json, graph_text, local_http, run_cli, send_json

pytestmark = pytest.mark.neo4j


def low(rid: str) -> str:
    return rid.lower()


def load(cli_env, *paths, extra=()):
    args = ["load", "azure", *[a for p in paths for a in ("--export", str(p))], "--format", "json", *extra]
    return cli_json(cli_env, *args)


def one(graph, query, **params):
    rows = graph.read(query, **params)
    assert len(rows) == 1, rows
    return rows[0]


def neighbours(graph, node_id):
    return {(r["dir"], r["type"], r["other"]) for r in graph.read(
        "MATCH (n:Asset {id: $id})-[r]-(o) WHERE NOT type(r) STARTS WITH 'CAN_' "
        "RETURN CASE WHEN startNode(r) = n THEN 'out' ELSE 'in' END AS dir, type(r) AS type, o.id AS other",
        id=node_id)}


@pytest.fixture(scope="module")
def exports(tmp_path_factory):
    return est.write(tmp_path_factory.mktemp("azure"))


@pytest.fixture
def loaded(graph, cli_env, exports):
    summary = load(cli_env, *exports)
    assert summary["status"] == "success", summary
    return summary


def test_public_vm_with_rdp_open_and_identity_reading_pci_container(graph, loaded):
    vm, nic, pip, nsg = low(est.WEB_VM), low(est.WEB_NIC), low(est.PIP_WEB), low(est.NSG_WEB)
    row = one(graph, "MATCH (v:AzureVM {id: $id}) RETURN labels(v) AS labels, v.os AS os, v.state AS state, "
                     "v.account_id AS account, v.region AS region", id=vm)
    assert row == {"labels": ["Asset", "VirtualMachine", "AzureVM"], "os": "windows", "state": "running",
                   "account": est.SUB, "region": "westeurope"}
    system = vm + "/identities/system"
    assert neighbours(graph, vm) == {
        ("in", "CONTAINS", low(est.RG_WEB)), ("in", "ATTACHED_TO", nic), ("in", "ROUTES_TO", low(est.LB)),
        ("out", "USES_IDENTITY", system), ("out", "HAS_VULNERABILITY", "CVE-2021-44228")}
    assert neighbours(graph, nic) == {
        ("in", "CONTAINS", low(est.RG_WEB)), ("out", "ATTACHED_TO", vm), ("in", "ATTACHED_TO", pip),
        ("in", "APPLIES_TO", nsg), ("out", "IN_SUBNET", low(est.SUBNET_WEB)), ("out", "MEMBER_OF", low(est.ASG_FRONT))}
    assert one(graph, "MATCH (p:PublicIP {id: $id}) RETURN p.ip AS ip", id=pip) == {"ip": "20.61.12.34"}

    rules = graph.read("MATCH (:AzureNSG {id: $id})-[:HAS_RULE]->(r:FirewallRule) RETURN r.name AS name, "
                       "r.direction AS dir, r.action AS action, r.protocol AS proto, r.ports AS ports, "
                       "r.sources AS sources, r.priority AS priority, r.default AS default ORDER BY name", id=nsg)
    assert len(rules) == 8
    rdp = next(r for r in rules if r["name"] == "allow-rdp-internet")
    assert rdp == {"name": "allow-rdp-internet", "dir": "inbound", "action": "allow", "proto": "tcp", "ports": ["3389"],
                   "sources": ["Internet"], "priority": 300, "default": False}
    asg_rule = one(graph, "MATCH (r:AzureNSGRule)-[:ALLOWS_FROM]->(a:SecurityGroup) RETURN r.name AS rule, a.id AS asg")
    assert asg_rule == {"rule": "allow-https-frontends", "asg": low(est.ASG_FRONT)}

    ident = one(graph, "MATCH (:AzureVM {id: $vm})-[u:USES_IDENTITY]->(i:ManagedIdentity) RETURN u.via AS via, "
                       "i.id AS id, i.principal_id AS pid, i.assignment AS assignment", vm=vm)
    assert ident == {"via": "managed-identity", "id": system, "pid": est.WEB_VM_PRINCIPAL, "assignment": "system"}
    grant = one(graph, "MATCH (i:Identity {id: $id})<-[:ASSIGNED_TO]-(ra:RoleAssignment)-[:GRANTS]->(d:RoleDefinition), "
                       "(ra)-[:AT_SCOPE]->(s) RETURN d.role_name AS role, d.data_actions AS data, s.id AS scope, "
                       "labels(s) AS labels", id=system)
    assert grant == {"role": "Storage Blob Data Reader", "scope": low(est.STORAGE),
                     "data": ["Microsoft.Storage/storageAccounts/blobServices/containers/blobs/read"],
                     "labels": ["Asset", "DataStore", "StorageAccount", "AzureStorageAccount"]}
    container = one(graph, "MATCH (a:StorageAccount {id: $sa})-[:CONTAINS]->(c:Bucket)-[s:STORES]->(t:SensitiveInfoType) "
                           "RETURN c.id AS id, c.public_access AS access, c.critical AS critical, t.id AS type, "
                           "s.source AS source, a.allow_blob_public_access AS blob_public, "
                           "a.allow_shared_key_access AS shared_key, a.network_default_action AS default_action",
                    sa=low(est.STORAGE))
    assert container == {"id": low(est.CONTAINER), "access": "none", "critical": True, "type": "pci:tagged",
                         "source": "tag", "blob_public": False, "shared_key": True, "default_action": "Allow"}
    vuln = one(graph, "MATCH (:AzureVM {id: $vm})-[h:HAS_VULNERABILITY]->(v:Vulnerability) RETURN v.id AS id, "
                      "v.severity AS severity, v.cvss_score AS cvss, h.source AS source, h.package AS package, "
                      "h.installed_version AS version", vm=vm)
    assert vuln == {"id": "CVE-2021-44228", "severity": "critical", "cvss": 10.0, "source": "defender",
                    "package": "log4j", "version": "2.14.1"}
    lb = one(graph, "MATCH (p:PublicIP)-[:ATTACHED_TO]->(lb:LoadBalancer)-[r:ROUTES_TO]->(:AzureVM {id: $vm}) "
                    "RETURN lb.scheme AS scheme, r.ports AS ports, r.backend_ports AS backend, p.ip AS ip", vm=vm)
    assert lb == {"scheme": "internet-facing", "ports": ["443"], "backend": ["8443"], "ip": "20.61.12.35"}


def test_isolated_vm_has_only_default_rules(graph, loaded):
    vm, nic = low(est.APP_VM), low(est.APP_NIC)
    assert one(graph, "MATCH (v:AzureVM {id: $id}) RETURN v.os AS os, v.state AS state", id=vm) == \
        {"os": "linux", "state": "deallocated"}
    assert neighbours(graph, nic) == {("in", "CONTAINS", low(est.RG_WEB)), ("out", "ATTACHED_TO", vm),
                                      ("out", "IN_SUBNET", low(est.SUBNET_APP))}
    assert neighbours(graph, low(est.SUBNET_APP)) == {("in", "CONTAINS", low(est.VNET)), ("in", "IN_SUBNET", nic),
                                                      ("in", "APPLIES_TO", low(est.NSG_APP))}
    rules = graph.read("MATCH (:AzureNSG {id: $id})-[:HAS_RULE]->(r) RETURN r.id AS id, r.name AS name, r.priority AS p, "
                       "r.direction AS d, r.action AS a, r.sources AS s, r.destinations AS t, r.default AS default "
                       "ORDER BY d, p", id=low(est.NSG_APP))
    assert [(r["name"], r["p"], r["d"], r["a"], r["s"], r["t"], r["default"]) for r in rules] == [
        ("AllowVnetInBound", 65000, "inbound", "allow", ["VirtualNetwork"], ["VirtualNetwork"], True),
        ("AllowAzureLoadBalancerInBound", 65001, "inbound", "allow", ["AzureLoadBalancer"], ["*"], True),
        ("DenyAllInBound", 65500, "inbound", "deny", ["*"], ["*"], True),
        ("AllowVnetOutBound", 65000, "outbound", "allow", ["VirtualNetwork"], ["VirtualNetwork"], True),
        ("AllowInternetOutBound", 65001, "outbound", "allow", ["*"], ["Internet"], True),
        ("DenyAllOutBound", 65500, "outbound", "deny", ["*"], ["*"], True)]
    assert rules[0]["id"] == low(est.NSG_APP) + "/defaultsecurityrules/allowvnetinbound"
    # the same default rules read from the export (nsg-web) and added by the loader (nsg-app) look alike
    assert graph.read("MATCH (:AzureNSG {id: $id})-[:HAS_RULE]->(r {default: true}) RETURN count(r) AS n",
                      id=low(est.NSG_WEB)) == [{"n": 6}]


def test_key_vault_through_subscription_wide_assignment(graph, loaded):
    row = one(graph, "MATCH (w:AzureWebApp)-[:USES_IDENTITY]->(i:ManagedIdentity)<-[:ASSIGNED_TO]-(ra:RoleAssignment)"
                     "-[:GRANTS]->(d:RoleDefinition), (ra)-[:AT_SCOPE]->(s:Account)-[:CONTAINS]->(:ResourceGroup)"
                     "-[:CONTAINS]->(kv:KeyVault) RETURN w.id AS app, i.id AS identity, d.role_name AS role, "
                     "d.data_actions AS data, d.role_type AS type, s.id AS scope, kv.id AS vault, "
                     "kv.rbac_authorization AS rbac, labels(kv) AS labels, ra.role_name AS ra_role")
    # labels() lists labels in the order the database first saw them, which depends on earlier tests
    row["labels"] = sorted(row["labels"])
    assert row == {"app": low(est.WEB_APP), "identity": low(est.APP_IDENTITY), "role": "Key Vault Secrets User",
                   "data": ["Microsoft.KeyVault/vaults/secrets/getSecret/action",
                            "Microsoft.KeyVault/vaults/secrets/readMetadata/action"], "type": "BuiltInRole",
                   "scope": low(est.SUB_ID), "vault": low(est.VAULT), "rbac": True, "ra_role": "Key Vault Secrets User",
                   "labels": sorted(["Asset", "KeyVault", "Secret", "Key", "AzureKeyVault"])}
    app = one(graph, "MATCH (w:Function {id: $id})-[:RUNS_IMAGE]->(img:ContainerImage) RETURN w.public AS public, "
                     "img.id AS image, img.registry AS registry", id=low(est.WEB_APP))
    assert app == {"public": True, "image": "contoso.azurecr.io/shop:1.4", "registry": "contoso.azurecr.io"}
    owner = one(graph, "MATCH (ra:RoleAssignment {role_name: 'Owner'})-[:ASSIGNED_TO]->(u) RETURN labels(u) AS labels, "
                       "u.id AS id, u.principal_id AS pid")
    assert owner == {"labels": ["Asset", "Identity", "User", "EntraUser"], "id": f"entra:{est.ADMIN_USER}",
                     "pid": est.ADMIN_USER}


def test_containment_aks_sql_and_casing(graph, loaded):
    chain = one(graph, "MATCH p = (:ManagementGroup {display_name: 'Tenant Root Group'})-[:CONTAINS]->"
                       "(:ManagementGroup {name: 'Production'})-[:CONTAINS]->(s:Account)-[:CONTAINS]->(rg:ResourceGroup)"
                       "-[:CONTAINS]->(:AzureVM {id: $vm}) RETURN s.name AS sub, rg.id AS rg, rg.name AS rg_name",
                    vm=low(est.WEB_VM))
    assert chain == {"sub": "contoso-prod", "rg": low(est.RG_WEB), "rg_name": "RG-Web"}
    aks = one(graph, "MATCH (c:Cluster {id: $id})-[:USES_IDENTITY]->(k:ManagedIdentity {assignment: 'user'}) "
                     "RETURN c.endpoint_public AS public, c.public_cidrs AS cidrs, k.id AS kubelet, "
                     "k.principal_id AS pid", id=low(est.AKS))
    assert aks == {"public": True, "cidrs": [], "kubelet": low(est.KUBELET_IDENTITY), "pid": est.KUBELET_PRINCIPAL}
    sql = one(graph, "MATCH (s:AzureSQLServer)-[:CONTAINS]->(d:Database) RETURN s.firewall_allows_all AS all_ips, "
                     "s.allow_azure_services AS azure, s.password_auth AS pw, s.publicly_accessible AS public, "
                     "s.firewall_ranges AS ranges, d.publicly_accessible AS db_public, d.password_auth AS db_pw")
    assert sql == {"all_ips": True, "azure": True, "pw": True, "public": True, "db_public": True, "db_pw": True,
                   "ranges": ["0.0.0.0-0.0.0.0", "0.0.0.0-255.255.255.255"]}
    cosmos = one(graph, "MATCH (c:AzureCosmosDB) RETURN c.publicly_accessible AS public, c.password_auth AS pw")
    assert cosmos == {"public": False, "pw": False}
    # RG-Web (containers.json) / rg-web (resources.json), STCardHolder in the role assignment: one node each
    assert one(graph, "MATCH (n:ResourceGroup) RETURN count(n) AS n") == {"n": 2}
    assert one(graph, "MATCH (n:StorageAccount) RETURN count(n) AS n") == {"n": 1}
    assert one(graph, "MATCH (n:Asset {provider: 'azure'}) WHERE n.id <> toLower(n.id) RETURN count(n) AS n") == {"n": 0}
    assert one(graph, "MATCH (n:Asset) WHERE n.id CONTAINS 'shop-insights' RETURN count(n) AS n") == {"n": 0}


def test_reload_without_a_resource_removes_it_and_keeps_the_rest(graph, cli_env, loaded, tmp_path):
    gone = {low(est.APP_VM), low(est.APP_NIC)}
    tables = {"resources": [r for r in est.resources() if low(r["id"]) not in gone], "containers": est.containers(),
              "authorization": est.authorization(), "security": est.security()}
    summary = load(cli_env, *est.write(tmp_path, tables))
    assert summary["status"] == "success" and summary["removed"]["nodes"] == 2
    assert graph.read("MATCH (n:Asset) WHERE n.id IN $ids RETURN n.id AS id", ids=list(gone)) == []
    assert one(graph, "MATCH (v:AzureVM) RETURN v.id AS id") == {"id": low(est.WEB_VM)}
    assert one(graph, "MATCH (ra:RoleAssignment) RETURN count(ra) AS n") == {"n": 3}
    assert one(graph, "MATCH (d:RoleDefinition) RETURN count(d) AS n") == {"n": 3}


def test_malformed_export_is_one_error_and_the_graph_is_unchanged(graph, cli_env, loaded, exports, tmp_path):
    before = one(graph, "MATCH (n) WITH count(n) AS nodes MATCH ()-[r]->() RETURN nodes, count(r) AS rels")
    rows = est.resources()
    rows[3]["properties"] = ["not", "an", "object"]
    bad = est.write(tmp_path, {"resources": rows})[0]
    proc = run_cli(cli_env, "load", "azure", "--export", str(exports[1]), "--export", str(bad))
    assert proc.returncode == 1
    assert f"{bad} row 3" in proc.stderr and "field 'properties' must be an object" in proc.stderr
    assert proc.stderr.count("error:") == 1 and "Traceback" not in proc.stderr
    not_json = tmp_path / "broken.json"
    not_json.write_text('{"data": [')
    proc = run_cli(cli_env, "load", "azure", "--export", str(not_json))
    assert proc.returncode == 1 and "broken.json: not valid JSON" in proc.stderr
    assert one(graph, "MATCH (n) WITH count(n) AS nodes MATCH ()-[r]->() RETURN nodes, count(r) AS rels") == before


class ResourceGraphServer(BaseHTTPRequestHandler):
    """POST /providers/Microsoft.ResourceGraph/resources: the fixture rows by table, PAGE rows a page;
    POST <site>/config/<section>/list: ``settings[(site, section)]`` (none by default), or 403 for
    the (site, section) pairs in ``refused``."""
    PAGE = 7
    tables = {"resources": est.resources, "resourcecontainers": est.containers,
              "authorizationresources": est.authorization, "securityresources": est.security}
    requests: list = []
    settings: dict = {}
    refused: set = set()

    def do_POST(self):
        length = int(self.headers.get("Content-Length") or 0)
        body = json.loads(self.rfile.read(length)) if length else None
        self.requests.append({"path": self.path, "auth": self.headers.get("Authorization"), "body": body})
        if "/config/" in self.path:
            site, _, rest = self.path.partition("/config/")
            key = (site, rest.split("/")[0])
            if key in self.refused:
                return self._answer(403, {"error": {"code": "AuthorizationFailed", "message": "no list action"}})
            return self._answer(200, {"id": f"{site}/config/{key[1]}", "name": key[1],
                                      "properties": self.settings.get(key, {})})
        rows = self.tables[body["query"].split()[0].lower()]()
        start = int((body.get("options") or {}).get("$skipToken") or 0)
        page = rows[start:start + self.PAGE]
        result = {"totalRecords": len(rows), "count": len(page), "resultTruncated": "false", "facets": [],
                  "data": page}
        if start + self.PAGE < len(rows):
            result["$skipToken"] = str(start + self.PAGE)
        self._answer(200, result)

    def _answer(self, status: int, result: dict) -> None:
        send_json(self, status, result)

    def log_message(self, *args):
        pass


@pytest.fixture
def resource_graph_server():
    ResourceGraphServer.requests, ResourceGraphServer.settings, ResourceGraphServer.refused = [], {}, set()
    with local_http(ResourceGraphServer) as url:
        yield url, ResourceGraphServer.requests


def test_live_resource_graph_with_paging(graph, cli_env, resource_graph_server):
    url, requests = resource_graph_server
    token = "test-arm-token-not-a-secret"
    env = {**cli_env, "CLOUDMAP_AZURE_ACCESS_TOKEN": token}
    proc = run_cli(env, "load", "azure", "--subscription", est.SUB, "--endpoint", url, "--format", "json")
    assert proc.returncode == 0, proc.stderr + proc.stdout
    assert token not in proc.stdout + proc.stderr
    summary = json.loads(proc.stdout)
    assert summary["status"] == "success" and summary["skipped_types"] == {"microsoft.insights/components": 1}
    graph_requests = [r for r in requests if "/config/" not in r["path"]]
    assert all(r["path"].startswith("/providers/Microsoft.ResourceGraph/resources?api-version=") for r in graph_requests)
    assert sorted(r["path"].split("?")[0] for r in requests if "/config/" in r["path"]) == [
        f"{est.WEB_APP}/config/{s}/list" for s in ("appsettings", "connectionstrings")]
    assert {r["auth"] for r in requests} == {f"Bearer {token}"}
    resource_pages = [r["body"] for r in graph_requests if r["body"]["query"].startswith("resources ")]
    assert len(resource_pages) == -(-len(est.resources()) // ResourceGraphServer.PAGE) >= 2
    assert [p["options"].get("$skipToken") for p in resource_pages[:2]] == [None, "7"]
    assert all(p["subscriptions"] == [est.SUB] for p in resource_pages)
    assert one(graph, "MATCH (n:AzureVM) RETURN count(n) AS n") == {"n": 2}
    assert one(graph, "MATCH (:AzureNSG)-[:HAS_RULE]->(r) RETURN count(r) AS n") == {"n": 14}
    assert one(graph, "MATCH (:AzureVM)-[h:HAS_VULNERABILITY]->(v) RETURN v.id AS id") == {"id": "CVE-2021-44228"}


def test_plain_http_endpoint_must_be_loopback(cli_env):
    proc = run_cli({**cli_env, "CLOUDMAP_AZURE_ACCESS_TOKEN": "x"}, "load", "azure", "--endpoint", "http://example.com")
    assert proc.returncode == 1 and "must be an https URL" in proc.stderr


def test_live_app_service_settings_become_credential_paths(graph, cli_env, resource_graph_server, neo4j_logs):
    """The web app's connection string holds the PCI storage account's key (built here); its app
    settings hold only a Key Vault reference and plain values (the decoy). The Owner who may list the
    settings, and the app itself, reach the account. A reload where ARM refuses the listing keeps them."""
    url, requests = resource_graph_server
    account_key = "".join(("Qm", "Fy" * 30, "==")) + "0aZ" * 2
    conn = f"DefaultEndpointsProtocol=https;AccountName=stcardholder;AccountKey={account_key};EndpointSuffix=core.windows.net"
    ResourceGraphServer.settings = {
        (est.WEB_APP, "connectionstrings"): {"Cards": {"value": conn, "type": "Custom"}},
        (est.WEB_APP, "appsettings"): {"THEME": "dark", "WEBSITE_RUN_FROM_PACKAGE": "1",
                                       "STORAGE_KEY": "@Microsoft.KeyVault(SecretUri=https://kv-prod.vault.azure.net/secrets/k)"}}
    env = {**cli_env, "CLOUDMAP_AZURE_ACCESS_TOKEN": "test-arm-token-not-a-secret"}
    args = ("load", "azure", "--subscription", est.SUB, "--endpoint", url, "--format", "json")
    proc = run_cli(env, *args)
    assert proc.returncode == 0, proc.stderr + proc.stdout
    assert json.loads(proc.stdout)["status"] == "success"
    analysis = run_cli(env, "analyze", "--format", "json")
    assert analysis.returncode == 0, analysis.stderr
    findings = cli_json(env, "findings", "--rule", "CM-CRED-003", "--format", "json")
    findings = findings["findings"] if isinstance(findings, dict) else findings
    assert {(f["entry"]["id"], f["target"]["id"], f["level"]) for f in findings} == {
        (low(est.WEB_APP), low(est.STORAGE), "high")}   # the account holds the PCI container
    held = one(graph, "MATCH (w {id: $w})-[h:HOLDS_CREDENTIAL]->(c:Credential) "
                      "RETURN c.kind AS kind, c.account AS account, h.where AS where, h.location AS location, "
                      "c.fingerprint AS fingerprint", w=low(est.WEB_APP))
    assert held["kind"] == "azure-storage-key" and held["account"] == "stcardholder"
    assert held["where"] == ["connection string Cards"] and held["location"] == "app-service-connection-strings"
    users = {r["s"] for r in graph.read("MATCH (s)-[r:CAN_ACCESS {derived_by: 'config-credentials'}]->({id: $t}) "
                                        "RETURN s.id AS s", t=low(est.STORAGE))}
    assert low(est.WEB_APP) in users and any(est.ADMIN_USER in s for s in users), users
    outputs = proc.stdout + proc.stderr + analysis.stdout + analysis.stderr + json.dumps(findings)
    assert_nowhere([account_key], graph=graph_text(graph), output=outputs, logs=neo4j_logs() if neo4j_logs else "")

    # ARM refuses the listing now: the load is partial and the site keeps what it held.
    ResourceGraphServer.refused = {(est.WEB_APP, "connectionstrings")}
    proc = run_cli(env, *args)
    assert proc.returncode == 1, proc.stderr + proc.stdout   # partial
    summary = json.loads(proc.stdout)
    assert summary["status"] == "partial" and "AppServiceSettings" in summary["tables_failed"], summary
    assert one(graph, "MATCH ({id: $w})-[:HOLDS_CREDENTIAL]->(c) RETURN c.fingerprint AS f",
               w=low(est.WEB_APP)) == {"f": held["fingerprint"]}
    # answered again without the connection string: the holding is gone
    ResourceGraphServer.refused, ResourceGraphServer.settings = set(), {}
    assert json.loads(run_cli(env, *args).stdout)["status"] == "success"
    assert graph.read("MATCH ({id: $w})-[:HOLDS_CREDENTIAL]->() RETURN 1", w=low(est.WEB_APP)) == []


def test_live_tables_paged_at_once_give_the_serial_graph(graph, cli_env, resource_graph_server):
    """`--max-workers 4` pages the four Resource Graph tables at once; the graph is the one that
    `--max-workers 1` (one table after another) writes."""
    from tests.graph_snapshot import graph_snapshot

    url, requests = resource_graph_server
    env = {**cli_env, "CLOUDMAP_AZURE_ACCESS_TOKEN": "test-arm-token-not-a-secret"}
    summaries, snapshots = [], []
    for workers in ("1", "4"):
        graph.run_autocommit("MATCH (n) WHERE NOT n:SchemaVersion CALL (n) { DETACH DELETE n } IN TRANSACTIONS")
        requests.clear()
        proc = run_cli(env, "load", "azure", "--subscription", est.SUB, "--endpoint", url, "--max-workers", workers,
                       "--format", "json")
        assert proc.returncode == 0, proc.stderr + proc.stdout
        summaries.append(json.loads(proc.stdout))
        snapshots.append(graph_snapshot(graph))
        assert len({r["body"]["query"].split(" ", 1)[0] for r in requests if r["body"] and "query" in r["body"]}) == 4
    assert summaries[0]["status"] == summaries[1]["status"] == "success"
    assert summaries[0]["written"] == summaries[1]["written"] and summaries[1]["written"]
    assert snapshots[0] == snapshots[1] and snapshots[0]["nodes"]
