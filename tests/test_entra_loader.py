"""`cloudmap load entra` on a Graph export tied to an Azure export, through the real CLI into a real
Neo4j: one node per principal, RBAC through (nested) groups, credentials' validity, directory
escalation, and the `az ad` form giving the same graph."""

from __future__ import annotations

import json
from http.server import BaseHTTPRequestHandler
from urllib.parse import parse_qs, urlencode, urlsplit

import pytest

from tests.fixtures.azure import build_exports as az
from tests.fixtures.entra import build_exports as est
from tests.helpers import cli_json, local_http, run_cli, send_json

pytestmark = pytest.mark.neo4j


def entra(cli_env, paths, *extra):
    return cli_json(cli_env, "load", "entra", *[a for p in paths for a in ("--export", str(p))],
                    "--tenant", est.TENANT, "--format", "json", *extra)


def azure(cli_env, tmp_path):
    paths = az.write(tmp_path / "azure", {"resources": az.resources(), "containers": az.containers(),
                                          "authorization": est.azure_authorization(), "security": az.security()})
    return cli_json(cli_env, "load", "azure", *[a for p in paths for a in ("--export", str(p))], "--format", "json")


def graph_shape(graph) -> tuple[set, set]:
    nodes = {(r["id"], tuple(sorted(r["labels"]))) for r in graph.read(
        "MATCH (n:Asset) WHERE n.provider = 'entra' RETURN n.id AS id, labels(n) AS labels")}
    rels = {(r["a"], r["t"], r["b"]) for r in graph.read(
        "MATCH (a)-[r]->(b) WHERE r.scope STARTS WITH 'entra/' RETURN a.id AS a, type(r) AS t, b.id AS b")}
    return nodes, rels


def oid(x: str) -> str:
    return f"entra:{x}"


def accesses(graph, source: str) -> set[str]:
    return {r["t"] for r in graph.read("MATCH (:Identity {id: $id})-[:CAN_ACCESS]->(t) RETURN t.id AS t", id=source)}


def findings(cli_env) -> list[dict]:
    out = cli_json(cli_env, "findings", "--format", "json", "--limit", "500")
    return out["findings"] if isinstance(out, dict) else out


@pytest.fixture
def loaded(graph, cli_env, tmp_path):
    """Entra first, then Azure: the order in which the Azure stubs could shadow the directory."""
    summary = entra(cli_env, est.write_graph_form(tmp_path / "graph"))
    assert summary["status"] == "success", summary
    assert azure(cli_env, tmp_path)["status"] == "success"
    proc = run_cli(cli_env, "analyze", "--format", "json")
    assert proc.returncode in (0, 3), proc.stderr
    return graph


def test_one_node_per_principal_whichever_loads_first(loaded, cli_env, tmp_path):
    graph = loaded
    dupes = graph.read("MATCH (i:Identity) WHERE i.principal_id IS NOT NULL WITH i.principal_id AS pid, "
                       "collect(i.id) AS ids WHERE size(ids) > 1 RETURN pid, ids")
    assert dupes == []
    sp = graph.read("MATCH (n {id: $id}) RETURN labels(n) AS labels, n.name AS name, n.provider AS provider",
                    id=oid(est.SP_DEPLOYER))[0]
    assert "EntraServicePrincipal" in sp["labels"] and sp["name"] == "deployer" and sp["provider"] == "entra"
    # the web VM's managed identity and its service principal are one node, the Azure one
    mi = graph.read("MATCH (m:ManagedIdentity) WHERE m.principal_id = $p RETURN m.id AS id", p=az.WEB_VM_PRINCIPAL)
    assert [r["id"] for r in mi] == [az.WEB_VM.lower() + "/identities/system"]
    # a second Azure load keeps the link (no stub written over the directory's node)
    azure(cli_env, tmp_path)
    assert graph.read("MATCH (n {id: $id}) RETURN n.name AS name", id=oid(est.SP_DEPLOYER))[0]["name"] == "deployer"
    assert graph.read("MATCH (:RoleAssignment)-[:ASSIGNED_TO]->(n {id: $id}) RETURN count(*) AS n",
                      id=oid(est.SP_DEPLOYER))[0]["n"] == 1


def test_group_membership_carries_rbac_to_members_nested_included(loaded, cli_env):
    pci = "MATCH (:Identity {id: $id})-[a:CAN_ACCESS]->(t)-[:STORES]->(:SensitiveInfoType {category: 'pci'}) " \
          "RETURN t.id AS t, a.level AS level, a.evidence AS evidence"
    storage = {az.CONTAINER.lower(), az.STORAGE.lower()}
    for user in (est.ALICE, est.BOB):   # alice through g-card-readers, bob through g-nested inside it
        reads = [r for r in loaded.read(pci, id=oid(user)) if r["t"] in storage]
        assert reads and all(r["level"] == "read" for r in reads), (user, reads)
        assert all(oid(est.G_READERS) in r["evidence"] for r in reads), reads
    assert accesses(loaded, oid(est.EVE)) == set(), "a guest in a look-alike group gets nothing"
    assert accesses(loaded, oid(est.DAVE)) == set()
    assert not [f for f in findings(cli_env) if f["entry"]["id"] == oid(est.EVE)]


