"""Hostile hunts through HTTP and the CLI: every write, escape, exfiltration and exhaustion attempt
is refused with one clear error, and the graph is left exactly as it was."""

from __future__ import annotations

import pytest

from tests.helpers import api_client, run_cli
from tests.security.common import SEED, fingerprint

WRITES = [
    "CREATE (n:Evil) RETURN n",
    "MERGE (n:Asset {id: 'evil'})",
    "MATCH (n) SET n.owned = true",
    "MATCH (n) WITH n LIMIT 1 SET n:Evil",
    "MATCH (n) DELETE n",
    "MATCH (n) DETACH DELETE n",
    "MATCH (n) REMOVE n.name",
    "FOREACH (x IN [1] | CREATE (:Evil))",
    "MATCH (n) CALL (n) { SET n.x = 1 } RETURN count(*)",
    "MATCH (n) CALL (n) { DETACH DELETE n } IN TRANSACTIONS RETURN 1",
    "CALL { MATCH (n) RETURN n } IN TRANSACTIONS RETURN n",
    "MATCH (n) /*x*/ DETACH DELETE n",
    "MATCH (n) // comment\nDETACH DELETE n",
    "MATCH (n) RETURN n; CREATE (x)",
    "PROFILE MATCH (n) DETACH DELETE n",
    "CYPHER runtime=slotted MATCH (n) DETACH DELETE n",
    "CREATE INDEX evil IF NOT EXISTS FOR (n:Asset) ON (n.evil)",
    "CREATE CONSTRAINT evil IF NOT EXISTS FOR (n:Evil) REQUIRE n.id IS UNIQUE",
    "DROP INDEX asset_id IF EXISTS",
    "CALL db.createLabel('Evil')",
]
ADMINISTRATION = [
    "CALL dbms.security.createUser('mallory', 'x' + 'y', false)",
    "CREATE USER mallory SET PASSWORD 'abcdefgh'",
    "GRANT ROLE admin TO neo4j",
    "CREATE DATABASE evil",
    "STOP DATABASE neo4j",
    "ALTER CURRENT USER SET PASSWORD FROM 'a' TO 'b'",
    "CALL dbms.killQuery('query-1')",
    "TERMINATE TRANSACTIONS 'neo4j-transaction-1'",
    "CALL dbms.setConfigValue('db.transaction.timeout', '0')",
    "CALL dbms.listConfig()",
    "CALL dbms.components()",
    "CALL db.clearQueryCaches()",
    "CALL tx.setMetaData({a: 1})",
    "SHOW USERS",
    "SHOW CURRENT USER",
    "SHOW TRANSACTIONS",
    "SHOW SETTINGS",
    "SHOW PROCEDURES",
    "USE system SHOW USERS",
]
EXFILTRATION = [
    "LOAD CSV FROM 'file:///etc/passwd' AS line RETURN line",
    "LOAD CSV WITH HEADERS FROM 'http://127.0.0.1:9/x.csv' AS row RETURN row",
    "MATCH (n) WITH n LIMIT 1 LOAD CSV FROM 'http://127.0.0.1:9/?' + n.id AS l RETURN l",
    "CALL apoc.load.json('file:///etc/passwd')",
    "CALL apoc.load.csv('http://127.0.0.1:9/x')",
    "RETURN apoc.load.jsonParams('http://127.0.0.1:9/', {}, null)",
    "CALL apoc.export.csv.all('/tmp/out.csv', {})",
    "RETURN apoc.cypher.runWrite('CREATE (n)', {})",
    "CALL db.info()",
]
EXHAUSTION = [
    "RETURN size(reduce(s='', x IN range(1, 10000000) | s + 'x'))",
    "RETURN reduce(s='x', i IN range(1, 64) | s + s)",
    "RETURN size(reduce(l=[], x IN range(1, 5000) | l + [x]))",
    "UNWIND range(1, 100000000) AS x RETURN count(x)",
    "RETURN size(range(0, 9223372036854775806))",
    "RETURN size([x IN range(1, 10000) | [y IN range(1, 10000) | y]])",
    "UNWIND range(1, toInteger('100000000')) AS x RETURN count(*)",
    "MATCH (a), (b), (c) RETURN a.id, b.id, c.id",
    "MATCH (a:Asset), (b:Asset) RETURN a.id, b.id",
    "MATCH p = (a)-[*]->(b) RETURN count(p)",
    "MATCH p = (a)-[*1..]->(b) RETURN count(p)",
    "MATCH p = (a)-[*..100]->(b) RETURN count(p)",
    "MATCH p = ((a)-->(b))+ RETURN count(p)",
    "MATCH p = shortestPath((a:Asset)-[*]-(b:Asset)) RETURN p",
    "RETURN " + "(" * 9000 + "1" + ")" * 9000,
    "RETURN " + "[" * 9000 + "]" * 9000,
    "RETURN " + "{a: " * 5000 + "1" + "}" * 5000,
]
BATTERY = WRITES + ADMINISTRATION + EXFILTRATION + EXHAUSTION
# Through HTTP with parameters: a huge range bound, and parameters larger than allowed.
WITH_PARAMS = [("UNWIND range(1, $n) AS x RETURN count(x)", {"n": 10**12}),
               ("RETURN $p AS p", {"p": "x" * 200_000})]
