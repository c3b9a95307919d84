"""The generic path rules on the moto estate of test_admin_target: the principal that rewrites its own
policy and the one that can join the admin group each get one CM-PATH-003 finding to the account; the
decoys (an explicit deny, a non-admin group) get none."""

from __future__ import annotations

from cloudmap.rules import load_rules
from cloudmap.rules.runner import check_rule, run_rule
from tests.attack_paths.test_admin_target import estate  # noqa: F401 - the shared moto estate


def test_path_rules_are_valid(estate):  # noqa: F811
    graph, _ = estate
    rules, problems = load_rules()
    assert not problems
    for rule in (r for r in rules if r.id.startswith("CM-PATH-")):  # the generic path rules
        assert check_rule(graph, rule) is None, rule.id


def test_identity_to_admin_findings(estate):  # noqa: F811
    graph, ids = estate
    rule = next(r for r in load_rules()[0] if r.id == "CM-PATH-003")
    found: dict[tuple, int] = {}
    for m in run_rule(graph, rule):     # the fewest hops per (entry, target) is the best path
        key = (m.entry["id"], m.target["id"])
        found[key] = min(found.get(key, m.hops), m.hops)
    assert found.get((ids["dev"], ids["account"])) == 1
    assert found.get((ids["helpdesk"], ids["account"])) == 2
    assert not any(e in (ids["dev-denied"],) for e, _ in found)
