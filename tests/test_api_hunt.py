"""POST /api/v1/hunt and `cloudmap hunt`: graph form, the read-only guard, timeouts, row caps, roles."""

from __future__ import annotations

import json

import pytest

from tests.helpers import api_client, run_cli

SEED = ("CREATE (i:Internet {id: 'internet'})-[:CAN_REACH {derived: true, ports: ['22']}]->"
        "(vm:Asset:VirtualMachine {id: 'vm-1', name: 'web'})-[:CAN_AUTHENTICATE_AS {derived: true}]->"
        "(r:Asset:Identity:Role {id: 'role-1', name: 'app'}), "
        "(i)-[:CAN_REACH {derived: true, ports: ['443']}]->(:Asset:VirtualMachine {id: 'vm-2', name: 'api'})")

ESCAPES = [
    "CREATE (n:Evil) RETURN n",
    "MERGE (n:Asset {id: 'evil'})",
    "MATCH (n) SET n.owned = true",
    "MATCH (n) DELETE n",
    "MATCH (n) DETACH DELETE n",
    "MATCH (n) REMOVE n.name",
    "MATCH (n) CALL (n) { SET n.x = 1 } RETURN count(*)",
    "MATCH (n) CALL (n) { DETACH DELETE n } IN TRANSACTIONS RETURN 1",
    "CALL { MATCH (n) RETURN n } IN TRANSACTIONS RETURN n",
    "LOAD CSV FROM 'file:///etc/passwd' AS line RETURN line",
    "CALL dbms.security.createUser('mallory', 'secret-password', false)",
    "CALL dbms.killQuery('query-1')",
    "CALL apoc.load.json('file:///etc/passwd')",
    "RETURN apoc.cypher.runWrite('CREATE (n)', {})",
    "CALL db.createLabel('Evil')",
    "CALL db.clearQueryCaches()",
    "CALL db.info()",
    "CREATE INDEX evil IF NOT EXISTS FOR (n:Asset) ON (n.evil)",
    "SHOW USERS",
    "SHOW TRANSACTIONS",
    "SHOW SETTINGS",
    "TERMINATE TRANSACTIONS 'neo4j-transaction-1'",
    "ALTER CURRENT USER SET PASSWORD FROM 'a' TO 'b'",
    "MATCH (n) /*x*/ DETACH DELETE n",
    "MATCH (n) // comment\nDETACH DELETE n",
    "ＣＲＥＡＴＥ (n)",
    "MATCH (n) RETURN n; CREATE (x)",
    "USE system SHOW USERS",
]


@pytest.fixture
def api(graph, neo4j_settings):
    graph.write(SEED)
    return api_client(graph, neo4j_settings, hunt_timeout_s=30.0, hunt_max_rows=50)


def counts(graph) -> tuple[int, int, list]:
    row = graph.read("MATCH (n) WITH count(n) AS n OPTIONAL MATCH ()-[r]->() "
                     "RETURN n, count(r) AS r")[0]
    labels = graph.read("CALL db.labels() YIELD label RETURN collect(label) AS l")[0]["l"]
    return row["n"], row["r"], sorted(labels)


def test_hunt_returns_rows_and_deduplicated_graph_form(api):
    client, keys = api
    r = client.post("/api/v1/hunt", headers=keys["hunter"], json={
        "query": "MATCH p = (i:Internet)-[:CAN_REACH]->(vm)-[:CAN_AUTHENTICATE_AS*0..1]->(x) "
                 "RETURN p, i, vm ORDER BY vm.id, length(p)"})
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["columns"] == ["p", "i", "vm"] and body["row_count"] == 3 and body["truncated"] is False
    assert body["rows"][0]["vm"]["properties"]["id"] == "vm-1"
    graph_form = body["graph"]
    ids = sorted(n["properties"]["id"] for n in graph_form["nodes"])
    assert ids == ["internet", "role-1", "vm-1", "vm-2"]           # each node once, though seen 6 times
    assert sorted(r["type"] for r in graph_form["relationships"]) == ["CAN_AUTHENTICATE_AS", "CAN_REACH", "CAN_REACH"]
    by_id = {n["id"]: n for n in graph_form["nodes"]}
    for rel in graph_form["relationships"]:
        assert rel["start"] in by_id and rel["end"] in by_id


def test_hunt_scalar_rows_have_no_graph_and_params_work(api):
    client, keys = api
    r = client.post("/api/v1/hunt", headers=keys["hunter"],
                    json={"query": "MATCH (v:VirtualMachine) WHERE v.name = $name RETURN v.id AS id", "params": {"name": "api"}})
    assert r.status_code == 200 and r.json()["rows"] == [{"id": "vm-2"}] and r.json()["graph"] is None


