"""Honest finding lifecycle through the real CLI and the API: a rule that is no longer loaded retires its
findings, and `analyze`, `cloudmap findings` and GET /findings count the same open findings."""

from __future__ import annotations

from pathlib import Path

from cloudmap.api.models import MAX_PAGE
from cloudmap.rules import load_rules
from tests.helpers import api_client, cli_json
from tests.test_findings import seed

RULE = "CM-X-900"


def analyze(env, rules_dir: Path) -> dict:
    return cli_json(env, "analyze", "--no-derive", "--rules-dir", str(rules_dir), "--format", "json")


def test_findings_of_a_rule_no_longer_loaded_are_retired_and_counts_agree(graph, cli_env, neo4j_settings,
                                                                           tmp_path):
    seed(graph)
    mine, empty = tmp_path / "mine", tmp_path / "empty"
    mine.mkdir()
    empty.mkdir()
    builtin = load_rules()[0]
    first = analyze(cli_env, mine)
    fired = max((n, rule) for rule, n in first["by_rule"].items())[1]
    source = next(r for r in builtin if r.id == fired)
    (mine / "mine.cypher").write_text(Path(source.file).read_text().replace(fired, RULE))
    with_mine = analyze(cli_env, mine)
    added = with_mine["by_rule"][RULE]
    assert added > 0 and with_mine["findings"]["open"] == first["findings"]["open"] + added

    retired = analyze(cli_env, empty)  # the user's rule is gone
    assert retired["findings"]["retired"] == added
    assert retired["findings"]["open"] == first["findings"]["open"]
    assert retired["findings"]["resolved"] == 0, "a retired rule's findings are not 'resolved'"

    open_cli = cli_json(cli_env, "findings", "--format", "json")
    retired_cli = cli_json(cli_env, "findings", "--status", "retired", "--format", "json")
    assert len(open_cli) == retired["findings"]["open"] and RULE not in {f["rule_id"] for f in open_cli}
    assert len(retired_cli) == added and {f["rule_id"] for f in retired_cli} == {RULE}
    client, keys = api_client(graph, neo4j_settings)
    api_open = client.get("/api/v1/findings", params={"limit": MAX_PAGE}, headers=keys["reader"])
    api_retired = client.get("/api/v1/findings", params={"status": "retired", "limit": MAX_PAGE}, headers=keys["reader"])
    assert api_open.status_code == 200 and api_open.json()["next_cursor"] is None  # one page holds them all
    assert len(api_open.json()["items"]) == retired["findings"]["open"]
    assert {f["id"] for f in api_retired.json()["items"]} == {f["id"] for f in retired_cli}
    reasons = graph.read("MATCH (f:Finding {rule_id: $r}) RETURN DISTINCT f.retired_reason AS why", r=RULE)
    assert reasons == [{"why": f"rule {RULE} is no longer loaded (analysis {retired['analysis_id']})"}]

    again = analyze(cli_env, empty)  # nothing flaps: the same findings, nothing new, resolved or reopened
    f = again["findings"]
    assert (f["open"], f["new"], f["resolved"], f["reopened"], f["retired"]) == (retired["findings"]["open"], 0, 0, 0, 0)