def test_credentials_are_metadata_and_validity_decides_the_finding(loaded, cli_env):
    rows = {r["id"]: r for r in loaded.read(
        "MATCH (s:EntraServicePrincipal) RETURN s.id AS id, s.valid_credentials AS valid, s.credentials AS creds")}
    assert rows[oid(est.SP_DEPLOYER)]["valid"] == 1 and rows[oid(est.SP_LEGACY)]["valid"] == 0
    app = loaded.read("MATCH (a:EntraApplication {app_id: $a}) RETURN a.credentials AS c", a=est.APPID_DEPLOYER)[0]
    assert app["c"] == ["password|6e000000-0000-4000-8000-000000000001|ci|2024-01-01T00:00:00Z|2099-01-01T00:00:00Z"]
    dump = json.dumps(loaded.read("MATCH (n) RETURN properties(n) AS p"), default=str)
    assert "secretText" not in dump and '"hint"' not in dump
    entries = {(f["rule_id"], f["entry"]["name"]) for f in findings(cli_env)}
    assert ("CM-ENTRA-001", "deployer") in entries
    assert not any(name == "legacy-sync" for _, name in entries), "expired credentials are no way in"


def test_directory_escalation_and_tenant_admin(loaded, cli_env):
    esc = {(r["s"], r["t"], r["m"]) for r in loaded.read(
        "MATCH (s)-[e:CAN_ESCALATE_TO]->(t) WHERE e.method STARTS WITH 'entra:' RETURN s.id AS s, t.id AS t, "
        "e.method AS m")}
    assert (oid(est.CAROL), f"entra-tenant:{est.TENANT}", "entra:privileged-role-admin") in esc
    assert not any(s == oid(est.DAVE) for s, _, _ in esc), "Directory Readers cannot escalate"
    admin = accesses(loaded, oid(est.OPS_ADMIN))
    assert f"entra-tenant:{est.TENANT}" in admin and az.SUB_ID.lower() in admin
    found = {(f["rule_id"], f["entry"]["name"]) for f in findings(cli_env)}
    assert ("CM-ENTRA-002", "carol@contoso.example") in found
    assert not any(name == "dave@contoso.example" for _, name in found)


def test_the_az_form_gives_the_same_graph(graph, cli_env, tmp_path):
    assert entra(cli_env, est.write_graph_form(tmp_path / "graph"))["status"] == "success"
    from_graph = graph_shape(graph)
    graph.write("MATCH (n) WHERE NOT n:SchemaVersion DETACH DELETE n")
    assert entra(cli_env, est.write_az_form(tmp_path / "az"))["status"] == "success"
    now = graph_shape(graph)
    assert now[0] ^ from_graph[0] == set() and now[1] ^ from_graph[1] == set()
    assert len(from_graph[0]) >= 12 and len(from_graph[1]) >= 8


def test_a_bad_file_is_one_line_and_leaves_the_graph(graph, cli_env, tmp_path):
    entra(cli_env, est.write_graph_form(tmp_path / "graph"))
    before = graph.read("MATCH (n) RETURN count(n) AS n")[0]["n"]
    bad = tmp_path / "users.json"
    bad.write_text(json.dumps({"value": [{"@odata.type": "#microsoft.graph.user", "id": est.ALICE,
                                          "accountEnabled": "maybe"}]}))
    members = tmp_path / "members.json"
    members.write_text(json.dumps([{"id": est.ALICE, "userPrincipalName": "alice@contoso.example"}]))
    for path, expected in ((bad, "value[0]: accountEnabled"), (members, "does not say which group")):
        proc = run_cli(cli_env, "load", "entra", "--export", str(path), "--tenant", est.TENANT)
        assert proc.returncode == 1 and expected in proc.stderr and str(path) in proc.stderr, proc.stderr
        assert len(proc.stderr.strip().splitlines()) == 1
    assert graph.read("MATCH (n) RETURN count(n) AS n")[0]["n"] == before


def test_hunt_for_long_lived_and_expiring_app_credentials(graph, cli_env, tmp_path):
    entra(cli_env, est.write_graph_form(tmp_path / "graph"))
    rows = cli_json(cli_env, "queries", "run", "entra-app-credentials", "--format", "json")
    rows = rows["rows"] if isinstance(rows, dict) else rows
    assert [(r["owner"], r["long_lived"], r["expiring"]) for r in rows] == [("deployer", True, False)]


