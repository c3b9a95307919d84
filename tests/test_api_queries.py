"""Saved queries: the shipped library, user CRUD that survives a restart, typed parameters, CLI."""

from __future__ import annotations

import json

from cloudmap.services.hunt import check_read_only
from cloudmap.services.queries import load_library
from tests.helpers import api_client, run_cli

MINE = {"id": "my-vms", "title": "My VMs", "tags": ["mine"], "query": "MATCH (v:VirtualMachine) WHERE v.name STARTS WITH $prefix RETURN v.name AS name LIMIT $n",
        "params": {"prefix": {"type": "string", "default": ""}, "n": {"type": "integer", "default": 10}}}


def test_shipped_library_is_large_and_every_hunt_is_read_only(graph):
    library = load_library()
    assert len(library) >= 15
    for q in library.values():
        check_read_only(graph, q.query, {k: v.get("default") for k, v in q.params.items()})
        assert q.title and q.description and q.tags


def test_user_query_crud_survives_an_app_restart(graph, neo4j_settings):
    graph.write("CREATE (:Asset:VirtualMachine {id: 'vm-1', name: 'web-1'}), (:Asset:VirtualMachine {id: 'vm-2', name: 'db-1'})")
    client, keys = api_client(graph, neo4j_settings)
    assert client.post("/api/v1/queries", json=MINE, headers=keys["reader"]).status_code == 403
    r = client.post("/api/v1/queries", json=MINE, headers=keys["hunter"])
    assert r.status_code == 201, r.text
    assert client.post("/api/v1/queries", json=MINE, headers=keys["hunter"]).status_code == 409

    restarted, _ = api_client(graph, neo4j_settings)                # a new app on the same database
    listed = {q["id"]: q for q in restarted.get("/api/v1/queries", headers=keys["reader"]).json()}
    assert listed["my-vms"]["source"] == "user" and listed["internet-exposed-vms"]["read_only"] is True
    r = restarted.post("/api/v1/queries/my-vms/run", json={"params": {"prefix": "web"}}, headers=keys["reader"])
    assert r.status_code == 200 and r.json()["rows"] == [{"name": "web-1"}]

    changed = {**MINE, "title": "Mine, renamed"}
    assert restarted.put("/api/v1/queries/my-vms", json=changed, headers=keys["hunter"]).json()["title"] == "Mine, renamed"
    assert restarted.get("/api/v1/queries/my-vms", headers=keys["reader"]).json()["title"] == "Mine, renamed"
    assert restarted.delete("/api/v1/queries/my-vms", headers=keys["hunter"]).status_code == 204
    assert restarted.get("/api/v1/queries/my-vms", headers=keys["reader"]).status_code == 404
    assert graph.read("MATCH (q:SavedQuery) RETURN count(q) AS n")[0]["n"] == 0


def test_shipped_queries_are_read_only_and_user_queries_must_read_only(graph, neo4j_settings):
    client, keys = api_client(graph, neo4j_settings)
    shipped = client.get("/api/v1/queries/public-data-stores", headers=keys["reader"]).json()
    body = {**MINE, "id": "public-data-stores"}
    assert client.put("/api/v1/queries/public-data-stores", json=body, headers=keys["hunter"]).status_code == 403
    assert client.delete("/api/v1/queries/public-data-stores", headers=keys["hunter"]).status_code == 403
    assert client.post("/api/v1/queries", json=body, headers=keys["hunter"]).status_code == 409
    assert shipped["query"].startswith("MATCH")
    r = client.post("/api/v1/queries", json={**MINE, "id": "evil", "query": "MATCH (n) DETACH DELETE n"},
                    headers=keys["hunter"])
    assert r.status_code == 403 and r.json()["type"] == "/problems/not-read-only"
    assert graph.read("MATCH (q:SavedQuery) RETURN count(q) AS n")[0]["n"] == 0


def test_run_with_bad_parameter_types_is_422(graph, neo4j_settings):
    client, keys = api_client(graph, neo4j_settings)
    for params in ({"limit": "ten"}, {"limit": 1.5}, {"limit": True}, {"port": 22}, {"nope": 1}):
        r = client.post("/api/v1/queries/internet-exposed-vms/run", json={"params": params}, headers=keys["reader"])
        assert r.status_code == 422, (params, r.text)
        assert r.headers["content-type"].startswith("application/problem+json")
    r = client.post("/api/v1/queries/who-can-access/run", json={}, headers=keys["reader"])
    assert r.status_code == 422 and "target" in r.json()["detail"]
    r = client.post("/api/v1/queries/open-management-ports/run", json={"params": {"ports": ["22"]}}, headers=keys["reader"])
    assert r.status_code == 200
    assert client.post("/api/v1/queries/no-such/run", json={}, headers=keys["reader"]).status_code == 404


def test_cli_queries_list_show_run(graph, cli_env):
    graph.write("CREATE (:Internet {id: 'internet'})-[:CAN_REACH {derived: true, ports: ['22']}]->"
                "(:Asset:VirtualMachine {id: 'vm-1', name: 'web'})")
    listed = json.loads(run_cli(cli_env, "queries", "list", "--format", "json").stdout)
    assert len(listed) >= 15 and any(q["id"] == "internet-exposed-vms" for q in listed)
    proc = run_cli(cli_env, "queries", "run", "internet-exposed-vms", "--param", "port=22", "--param", "limit=5",
                   "--format", "json")
    assert proc.returncode == 0, proc.stderr
    assert [r["id"] for r in json.loads(proc.stdout)["rows"]] == ["vm-1"]
    proc = run_cli(cli_env, "queries", "run", "internet-exposed-vms", "--param", "limit=many")
    assert proc.returncode == 1 and "limit" in proc.stderr and "integer" in proc.stderr
