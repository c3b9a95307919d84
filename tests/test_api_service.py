"""The real `cloudmap serve` over HTTP, findings and assets endpoints, analyses, keys, CORS."""

from __future__ import annotations

import subprocess
import sys
import time

import httpx
import yaml

from cloudmap.db.server import free_port
from cloudmap.findings import store
from cloudmap.findings.analysis import evaluate
from cloudmap.graph.ingest import now
from cloudmap.rules import load_rules
from tests.conftest import FIXTURES
from tests.helpers import api_client, run_cli, wait_for_analysis

SEED = yaml.safe_load((FIXTURES / "rules" / "CM-CRED-001.yaml").read_text())["fire"]


def test_real_server_with_api_keys_and_no_auth_refused_off_loopback(graph, cli_env):
    graph.write(SEED)
    proc = run_cli(cli_env, "serve", "--host", "0.0.0.0", "--no-auth")
    assert proc.returncode == 2 and "--no-auth is refused" in proc.stderr
    created = run_cli(cli_env, "apikeys", "create", "--role", "reader", "--name", "ci")
    assert created.returncode == 0, created.stderr
    token = created.stdout.strip().splitlines()[-1]
    assert token.startswith("cm_") and token not in str(graph.read("MATCH (k:ApiKey) RETURN properties(k) AS p"))
    port = free_port()
    server = subprocess.Popen([sys.executable, "-m", "cloudmap", "serve", "--port", str(port)], env=cli_env,
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        base = f"http://127.0.0.1:{port}/api/v1"
        for _ in range(120):
            try:
                if httpx.get(f"{base}/health", timeout=2).status_code == 200:
                    break
            except httpx.TransportError:
                time.sleep(0.5)
        assert httpx.get(f"{base}/assets").status_code == 401
        auth = {"Authorization": f"Bearer {token}"}
        r = httpx.get(f"{base}/assets", params={"q": "vm-"}, headers=auth)
        assert r.status_code == 200 and [a["id"] for a in r.json()["items"]] == ["vm-1"]
        assert httpx.post(f"{base}/hunt", json={"query": "RETURN 1"}, headers=auth).status_code == 403
        assert httpx.get(f"{base}/health", headers=auth).json()["neo4j"] == "reachable"
    finally:
        server.terminate()
        _, err = server.communicate(timeout=30)
    assert cli_env["NEO4J_PASSWORD"] not in err and token not in err


def test_findings_chokepoints_assets_and_neighbourhood(graph, neo4j_settings):
    graph.write(SEED)
    rules, _ = load_rules()
    rows, ran, problems = evaluate(graph, [r for r in rules if r.id == "CM-CRED-001"])
    assert ran == ["CM-CRED-001"] and rows
    store.write_findings(graph, rows, "analysis-test", now())
    client, keys = api_client(graph, neo4j_settings)
    h = keys["reader"]
    page = client.get("/api/v1/findings", params={"limit": 1}, headers=h).json()
    summary = page["items"][0]
    assert summary["rule_id"] == "CM-CRED-001" and "path" not in summary and "factors" not in summary
    assert summary["entry"] == {"id": "vm-1", "name": "vm-1", "labels": ["AWSInstance", "Asset", "VirtualMachine"]}
    finding = client.get(f"/api/v1/findings/{summary['id']}", headers=h).json()
    assert {n["id"] for n in finding["path"]["nodes"]} >= {"internet", "vm-1"}
    assert [s["move"] for s in finding["steps"]] == [r["type"] for r in finding["path"]["relationships"]]
    assert all(s["explanation"] for s in finding["steps"])
    full = client.get("/api/v1/findings", params={"limit": 1, "view": "full"}, headers=h).json()["items"][0]
    assert full["path"]["relationships"] == finding["path"]["relationships"] and full["factors"]
    assert {k: full[k] for k in summary} == summary   # a summary is the full item without the heavy parts
    assert client.get("/api/v1/findings", params={"view": "everything"}, headers=h).status_code == 422
    assert client.get("/api/v1/findings", params={"level": "nonsense"}, headers=h).status_code == 400
    assert client.get("/api/v1/findings", params={"limit": 501}, headers=h).status_code == 422
    assert client.get("/api/v1/chokepoints", headers=h).json()["items"][0]["findings"] == 1
    assert client.get("/api/v1/chokepoints", params={"min_level": "severe"}, headers=h).status_code == 422
    rules_items = client.get("/api/v1/rules", headers=h).json()["items"]
    cred = next(r for r in rules_items if r["id"] == "CM-CRED-001")
    assert cred["file"] == "CM-CRED-001.cypher"   # a name, not the server's path
    secret = "arn:aws:secretsmanager:eu-west-1:111:secret:db"
    assert client.get(f"/api/v1/assets/{secret}", headers=h).json()["properties"]["name"] == "db"
    hood = client.get("/api/v1/assets/vm-1/neighborhood", params={"depth": 2}, headers=h).json()
    hood_ids = {n["properties"]["id"] for n in hood["nodes"]}
    assert hood_ids - {finding["id"]} == {"vm-1", "internet", "arn:aws:iam::111:role/app", secret}
    assert client.get("/api/v1/assets/vm-1/neighborhood", params={"depth": 4}, headers=h).status_code == 422
    assert client.get("/api/v1/assets/nope", headers=h).status_code == 404


def test_analysis_runs_in_background_and_keys_need_admin(graph, neo4j_settings):
    graph.write("CREATE (:Asset:VirtualMachine {id: 'vm-9', name: 'lonely', provider: 'aws'})")
    client, keys = api_client(graph, neo4j_settings)
    assert client.post("/api/v1/analyses", headers=keys["hunter"]).status_code == 403
    r = client.post("/api/v1/analyses", headers=keys["admin"])
    assert r.status_code == 202 and r.json()["status"] == "running"
    status = wait_for_analysis(client, r.json()["id"], keys["admin"])
    assert status["status"] in ("success", "partial"), status
    assert status["summary"]["rules"]["run"] > 0
    created = client.post("/api/v1/keys", json={"name": "dash", "role": "reader"}, headers=keys["admin"]).json()
    assert client.get("/api/v1/chokepoints", headers={"Authorization": f"Bearer {created['token']}"}).status_code == 200
    assert "token" not in str(client.get("/api/v1/keys", headers=keys["admin"]).json())
    assert client.delete(f"/api/v1/keys/{created['id']}", headers=keys["admin"]).status_code == 204
    assert client.get("/api/v1/chokepoints", headers={"Authorization": f"Bearer {created['token']}"}).status_code == 401


def test_cors_is_off_by_default_and_configurable(graph, neo4j_settings):
    client, _ = api_client(graph, neo4j_settings)
    r = client.get("/api/v1/health", headers={"Origin": "https://evil.example"})
    assert "access-control-allow-origin" not in r.headers
    client, _ = api_client(graph, neo4j_settings, cors_origins="https://ui.example")
    r = client.get("/api/v1/health", headers={"Origin": "https://ui.example"})
    assert r.headers["access-control-allow-origin"] == "https://ui.example"