def test_every_write_or_escape_attempt_is_refused_and_the_graph_is_unchanged(api, graph):
    client, keys = api
    before = counts(graph)
    for query in ESCAPES:
        r = client.post("/api/v1/hunt", headers=keys["admin"], json={"query": query})
        assert r.status_code in (400, 403), (query, r.status_code, r.text)
        assert r.headers["content-type"].startswith("application/problem+json")
        body = r.json()
        assert body["status"] == r.status_code and body["detail"] and "Traceback" not in r.text
        if r.status_code == 400:
            assert body["neo4j_code"].startswith("Neo.ClientError."), (query, body)
    assert counts(graph) == before
    assert graph.read("SHOW INDEXES YIELD name WHERE name = 'evil' RETURN name") == []


def test_runaway_query_times_out_with_a_clear_error(graph, neo4j_settings):
    graph.write("UNWIND range(1, 1000) AS i CREATE (:Asset {id: 'a' + i})")   # 10^9 rows of triples
    client, keys = api_client(graph, neo4j_settings, hunt_timeout_s=2.0)
    r = client.post("/api/v1/hunt", headers=keys["hunter"], json={
        "query": "MATCH (n) WITH collect(n) AS ns UNWIND ns AS a UNWIND ns AS b UNWIND ns AS c RETURN count(*)"})
    assert r.status_code == 400, r.text
    assert r.json()["type"] == "/problems/query-timeout" and "2 s" in r.json()["detail"]


def test_rows_are_capped_with_truncated(api):
    client, keys = api
    r = client.post("/api/v1/hunt", headers=keys["hunter"], json={"query": "UNWIND range(1, 500) AS x RETURN x"})
    assert r.json()["row_count"] == 50 and r.json()["truncated"] is True
    r = client.post("/api/v1/hunt", headers=keys["hunter"],
                    json={"query": "UNWIND range(1, 500) AS x RETURN x", "max_rows": 7})
    assert [row["x"] for row in r.json()["rows"]] == list(range(1, 8)) and r.json()["truncated"] is True
    r = client.post("/api/v1/hunt", headers=keys["hunter"], json={"query": "UNWIND range(1, 50) AS x RETURN x"})
    assert r.json()["row_count"] == 50 and r.json()["truncated"] is False


def test_neo4j_errors_are_400_with_code_and_limits_are_enforced(api):
    client, keys = api
    r = client.post("/api/v1/hunt", headers=keys["hunter"], json={"query": "MATCH (n RETURN n"})
    assert r.status_code == 400 and r.json()["neo4j_code"] == "Neo.ClientError.Statement.SyntaxError"
    r = client.post("/api/v1/hunt", headers=keys["hunter"], json={"query": "RETURN 1 //" + "x" * 20_000})
    assert r.status_code == 422 and "query" in r.json()["detail"]
    r = client.post("/api/v1/hunt", headers=keys["hunter"], json={"query": "RETURN 1", "evil": 1})
    assert r.status_code == 422


def test_allowed_introspection_procedures_run(api):
    client, keys = api
    r = client.post("/api/v1/hunt", headers=keys["hunter"], json={"query": "CALL db.labels() YIELD label RETURN label"})
    assert r.status_code == 200 and {"Internet", "VirtualMachine"} <= {row["label"] for row in r.json()["rows"]}


def test_hunt_needs_a_hunter_key(api):
    client, keys = api
    body = {"query": "RETURN 1 AS one"}
    assert client.post("/api/v1/hunt", json=body).status_code == 401
    assert client.post("/api/v1/hunt", json=body, headers={"Authorization": "Bearer cm_0123456789abcdef_" + "x" * 40}).status_code == 401
    assert client.post("/api/v1/hunt", json=body, headers=keys["reader"]).status_code == 403
    assert client.post("/api/v1/hunt", json=body, headers=keys["hunter"]).status_code == 200
    assert client.post("/api/v1/hunt", json=body, headers={"X-API-Key": keys["admin"]["Authorization"][7:]}).status_code == 200


def test_cli_hunt_json_table_and_refusal(graph, cli_env):
    graph.write(SEED)
    proc = run_cli(cli_env, "hunt", "MATCH (v:VirtualMachine) WHERE v.name = $n RETURN v", "--param", "n=web",
                   "--format", "json")
    assert proc.returncode == 0, proc.stderr
    body = json.loads(proc.stdout)
    assert body["rows"][0]["v"]["properties"]["id"] == "vm-1" and len(body["graph"]["nodes"]) == 1
    proc = run_cli(cli_env, "hunt", "MATCH (v:VirtualMachine) RETURN v.name AS name ORDER BY name")
    assert proc.returncode == 0 and "api" in proc.stdout and "web" in proc.stdout
    proc = run_cli(cli_env, "hunt", "MATCH (n) DETACH DELETE n")
    assert proc.returncode == 1 and "read-only" in proc.stderr
    assert graph.read("MATCH (n:VirtualMachine) RETURN count(n) AS n")[0]["n"] == 2