def test_explorer_template_lists_service_principals_with_valid_secrets(graph, cli_env, tmp_path):
    entra(cli_env, est.write_graph_form(tmp_path / "graph"))
    answer = json.dumps(cli_json(cli_env, "explore", "--template", "service-principals-with-valid-secrets",
                                 "--format", "json"))
    assert "deployer" in answer and "legacy-sync" not in answer


class GraphServer(BaseHTTPRequestHandler):
    """Microsoft Graph v1.0 over the fixture directory: PAGE objects a page with an absolute
    ``@odata.nextLink``, ``$expand=<property>`` answered as Graph does (the id and at most 20 objects of
    the property, all of them from ``/<list>/<id>/<property>``), a 429
    with Retry-After once for each list in ``throttled``, a 403 for each list in ``refused``."""
    PAGE = 2
    NAVIGATION = ("members", "owners", "appRoleAssignments")
    lists: dict = {}
    throttled: set = set()
    refused: set = set()
    requests: list = []

    def do_GET(self):
        url = urlsplit(self.path)
        query = {k: v[0] for k, v in parse_qs(url.query).items()}
        collection = url.path.removeprefix("/v1.0/")
        self.requests.append({"list": collection, "query": query, "auth": self.headers.get("Authorization")})
        if collection == "organization":
            return send_json(self, 200, {"value": [{"id": est.TENANT}]})
        if collection in self.throttled:
            self.throttled.discard(collection)
            return send_json(self, 429, {"error": {"code": "TooManyRequests", "message": "slow down"}},
                             {"Retry-After": "1"})
        if collection in self.refused:
            return send_json(self, 403, {"error": {"code": "Authorization_RequestDenied",
                                                   "message": "Insufficient privileges to complete the operation."}})
        parent, _, nav = collection.partition("/")
        if nav.count("/") == 1 and parent in self.lists:   # /<list>/<id>/<property>
            object_id, prop = nav.split("/")
            rows = next((r.get(prop, []) for r in self.lists[parent] if r["id"] == object_id), None)
        elif collection in self.lists:
            prop = query.get("$expand", "").split("(")[0]
            rows = [{"id": r["id"], prop: r.get(prop, [])[:20]} if prop else
                    {k: v for k, v in r.items() if k not in self.NAVIGATION} for r in self.lists[collection]]
        else:
            rows = None
        if rows is None:
            return send_json(self, 404, {"error": {"code": "Request_ResourceNotFound", "message": collection}})
        query = dict(query)
        start = int(query.pop("$skiptoken", 0))
        body = {"@odata.context": f"{est.GRAPH}#{collection}", "value": rows[start:start + self.PAGE]}
        if start + self.PAGE < len(rows):
            body["@odata.nextLink"] = (f"http://{self.headers['Host']}{url.path}?"
                                       f"{urlencode({**query, '$skiptoken': start + self.PAGE})}")
        send_json(self, 200, body)

    def log_message(self, *args):
        pass


@pytest.fixture
def graph_api(cli_env):
    """The Graph server and the CLI environment that points `cloudmap load entra` at it."""
    GraphServer.lists = {"users": est.users(), "groups": est.groups(), "applications": est.applications(),
                         "servicePrincipals": est.service_principals(),
                         **{name: rows() for name, rows in est.EXTRA_LISTS.items()}}
    GraphServer.throttled, GraphServer.refused, GraphServer.requests = set(), set(), []
    with local_http(GraphServer) as url:
        yield GraphServer, {**cli_env, "CLOUDMAP_GRAPH_ENDPOINT": url,
                            "CLOUDMAP_GRAPH_ACCESS_TOKEN": "test-graph-token-not-a-secret"}


def directory_facts(graph) -> tuple[list, list]:
    """Every node and relationship the Entra load wrote, with their properties (not the load's own)."""
    own = ["first_seen", "last_seen", "sync_id"]
    nodes = graph.read("MATCH (n) WHERE n.scope STARTS WITH 'entra/' RETURN n.id AS id, labels(n) AS labels, "
                       "[k IN keys(n) WHERE NOT k IN $own | [k, n[k]]] AS p ORDER BY id", own=own)
    rels = graph.read("MATCH (a)-[r]->(b) WHERE r.scope STARTS WITH 'entra/' RETURN a.id AS a, type(r) AS t, "
                      "b.id AS b, [k IN keys(r) WHERE NOT k IN $own | [k, r[k]]] AS p ORDER BY a, t, b", own=own)
    return ([{**r, "labels": sorted(r["labels"]), "p": sorted(r["p"])} for r in nodes],
            [{**r, "p": sorted(r["p"])} for r in rels])