CLI_SAMPLE = ["MATCH (n) DETACH DELETE n", "CALL { MATCH (n) RETURN n } IN TRANSACTIONS RETURN n",
              "LOAD CSV FROM 'http://127.0.0.1:9/x' AS l RETURN l", "CALL apoc.load.json('file:///etc/passwd')",
              "RETURN size(reduce(s='', x IN range(1, 10000000) | s + 'x'))", "MATCH (a), (b), (c) RETURN a, b, c",
              "MATCH p = (a)-[*]->(b) RETURN count(p)", "RETURN " + "[" * 9000 + "]" * 9000,
              "SHOW USERS", "CREATE INDEX evil IF NOT EXISTS FOR (n:Asset) ON (n.evil)"]


def test_the_battery_is_large():
    assert len(BATTERY) + len(WITH_PARAMS) >= 50 and len(set(BATTERY)) == len(BATTERY)


@pytest.fixture
def api(graph, neo4j_settings):
    graph.write(SEED)
    return api_client(graph, neo4j_settings, hunts_per_minute=10_000, hunt_timeout_s=3.0)


def test_every_hostile_hunt_over_http_is_refused_and_the_graph_is_unchanged(api, graph):
    client, keys = api
    before = fingerprint(graph)
    attempts = [(q, {}) for q in BATTERY] + WITH_PARAMS
    for query, params in attempts:
        for role in ("hunter", "admin"):   # an admin key is no way around the checks
            r = client.post("/api/v1/hunt", headers=keys[role], json={"query": query, "params": params})
            assert r.status_code in (400, 403, 422), (query[:80], r.status_code, r.text[:300])
            assert r.headers["content-type"].startswith("application/problem+json")
            body = r.json()
            assert body["detail"] and "Traceback" not in r.text and "at org.neo4j" not in r.text
            assert len(r.content) < 5000, query[:80]
    assert fingerprint(graph) == before


def test_each_kind_of_refusal_says_how_to_narrow_the_query(api):
    client, keys = api
    expected = {
        "UNWIND range(1, 100000000) AS x RETURN count(x)": "narrow the range",
        "RETURN size(reduce(s='', x IN range(1, 10000000) | s + 'x'))": "use a list comprehension",
        "RETURN reduce(s='x', i IN range(1, 64) | s + s)": "grows exponentially",
        "MATCH (a), (b), (c) RETURN a.id, b.id, c.id": "connect the patterns",
        "MATCH p = (a)-[*]->(b) RETURN count(p)": "give it one of at most",
        "RETURN " + "(" * 9000 + "1" + ")" * 9000: "flatten it",
        "LOAD CSV FROM 'file:///etc/passwd' AS line RETURN line": "LOAD CSV is not allowed",
    }
    for query, words in expected.items():
        r = client.post("/api/v1/hunt", headers=keys["hunter"], json={"query": query})
        assert words in r.json()["detail"], (query[:60], r.json())


def test_hostile_hunts_through_the_cli_are_refused_and_the_graph_is_unchanged(graph, cli_env):
    graph.write(SEED)
    before = fingerprint(graph)
    for query in CLI_SAMPLE:
        proc = run_cli(cli_env, "hunt", query, timeout=60)
        assert proc.returncode == 1, (query[:60], proc.stdout[-300:], proc.stderr[-300:])
        assert "error" in proc.stderr and "Traceback" not in proc.stderr, query[:60]
    assert fingerprint(graph) == before


def test_bounded_hunts_still_run(api):
    client, keys = api
    for query in ("MATCH p = (:Internet)-[:CAN_REACH]->(vm)-[:CAN_AUTHENTICATE_AS*1..3]->(x) RETURN p",
                  "MATCH p = shortestPath((i:Internet {id: 'internet'})-[*..6]->(b:Bucket {id: 'bucket-1'})) RETURN p",
                  "UNWIND range(1, 100) AS x RETURN sum(x) AS s",
                  "MATCH p = (:Internet)-[*1..4]->(b:Bucket) RETURN reduce(s = '', n IN nodes(p) | s + n.id) AS ids",
                  "MATCH (i:Internet), (b:Bucket {id: 'bucket-1'}) RETURN i.id, b.id"):
        r = client.post("/api/v1/hunt", headers=keys["hunter"], json={"query": query})
        assert r.status_code == 200, (query, r.text)
        assert r.json()["row_count"] >= 1, query
