"""`cloudmap findings diff` and GET /findings/diff across real analyses: one fix and one new path."""

from __future__ import annotations

from tests.helpers import api_client, cli_json, run_cli
from tests.test_findings import seed


def analyze(env: dict) -> str:
    return cli_json(env, "analyze", "--no-derive", "--format", "json")["analysis_id"]


def changes(result: dict) -> set[tuple]:
    return {(i["change"], i["rule_id"], i["entry"]["id"], i["target"]["id"]) for i in result["items"]}


def test_diff_across_analyses_with_one_fix_and_one_new_path(graph, cli_env, neo4j_settings):
    seed(graph)
    first = analyze(cli_env)
    # the fix: role-a no longer reads the card data; the new path: role-b now does
    graph.write("MATCH (:Asset {id: 'role-a'})-[r:CAN_ACCESS]->(:Asset {id: 'cards'}) DELETE r")
    graph.write("MATCH (b:Asset {id: 'role-b'}), (c:Asset {id: 'cards'}) "
                "CREATE (b)-[:CAN_ACCESS {derived: true, level: 'read'}]->(c)")
    analyze(cli_env)
    result = cli_json(cli_env, "findings", "diff", "--since", first, "--format", "json")
    assert ("resolved", "CM-VM-003", "vm-a", "cards") in changes(result)
    assert ("new", "CM-VM-003", "vm-b", "cards") in changes(result)
    assert result["counts"]["resolved"] == 1 and result["counts"]["new"] == 1
    assert sum(result["counts"].values()) == len(result["items"])
    assert result["since"]["analysis_id"] == first and len(result["analyses"]) == 1
    # vm-b's path to the card data outranks its other findings: listed first among what changed, high or above
    new = next(i for i in result["items"] if i["change"] == "new")
    assert new["level"] in ("high", "critical") and new["status"] == "open"

    # the same answer by default (the last analysis's changes) and over HTTP
    assert changes(cli_json(cli_env, "findings", "diff", "--format", "json")) == changes(result)
    client, keys = api_client(graph, neo4j_settings)
    r = client.get("/api/v1/findings/diff", params={"since": first}, headers=keys["reader"])
    assert r.status_code == 200 and changes(r.json()) == changes(result)
    assert client.get("/api/v1/findings/diff", params={"since": "yesterday"},
                      headers=keys["reader"]).status_code == 400

    # an analysis with nothing changed: empty by default, the same two changes since the first
    analyze(cli_env)
    assert cli_json(cli_env, "findings", "diff", "--format", "json")["items"] == []
    assert changes(cli_json(cli_env, "findings", "diff", "--since", first, "--format", "json")) == changes(result)
    # undoing the fix reopens the finding
    graph.write("MATCH (a:Asset {id: 'role-a'}), (c:Asset {id: 'cards'}) "
                "CREATE (a)-[:CAN_ACCESS {derived: true, level: 'read'}]->(c)")
    analyze(cli_env)
    assert ("reopened", "CM-VM-003", "vm-a", "cards") in changes(cli_json(cli_env, "findings", "diff", "--format",
                                                                           "json"))
    # since a date: every analysis of that day, the first included, so all that is there now is new
    today = graph.read("MATCH (a:Analysis) RETURN toString(date(a.started_at)) AS d LIMIT 1")[0]["d"]
    whole_day = cli_json(cli_env, "findings", "diff", "--since", today, "--format", "json")
    assert len(whole_day["analyses"]) == 4 and {c[0] for c in changes(whole_day)} == {"new"}
    assert {("new", "CM-VM-003", "vm-a", "cards"), ("new", "CM-VM-003", "vm-b", "cards")} <= changes(whole_day)

    md = run_cli(cli_env, "findings", "diff", "--since", first, "--format", "markdown")
    assert md.returncode == 0 and "| change | level | score | rule | finding | path |" in md.stdout
    assert "| new |" in md.stdout and "web-b → cards" in md.stdout
    table = run_cli(cli_env, "findings", "diff", "--since", first)   # net: the fix was undone since
    assert table.returncode == 0 and "1 new, 0 resolved, 0 reopened, 0 level changed" in table.stdout
    bad = run_cli(cli_env, "findings", "diff", "--since", "analysis-nope")
    assert bad.returncode == 2 and "since 'analysis-nope'" in bad.stderr
