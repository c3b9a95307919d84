"""Rule files and scoring without a database: header validation, the catalogue, the score model."""

from __future__ import annotations

import pytest

from cloudmap.rules import catalogue, load_rules, parse_rule
from cloudmap.rules.loader import RuleProblem
from cloudmap.rules.scoring import level_for, score

SEED_VULN = {"max_cvss": 10.0, "epss": 0.2, "rce": True, "kev": False}


def test_catalogue_is_current():
    assert catalogue.DOC.read_text() == catalogue.render(load_rules()[0]), "run: python -m cloudmap.rules.catalogue"


@pytest.mark.parametrize("header, line, message", [
    (("// id: CM-X-001\n// title: x\n// description: x\n// severity: severe\n// risk_factors: [rce]\n"
     "// remediation: x\n"), 4, "severity 'severe'"),
    ("// id: cm-x\n// title: x\n// description: x\n// severity: low\n// risk_factors: [rce]\n// remediation: x\n",
     1, "id 'cm-x' must look like"),
    (("// id: CM-X-001\n// title: x\n// description: x\n// severity: low\n// risk_factors: [scary]\n"
     "// remediation: x\n"), 5, "unknown risk factor(s) scary"),
    (("// id: CM-X-001\n// title: x\n// description: x\n// severity: low\n// risk_factors: [rce]\n"
     "// remediation: x\n// attack: [lateral]\n"), 7, "MITRE ATT&CK"),
    (("// id: CM-X-001\n// title: x\n// short_title: Internet-exposed VM with a very long name\n"
      "// description: x\n// severity: low\n// risk_factors: [rce]\n// remediation: x\n"), 3,
     "short_title has 41 characters; keep it to 34"),
    ("MATCH (n) RETURN n\n", 1, "no header"),
])
def test_header_problems_name_the_line(tmp_path, header, line, message):
    path = tmp_path / "r.cypher"
    path.write_text(header + "MATCH p = (n) RETURN p AS path, n AS entry, n AS target, {} AS evidence\n"
                    if header.startswith("//") else header)
    problem = parse_rule(path)
    assert isinstance(problem, RuleProblem) and problem.line == line and message in problem.message, problem
    assert str(problem).startswith(f"{path}:{line}: ")


def test_a_short_title_labels_the_rule_in_narrow_tables(tmp_path):
    header = "// id: CM-X-001\n// title: A long title for wide tables\n// description: x\n// severity: low\n" \
             "// risk_factors: [rce]\n// remediation: x\n"
    body = "MATCH p = (n) RETURN p AS path, n AS entry, n AS target, {} AS evidence\n"
    (tmp_path / "plain.cypher").write_text(header + body)
    (tmp_path / "short.cypher").write_text(header.replace("CM-X-001", "CM-X-002") + "// short_title: Short\n" + body)
    plain, short = parse_rule(tmp_path / "plain.cypher"), parse_rule(tmp_path / "short.cypher")
    assert (plain.label, short.label, short.title) == ("A long title for wide tables", "Short",
                                                       "A long title for wide tables")


def test_two_statements_are_refused(tmp_path):
    path = tmp_path / "r.cypher"
    path.write_text("// id: CM-X-001\n// title: x\n// description: x\n// severity: low\n// risk_factors: [rce]\n"
                    "// remediation: x\nMATCH (n) RETURN n;\nMATCH (m) DETACH DELETE m\n")
    assert "one query per rule file" in parse_rule(path).message


def test_seed_levels_from_the_score_model():
    high = score({**SEED_VULN, "exposure": "internet", "privilege": "read", "sensitivity": ["pci"]}, "high", 3)
    medium = score({**SEED_VULN, "exposure": "internet"}, "medium", 1)
    low = score({**SEED_VULN, "exposure": "none"}, "low", 0)
    assert (high["level"], medium["level"], low["level"]) == ("high", "medium", "low")
    assert [f["factor"] for f in high["factors"]] == ["severity", "exposure", "exploitability", "privilege",
                                                      "sensitivity", "path_length"]
    assert round(sum(f["contribution"] for f in high["factors"]), 1) == high["score"]
    assert {"internet-exposure", "critical-vulnerability", "rce", "sensitive-data"} <= set(high["risk_factors"])


def test_score_is_bounded_and_levels_follow_thresholds():
    worst = score({"exposure": "public", "max_cvss": 10, "kev": True, "rce": True, "epss": 1, "privilege": "admin",
                   "sensitivity": ["pci", "phi"], "critical": True, "weaknesses": ["no-auth"]}, "critical", 1)
    assert worst["score"] == 10.0 and worst["level"] == "critical"
    long_path = score({"exposure": "internet"}, "low", 12)
    assert next(f for f in long_path["factors"] if f["factor"] == "path_length")["contribution"] == -1.0
    assert score({}, "low", 0)["score"] == 0.2
    assert [level_for(s) for s in (9.0, 8.99, 7.0, 4.0, 3.9)] == ["critical", "high", "high", "medium", "low"]
