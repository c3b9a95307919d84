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


# The attack-path rubric of docs/scoring.md, row by row: (evidence, hops, level).
RUBRIC = [
    ({"exposure": "internet", "weaknesses": ["imds-v1"], "privilege": "read", "sensitivity": ["pci"],
      "target_class": "data"}, 3, "high"),
    ({"exposure": "internet", "max_cvss": 7.5, "vulnerabilities": ["CVE-1"], "privilege": "read",
      "sensitivity": ["pii"], "target_class": "data"}, 6, "high"),
    ({"exposure": "internet", "max_cvss": 9.8, "kev": True, "vulnerabilities": ["CVE-1"], "privilege": "read",
      "sensitivity": ["pci"], "target_class": "data"}, 3, "critical"),
    ({"exposure": "internet", "weaknesses": ["management-port"], "privilege": "read", "critical": True,
      "target_class": "crown-jewel"}, 4, "critical"),
    ({"exposure": "internet", "privilege": "read", "sensitivity": ["pci"], "target_class": "data"}, 3, "medium"),
    ({"exposure": "internet", "privilege": "admin", "target_class": "admin"}, 3, "high"),
    ({"exposure": "internet", "weaknesses": ["no-auth"], "rce": True, "vulnerabilities": ["CVE-2"],
      "privilege": "admin", "target_class": "admin"}, 5, "critical"),
    ({"exposure": "identity", "privilege": "admin", "target_class": "admin"}, 1, "high"),
    ({"exposure": "identity", "privilege": "admin", "target_class": "admin"}, 8, "high"),
    ({"exposure": "identity", "privilege": "read", "sensitivity": ["pii"], "target_class": "data"}, 2, "medium"),
    ({"exposure": "external", "privilege": "read", "sensitivity": ["pci"], "target_class": "data"}, 2, "medium"),
    ({"exposure": "external", "privilege": "read", "critical": True, "target_class": "crown-jewel"}, 2, "high"),
    ({"exposure": "public", "weaknesses": ["open-trust"], "privilege": "read", "target_class": "secret"}, 2, "high"),
    ({"exposure": "public", "weaknesses": ["open-trust"], "privilege": "read", "critical": True,
      "target_class": "crown-jewel"}, 2, "critical"),
    ({"exposure": "internal", "privilege": "read", "sensitivity": ["pci"], "target_class": "data"}, 3, "low"),
]


@pytest.mark.parametrize(("evidence", "hops", "level"), RUBRIC)
def test_attack_path_rubric(evidence, hops, level):
    scored = score(evidence, "high", hops)
    assert scored["level"] == level, scored["factors"]
    assert level_for(scored["score"]) == level          # the score sits inside the level's band
    assert scored["factors"][-1]["factor"] == "rubric"


def test_template_evidence_keeps_factor_levels():
    """Without a target class (template rules) no rubric applies: the seed levels come from the factors."""
    assert not any(f["factor"] == "rubric" for f in score({**SEED_VULN, "exposure": "internet"}, "medium", 1)["factors"])


def test_evidence_of_the_wrong_shape_is_refused():
    from cloudmap.rules.evidence import validate
    with pytest.raises(ValueError, match="exposure"):
        validate({"exposure": "everywhere"})
    with pytest.raises(ValueError, match="unknown weakness"):
        validate({"weaknesses": ["imdsv1"]})
    with pytest.raises(ValueError, match="exposre"):
        validate({"exposre": "internet"})


def test_rules_check_names_the_line_of_an_unknown_evidence_key(tmp_path):
    from cloudmap.rules.runner import check_evidence_keys
    path = tmp_path / "CM-X-001.cypher"
    path.write_text("// id: CM-X-001\n// title: t\n// description: d\n// severity: low\n// risk_factors: [rce]\n"
                    "// remediation: r\nMATCH (n:Asset)\nRETURN n AS path, n AS entry, n AS target,\n"
                    "  {exposure: 'internet',\n   exposre: 'internet'} AS evidence\n")
    rule = parse_rule(path)
    problem = check_evidence_keys(rule)
    assert problem is not None and (problem.file, problem.line) == (str(path), 10)
    assert "exposre" in problem.message
