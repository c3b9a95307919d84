"""Every built-in rule: Neo4j accepts it as read-only, it fires on its fixture graph and stays silent
on the near miss (tests/fixtures/rules/<id>.yaml)."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml
from cloudmap.loaders.kit.link import normalize

from cloudmap.rules import load_rules
from cloudmap.rules.runner import check_rule, run_rule

FIXTURES = Path(__file__).parent / "fixtures" / "rules"
RULES, PROBLEMS = load_rules()
BY_ID = {r.id: r for r in RULES}


def fixture(rule_id: str) -> dict:
    return yaml.safe_load((FIXTURES / f"{rule_id}.yaml").read_text())


def test_library_is_complete_and_clean():
    assert PROBLEMS == []
    assert len(RULES) >= 30
    assert {p.stem for p in FIXTURES.glob("CM-*.yaml")} == set(BY_ID), "every rule needs a fire/miss fixture"
    for rule in RULES:
        assert Path(rule.file).name.startswith(rule.id)


@pytest.mark.parametrize("rule_id", sorted(BY_ID))
def test_rule_fires_and_near_miss_is_silent(graph, rule_id):
    rule, fx = BY_ID[rule_id], fixture(rule_id)
    assert check_rule(graph, rule) is None
    graph.write(fx["fire"])
    normalize(graph)   # as the link pass after a load
    matches = run_rule(graph, rule, fx.get("params"))   # a rule that needs its parameters set names them
    assert {(m.entry["id"], m.target["id"]) for m in matches} == {(fx["expect"]["entry"], fx["expect"]["target"])}
    for m in matches:
        assert m.evidence.exposure in ("public", "internet", "lateral", "identity", "external", "compromised",
                                       "internal", "none")
        assert m.nodes[0]["id"] in ("internet", fx["expect"]["entry"]) or "AccessKey" in m.nodes[0]["labels"]
    graph.write("MATCH (n) WHERE NOT n:SchemaVersion DETACH DELETE n")
    graph.write(fx["miss"])
    normalize(graph)
    assert run_rule(graph, rule, fx.get("params")) == []
