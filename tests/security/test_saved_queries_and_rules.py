"""Saved queries have owners and a history and are checked at save and at run; rules cannot reach
files or URLs; every documented findings filter is honoured."""

from __future__ import annotations

import json

from cloudmap.findings import store as findings_store
from cloudmap.findings.analysis import evaluate
from cloudmap.graph.ingest import now
from cloudmap.rules import load_rules
from cloudmap.services.apikeys import create_key
from cloudmap.services.authstore import open_store
from tests.helpers import api_client, run_cli
from tests.security.common import SEED, fingerprint

MINE = {"id": "team-vms", "title": "VMs", "query": "MATCH (v:VirtualMachine) RETURN v.name AS name ORDER BY name"}


def test_only_the_owner_or_an_admin_changes_a_query_and_readers_see_the_change(graph, neo4j_settings):
    graph.write(SEED)
    client, keys = api_client(graph, neo4j_settings)
    other = {"Authorization": f"Bearer {create_key(open_store(neo4j_settings), 'mallory', 'hunter')[1]}"}
    assert client.post("/api/v1/queries", json=MINE, headers=keys["hunter"]).status_code == 201
    first = client.post("/api/v1/queries/team-vms/run", headers=keys["reader"]).json()
    assert first["saved_query"]["version"] == 1 and first["saved_query"]["changed"] is False

    evil = {**MINE, "query": "MATCH (n) RETURN n.id AS name"}
    r = client.put("/api/v1/queries/team-vms", json=evil, headers=other)
    assert r.status_code == 403 and "test-hunter" in r.json()["detail"]
    assert client.delete("/api/v1/queries/team-vms", headers=other).status_code == 403
    assert client.get("/api/v1/queries/team-vms", headers=keys["reader"]).json()["query"] == MINE["query"]

    changed = {**MINE, "query": "MATCH (v:VirtualMachine) RETURN v.id AS name ORDER BY name"}
    assert client.put("/api/v1/queries/team-vms", json=changed, headers=keys["hunter"]).status_code == 200
    assert client.put("/api/v1/queries/team-vms", json={**changed, "title": "By admin"},
                      headers=keys["admin"]).status_code == 200
    run = client.post("/api/v1/queries/team-vms/run", headers=keys["reader"]).json()
    assert run["saved_query"]["version"] == 3 and run["saved_query"]["changed"] is True
    assert run["saved_query"]["updated_by"] == "test-admin" and run["saved_query"]["owner"] == "test-hunter"
    history = client.get("/api/v1/queries/team-vms/history", headers=keys["reader"]).json()["items"]
    assert [(h["version"], h["action"], h["changed_by"]) for h in history] == [
        (1, "create", "test-hunter"), (2, "replace", "test-hunter"), (3, "replace", "test-admin")]
    assert history[1]["old_query"] == MINE["query"] and history[2]["old_title"] == "VMs"
    assert client.delete("/api/v1/queries/team-vms", headers=keys["hunter"]).status_code == 204


def test_saved_queries_are_checked_when_saved_and_again_when_run(graph, neo4j_settings):
    graph.write(SEED)
    before = fingerprint(graph)
    client, keys = api_client(graph, neo4j_settings)
    for query in ("LOAD CSV FROM 'http://127.0.0.1:9/' AS l RETURN l", "MATCH p = (a)-[*]->(b) RETURN p",
                  "MATCH (n) DETACH DELETE n", "RETURN " + "[" * 5000 + "]" * 5000):
        r = client.post("/api/v1/queries", json={**MINE, "id": "hostile", "query": query}, headers=keys["hunter"])
        assert r.status_code in (400, 403), (query[:50], r.text)
    # text that reached the store another way (an older version, an edited file) is refused at run time
    with open_store(neo4j_settings).connect() as db:
        db.execute("INSERT INTO saved_queries VALUES ('planted', 't', '', '[]', '{}', "
                   "'LOAD CSV FROM ''http://127.0.0.1:9/'' AS l RETURN l', 'x', 'x', 1, 'now', 'now', 'x')")
    r = client.post("/api/v1/queries/planted/run", headers=keys["reader"])
    assert r.status_code == 403 and "LOAD CSV" in r.json()["detail"]
    assert fingerprint(graph) == before


RULE = """// id: CM-EVIL-001
// title: Fetches a URL
// severity: high
// description: reads a URL from the database server
// risk_factors: [internet-exposure]
// remediation: none
{body}
"""


def test_rules_that_read_files_or_urls_are_refused(graph, neo4j_settings, cli_env, tmp_path):
    rules_dir = tmp_path / "rules"
    rules_dir.mkdir()
    body = ("LOAD CSV FROM 'http://127.0.0.1:9/steal' AS line "
            "MATCH p = (entry:Internet)-[:CAN_REACH]->(target) "
            "RETURN p AS path, entry, target, {location: line} AS evidence")
    (rules_dir / "CM-EVIL-001.cypher").write_text(RULE.format(body=body))
    (rules_dir / "CM-EVIL-002.cypher").write_text(RULE.replace("EVIL-001", "EVIL-002").format(
        body=body.replace("LOAD CSV FROM 'http://127.0.0.1:9/steal' AS line", "WITH 'file:///etc/passwd' AS line")))
    proc = run_cli(cli_env, "rules", "check", "--rules-dir", str(rules_dir))
    assert proc.returncode == 1, proc.stdout + proc.stderr
    assert "CM-EVIL-001" in proc.stderr and "LOAD CSV is not allowed" in proc.stderr
    assert "CM-EVIL-002" not in proc.stderr.replace("CM-EVIL-001", "")   # a plain string is no reason
    graph.write(SEED)
    rules, problems = load_rules([rules_dir])
    evil = [r for r in rules if r.id == "CM-EVIL-001"]
    assert evil, problems
    rows, _, problems = evaluate(graph, evil)
    assert rows == [] and any("LOAD CSV" in p.message for p in problems)


def test_every_documented_findings_filter_is_honoured(graph, neo4j_settings):
    from tests.test_api_fuzz import SEED as FINDING_SEED

    graph.write(FINDING_SEED)
    rules, _ = load_rules()
    rows, _, _ = evaluate(graph, [r for r in rules if r.id == "CM-CRED-001"])
    findings_store.write_findings(graph, rows, "analysis-filters", now())
    client, keys = api_client(graph, neo4j_settings)
    everything = client.get("/api/v1/findings", params={"view": "full"}, headers=keys["reader"]).json()["items"]
    assert everything
    f = everything[0]
    account = next(n.get("account_id") for n in f["path"]["nodes"] if n.get("account_id"))
    checks = {"rule": (f["rule_id"], "NO-SUCH-RULE"), "account": (account, "000000000000"),
              "asset": (f["target"]["id"], "no-such-asset"), "risk_factor": (f["risk_factors"][0], "no-such-factor"),
              "level": (f["level"], "critical" if f["level"] != "critical" else "low")}
    for name, (hit, miss) in checks.items():
        got = client.get("/api/v1/findings", params={name: hit}, headers=keys["reader"]).json()["items"]
        assert got and all(x["id"] in {e["id"] for e in everything} for x in got), (name, hit, everything[0])
        assert client.get("/api/v1/findings", params={name: miss}, headers=keys["reader"]).json()["items"] == [], name
    lower = client.get("/api/v1/findings", params={"rule": f["rule_id"].lower()}, headers=keys["reader"]).json()
    assert len(lower["items"]) == len([e for e in everything if e["rule_id"] == f["rule_id"]]), json.dumps(lower)[:200]