def test_live_graph_with_paging_and_throttling_gives_the_export_graph(graph, graph_api, tmp_path):
    server, env = graph_api
    server.throttled = {"users", "groups"}
    summary = cli_json(env, "load", "entra", "--format", "json")
    assert summary["status"] == "success", summary
    requests = server.requests
    assert {r["auth"] for r in requests} == {"Bearer test-graph-token-not-a-secret"}
    users = [r["query"] for r in requests if r["list"] == "users"]
    assert len(users) == 1 + -(-len(est.users()) // server.PAGE) >= 4   # the throttled call, then every page
    assert [u.get("$skiptoken") for u in users[:3]] == [None, None, "2"]
    assert all("signInActivity" in u["$select"] for u in users)
    assert any(r["list"] == "groups" and r["query"].get("$expand", "").startswith("members") for r in requests)
    live = directory_facts(graph)
    mfa = {r["id"]: r["mfa"] for r in graph.read("MATCH (u:EntraUser) RETURN u.id AS id, u.mfa_registered AS mfa")}
    assert mfa[oid(est.ALICE)] is True and mfa[oid(est.BOB)] is False and mfa[oid(est.EVE)] is None
    grants = graph.read("MATCH (:EntraServicePrincipal {id: $c})-[g:HAS_OAUTH2_GRANT]->(:EntraServicePrincipal "
                        "{id: $r}) RETURN g.scopes AS scopes, g.consent_type AS consent, g.principal_ids AS who",
                        c=oid(est.SP_DEPLOYER), r=oid(est.SP_MSGRAPH))
    assert grants == [{"scopes": ["Mail.Read", "User.Read", "openid"], "consent": "AllPrincipals",
                       "who": [est.ALICE]}]

    graph.write("MATCH (n) WHERE NOT n:SchemaVersion DETACH DELETE n")
    assert entra(env, est.write_graph_form(tmp_path / "graph"))["status"] == "success"
    assert directory_facts(graph) == live
    assert len(live[0]) >= 14 and len(live[1]) >= 10


def test_a_list_graph_refuses_keeps_its_earlier_data(graph, graph_api):
    server, env = graph_api
    assert cli_json(env, "load", "entra", "--format", "json")["status"] == "success"
    groups_before = graph.read("MATCH (m)-[:MEMBER_OF]->(g:EntraGroup) RETURN m.id AS m, g.id AS g ORDER BY m, g")
    assert len(groups_before) == 4
    server.refused = {"groups"}
    server.lists["users"] = [u for u in est.users() if u["id"] != est.DAVE]   # dave left the directory
    proc = run_cli(env, "load", "entra", "--format", "json")
    assert proc.returncode == 1, proc.stderr   # partial
    summary = json.loads(proc.stdout)
    assert summary["status"] == "partial" and summary["scopes_failed"] == [f"entra/{est.TENANT}/groups"]
    assert "Insufficient privileges" in summary["errors"][0]
    assert graph.read("MATCH (m)-[:MEMBER_OF]->(g:EntraGroup) RETURN m.id AS m, g.id AS g ORDER BY m, g") == \
        groups_before
    assert graph.read("MATCH (u:EntraUser {id: $id}) RETURN u", id=oid(est.DAVE)) == []


def test_an_expanded_list_cut_at_20_is_read_in_full(graph, graph_api):
    server, env = graph_api
    crowd = [est.user(f"1e000000-0000-4000-8000-0000000001{n:02d}", f"staff{n}@contoso.example") for n in range(25)]
    server.lists["users"] = est.users() + crowd
    server.lists["groups"] = [*est.groups(), est.group("2e000000-0000-4000-8000-000000000099", "g-all-staff", crowd)]
    assert cli_json(env, "load", "entra", "--format", "json")["status"] == "success"
    assert graph.read("MATCH (:EntraUser)-[:MEMBER_OF]->(g:EntraGroup {name: 'g-all-staff'}) "
                      "RETURN count(*) AS n")[0]["n"] == 25
    assert any(r["list"] == "groups/2e000000-0000-4000-8000-000000000099/members" for r in server.requests)


def test_graph_unreachable_or_refusing_everything_is_one_error(graph, graph_api, cli_env):
    server, env = graph_api
    server.refused = set(server.lists)
    proc = run_cli(env, "load", "entra")
    assert proc.returncode == 1 and "every Microsoft Graph list failed" in proc.stderr, proc.stderr
    assert proc.stderr.count("error:") == 1 and "Traceback" not in proc.stderr
    proc = run_cli({**env, "CLOUDMAP_GRAPH_ENDPOINT": "http://graph.example.com"}, "load", "entra")
    assert proc.returncode == 1 and "CLOUDMAP_GRAPH_ENDPOINT" in proc.stderr and "https" in proc.stderr
    assert graph.read("MATCH (n:Asset) RETURN count(n) AS n")[0]["n"] == 0
