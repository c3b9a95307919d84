"""Analysis end to end on a real Neo4j: seed levels, stable ids, resolution, problems, queries, exports, CLI."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

import pytest
from cloudmap.loaders.kit.link import normalize

from cloudmap.findings.analysis import run_analysis
from cloudmap.findings.csvout import to_csv
from cloudmap.findings.query import QueryError, chokepoints, get_finding, list_findings
from cloudmap.findings.sarif import to_sarif
from cloudmap.rules import load_rules
from cloudmap.rules.scoring import level_rank
from tests.helpers import cli_json, run_cli

SEED = (Path(__file__).parent / "fixtures" / "rules" / "seed.cypher").read_text()


def seed(graph):
    graph.write("\n".join(line for line in SEED.splitlines() if not line.startswith("//")))
    normalize(graph)   # as the link pass after a load


def top_level(items: list[dict], entry: str) -> str:
    levels = [f["level"] for f in items if f["entry"]["id"] == entry]
    return max(levels, key=level_rank) if levels else "none"


def everything(graph, **kw) -> list[dict]:
    return list_findings(graph, limit=10_000, **kw)[0]


def test_seed_levels_stable_ids_and_resolution(graph):
    seed(graph)
    first = run_analysis(graph, derive=False)
    assert first["status"] == "success" and first["problems"] == []
    assert first["engine"]["status"] == "skipped"
    items = everything(graph)
    assert top_level(items, "vm-a") in ("high", "critical")
    assert top_level(items, "vm-b") == "medium"
    assert top_level(items, "vm-c") == "low"
    assert first["findings"]["new"] == len(items) and first["findings"]["resolved"] == 0

    second = run_analysis(graph, derive=False)
    again = everything(graph)
    assert {f["id"] for f in again} == {f["id"] for f in items}
    assert {f["id"]: f["first_seen"] for f in again} == {f["id"]: f["first_seen"] for f in items}
    assert second["findings"]["new"] == 0 and second["findings"]["resolved"] == 0

    graph.write("MATCH (:Asset {id: 'role-a'})-[r:CAN_ACCESS]->(:Asset {id: 'cards'}) DELETE r")  # the fix
    third = run_analysis(graph, derive=False)
    assert third["findings"]["resolved"] == 1
    resolved = everything(graph, status="resolved")
    assert [(f["rule_id"], f["entry"]["id"], f["target"]["id"]) for f in resolved] == [("CM-VM-003", "vm-a", "cards")]
    assert top_level(everything(graph), "vm-a") == "medium"
    runs = graph.read("MATCH (a:Analysis) RETURN a.status AS status, a.summary AS summary ORDER BY a.started_at")
    assert [r["status"] for r in runs] == ["success"] * 3
    assert json.loads(runs[-1]["summary"])["findings"]["resolved"] == 1


def test_finding_shape_path_queries_and_chokepoints(graph):
    seed(graph)
    run_analysis(graph, derive=False)
    top, cursor = list_findings(graph, limit=1)
    f = top[0]
    assert (f["rule_id"], f["entry"]["id"], f["target"]["id"]) == ("CM-VM-003", "vm-a", "cards") and cursor
    assert f["entry"] == {"id": "vm-a", "name": "web-a", "labels": ["AWSInstance", "Asset", "VirtualMachine"]}
    assert {"internet-exposure", "critical-vulnerability", "rce", "sensitive-data"} <= set(f["risk_factors"])
    contributions = {x["factor"]: x["contribution"] for x in f["factors"]}
    assert round(sum(contributions.values()), 1) == f["score"] and contributions["sensitivity"] == 2.5
    assert [n["id"] for n in f["path"]["nodes"]] == ["internet", "vm-a", "role-a", "cards"]
    assert [r["type"] for r in f["path"]["relationships"]] == ["CAN_REACH", "CAN_AUTHENTICATE_AS", "CAN_ACCESS"]
    assert f["path"]["relationships"][0]["evidence"]["ports"] == ["*"] and f["remediation"]

    rest, _ = list_findings(graph, limit=100, cursor=cursor)
    assert f["id"] not in {x["id"] for x in rest} and len(rest) == len(everything(graph)) - 1
    assert [x["entry"]["id"] for x in everything(graph, account="222")] == ["vm-c"]
    assert {x["rule_id"] for x in everything(graph, asset="cards")} == {"CM-VM-003"}
    assert {x["level"] for x in everything(graph, level="low")} == {"low"}
    assert all("rce" in x["risk_factors"] for x in everything(graph, risk_factor="rce"))
    with pytest.raises(QueryError, match="level 'severe'"):
        list_findings(graph, level="severe")

    full = get_finding(graph, f["id"])
    roles = {a["id"]: a["role"] for a in full["affects"]}
    assert roles == {"vm-a": "entry", "role-a": "path", "cards": "target"}
    assert full["path"]["nodes"][3]["properties"]["name"] == "cards"
    assert get_finding(graph, "nope") is None
    # each hop explained: its move and the evidence that allows it
    assert [(s["step"], s["from"], s["move"], s["to"]) for s in full["steps"]] == [
        (1, "Internet", "CAN_REACH", "web-a"), (2, "web-a", "CAN_AUTHENTICATE_AS", "role-a"),
        (3, "role-a", "CAN_ACCESS", "cards")]
    assert full["steps"][0]["explanation"].startswith("reachable from the internet on *")
    assert full["steps"][2]["explanation"].startswith("has read access")
    assert full["other_paths"] == 0 and full["also_matched_by"] == ["CM-PATH-001"]   # one finding for one path

    ranked = chokepoints(graph, limit=5)
    # vm-a and its exposure edge carry CM-VM-001, CM-VM-003 and CM-NET-001 (all ports open)
    assert {(i["id"], i["findings"]) for i in ranked[:2]} == {("vm-a", 3), ("(internet)-[:CAN_REACH]->(vm-a)", 3)}
    assert all(i["id"] != "internet" for i in ranked)
    # only the paths of findings at or above a level: the critical/high ones
    severe = {x["id"] for x in everything(graph) if x["level"] in ("critical", "high")}
    top = chokepoints(graph, limit=50, min_level="high")
    assert top and all(i["findings"] <= len(severe) for i in top)
    assert ("vm-a", len(severe)) in {(i["id"], i["findings"]) for i in top}
    with pytest.raises(QueryError, match="min_level 'severe'"):
        chokepoints(graph, min_level="severe")


def test_malformed_rules_are_reported_with_line_and_skipped(graph, tmp_path):
    good = (Path(load_rules()[0][0].file)).read_text()
    (tmp_path / "bad_yaml.cypher").write_text("// id: CM-X-001\n// title: [unclosed\nMATCH (n) RETURN n\n")
    (tmp_path / "missing.cypher").write_text("// id: CM-X-002\n// title: no severity\nMATCH (n) RETURN n\n")
    (tmp_path / "writes.cypher").write_text(good.replace("CM-CRED-001", "CM-X-003").replace(
        "RETURN path,", "SET w.touched = true\nRETURN path,"))
    (tmp_path / "syntax.cypher").write_text(good.replace("CM-CRED-001", "CM-X-004").replace(
        "WITH path, reach", "WITH path reach"))
    (tmp_path / "dup.cypher").write_text(good)
    seed(graph)
    summary = run_analysis(graph, rules_dir=tmp_path, derive=False)
    problems = "\n".join(summary["problems"])
    assert f"{tmp_path / 'bad_yaml.cypher'}:2: header is not valid YAML" in problems
    assert f"{tmp_path / 'missing.cypher'}:1: header lacks required field(s): description, severity" in problems
    assert "writes.cypher" in problems and "must be read-only" in problems
    body_line = next(i for i, line in enumerate(good.splitlines(), 1) if line.startswith("WITH path, reach"))
    assert f"{tmp_path / 'syntax.cypher'}:{body_line}: CM-X-004: Neo4j rejects the query" in problems
    assert "duplicate rule id CM-CRED-001" in problems
    assert summary["status"] == "partial" and summary["rules"]["run"] == len(load_rules()[0])
    assert graph.read("MATCH (n {touched: true}) RETURN count(n) AS n")[0]["n"] == 0
    assert summary["findings"]["open"] > 0


def test_sarif_and_csv_exports(graph):
    seed(graph)
    run_analysis(graph, derive=False)
    items = everything(graph)
    sarif = to_sarif(items, load_rules()[0])
    assert sarif["$schema"].endswith("sarif-2.1.0.json") and sarif["version"] == "2.1.0"
    run = sarif["runs"][0]
    rule_ids = [r["id"] for r in run["tool"]["driver"]["rules"]]
    assert run["tool"]["driver"]["name"] == "cloudmap" and rule_ids
    assert all(r["shortDescription"]["text"] for r in run["tool"]["driver"]["rules"])
    assert len(run["results"]) == len(items)
    for res in run["results"]:
        assert res["ruleId"] in rule_ids and rule_ids[res["ruleIndex"]] == res["ruleId"]
        assert res["level"] in ("error", "warning", "note") and res["message"]["text"]
        loc = res["locations"][0]
        assert loc["physicalLocation"]["artifactLocation"]["uri"].startswith("cypher/rules/CM-")
        assert loc["physicalLocation"]["region"]["startLine"] >= 1 and loc["logicalLocations"][0]["fullyQualifiedName"]
        assert res["partialFingerprints"]["cloudmapFinding/v1"] in {f["id"] for f in items}
    rows = list(csv.DictReader(io.StringIO(to_csv(items))))
    assert len(rows) == len(items) and rows[0]["id"] == items[0]["id"] and ";" in rows[0]["risk_factors"]


def test_cli_analyze_findings_fail_on_rules_and_chokepoints(graph, cli_env):
    seed(graph)
    summary = cli_json(cli_env, "analyze", "--no-derive", "--format", "json")
    assert summary["findings"]["open"] == len(everything(graph)) and summary["findings"]["by_level"]["low"] == 1
    listed = cli_json(cli_env, "findings", "--level", "low", "--format", "json")
    assert [(f["rule_id"], f["entry"]["id"]) for f in listed] == [("CM-VM-008", "vm-c")]
    gate = run_cli(cli_env, "findings", "--fail-on", "high", "--format", "sarif")
    assert gate.returncode == 3, gate.stderr
    assert json.loads(gate.stdout)["version"] == "2.1.0"
    assert run_cli(cli_env, "findings", "--fail-on", "critical", "--rule", "CM-VM-008").returncode == 0
    bad = run_cli(cli_env, "findings", "--level", "severe")
    assert bad.returncode == 2 and "--level 'severe'" in bad.stderr
    assert len(cli_json(cli_env, "rules", "list", "--format", "json")) == len(load_rules()[0])
    shown = cli_json(cli_env, "rules", "show", "CM-VM-003", "--format", "json")
    assert shown["params"] == {"min_cvss": 7.0} and "MATCH path" in shown["query"]
    ranked = cli_json(cli_env, "chokepoints", "--format", "json")
    assert "vm-a" in {i["id"] for i in ranked[:2]}
    assert run_cli(cli_env, "chokepoints", "--min-level", "severe").returncode == 2
    top = everything(graph)[0]
    shown = run_cli(cli_env, "findings", "show", top["id"])
    assert shown.returncode == 0, shown.stderr
    assert "  1. Internet -[CAN_REACH]-> web-a" in shown.stdout and "  3. role-a -[CAN_ACCESS]-> cards" in shown.stdout


def test_a_rule_may_count_the_paths_it_did_not_return(graph, tmp_path):
    """`other_paths` from a rule that keeps one path per (entry, target) adds to the finding's count."""
    from cloudmap.findings.analysis import evaluate

    template = next(r for r in load_rules()[0] if r.id == "CM-VM-003")   # the seed's exposed VM → card data
    (tmp_path / "counted.cypher").write_text(Path(template.file).read_text().replace("CM-VM-003", "CM-X-005")
                                             .replace("RETURN path,", "RETURN 2 AS other_paths, path,"))
    seed(graph)
    rules = [r for r in load_rules([tmp_path])[0] if r.id in ("CM-VM-003", "CM-X-005")]
    rows, ran, problems = evaluate(graph, rules)
    assert not problems and ran == ["CM-VM-003", "CM-X-005"]
    counted = [r["props"] for r in rows if r["props"]["rule_id"] == "CM-X-005"]
    plain = [r["props"] for r in rows if r["props"]["rule_id"] == "CM-VM-003"]
    assert counted and len(counted) == len(plain)
    assert {p["other_paths"] for p in counted} == {2} and {p["other_paths"] for p in plain} == {0}
