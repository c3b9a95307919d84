"""The explorer's compiler: each construct and the exact Cypher it produces; names checked against the
declared model; values only as parameters. Pure code, no database."""

from __future__ import annotations

import pytest

from cloudmap.explorer import Question, QuestionError, compile_question
from cloudmap.explorer.question import parse_shorthand
from cloudmap.explorer.vocabulary import vocabulary
from cloudmap.services.explore import parse_question


def compiled(data: dict):
    return compile_question(Question.model_validate(data))


def where_of(cond, kind: str = "VirtualMachine") -> tuple[str, dict]:
    c = compiled({"from": {"kind": kind, "where": [cond]}})
    line = c.cypher.splitlines()[1]
    assert line.startswith("WHERE ")
    return line.removeprefix("WHERE "), {k: v for k, v in c.params.items() if k != "limit"}


def test_start_kind_alone():
    c = compiled({"from": {"kind": "VirtualMachine"}})
    assert c.cypher == ("MATCH (n0:`VirtualMachine`)\n"
                        "RETURN DISTINCT n0 AS `virtualmachine`\n"
                        "ORDER BY `virtualmachine`.`id`\n"
                        "LIMIT $limit")
    assert c.params == {"limit": 100} and c.columns == ["virtualmachine"]


@pytest.mark.parametrize("cond, text, params", [
    ({"property": "name", "value": "web"}, "n0.`name` = $p0", {"p0": "web"}),
    ({"property": "name", "op": "ne", "value": "web"}, "n0.`name` <> $p0", {"p0": "web"}),
    ({"property": "region", "op": "in", "value": ["eu-west-1", "us-east-1"]}, "n0.`region` IN $p0",
     {"p0": ["eu-west-1", "us-east-1"]}),
    ({"property": "name", "op": "contains", "value": "pay"}, "n0.`name` CONTAINS $p0", {"p0": "pay"}),
    ({"property": "name", "op": "starts_with", "value": "pay"}, "n0.`name` STARTS WITH $p0", {"p0": "pay"}),
    ({"property": "name", "op": "ends_with", "value": "-web"}, "n0.`name` ENDS WITH $p0", {"p0": "-web"}),
    ({"property": "name", "op": "gt", "value": "m"}, "n0.`name` > $p0", {"p0": "m"}),
    ({"property": "name", "op": "lte", "value": "m"}, "n0.`name` <= $p0", {"p0": "m"}),
    ({"property": "public_ip", "op": "exists"}, "n0.`public_ip` IS NOT NULL", {}),
    ({"property": "public_ip", "op": "missing"}, "n0.`public_ip` IS NULL", {}),
    ({"tag": "env=prod"}, "$p0 IN n0.`tags`", {"p0": "env=prod"}),
    ({"tag": "env"}, "any(t IN coalesce(n0.`tags`, []) WHERE t STARTS WITH $p0)", {"p0": "env="}),
    ({"fact": "exposed"}, "EXISTS { MATCH (:`Internet`)-[:`CAN_REACH`]->(n0) }", {}),
    ({"fact": "public"}, "EXISTS { MATCH (:`Internet`)-[:`CAN_ACCESS`]->(n0) }", {}),
    ({"fact": "sensitive"}, "EXISTS { MATCH (n0)-[:`STORES`]->(s:`SensitiveInfoType`) }", {}),
    ({"fact": "sensitive", "value": "pci"},
     "EXISTS { MATCH (n0)-[:`STORES`]->(s:`SensitiveInfoType`) WHERE s.`category` IN $p0 }", {"p0": ["pci"]}),
    ({"any_of": [{"property": "name", "value": "a"}, {"tag": "env=prod"}]},
     "(n0.`name` = $p0 OR $p1 IN n0.`tags`)", {"p0": "a", "p1": "env=prod"}),
])
def test_every_condition(cond, text, params):
    assert where_of(cond) == (text, params)


def test_list_properties_and_declared_types():
    # tags is list[str]: eq means "holds", in means "holds any of"
    assert where_of({"property": "tags", "value": "env=prod"})[0] == "$p0 IN n0.`tags`"
    assert where_of({"property": "tags", "op": "in", "value": ["a", "b"]})[0] == \
        "any(v IN coalesce(n0.`tags`, []) WHERE v IN $p0)"
    assert where_of({"property": "tags", "op": "ne", "value": "a"})[0] == "NOT $p0 IN coalesce(n0.`tags`, [])"
    # values are coerced to the declared type: account_id is text even when typed as a number
    assert where_of("account_id=123456789012")[1] == {"p0": "123456789012"}
    assert where_of("cvss_score>=9", "Vulnerability") == ("n0.`cvss_score` >= $p0", {"p0": 9.0})
    assert where_of("kev", "Vulnerability") == ("n0.`kev` = $p0", {"p0": True})
    with pytest.raises(QuestionError, match="expected float"):
        where_of("cvss_score>=high", "Vulnerability")
    with pytest.raises(QuestionError, match="needs a text property"):
        where_of({"property": "cvss_score", "op": "contains", "value": "9"}, "Vulnerability")
    with pytest.raises(QuestionError, match="does not apply to the list property"):
        where_of({"property": "tags", "op": "gt", "value": "a"})


def test_shorthand_forms():
    assert parse_shorthand("exposed") == {"fact": "exposed"}
    assert parse_shorthand("sensitivity=pci,pii") == {"fact": "sensitive", "value": ["pci", "pii"]}
    assert parse_shorthand("tag:env=prod") == {"tag": "env=prod"}
    assert parse_shorthand("severity in critical, high") == {"property": "severity", "op": "in",
                                                             "value": ["critical", "high"]}
    assert parse_shorthand("name starts with pay") == {"property": "name", "op": "starts_with", "value": "pay"}
    assert parse_shorthand("cvss_score>=9.8") == {"property": "cvss_score", "op": "gte", "value": 9.8}
    assert parse_shorthand("name^=prod") == {"property": "name", "op": "starts_with", "value": "prod"}
    assert parse_shorthand("name~=db") == {"property": "name", "op": "contains", "value": "db"}
    assert parse_shorthand("name$=db") == {"property": "name", "op": "ends_with", "value": "db"}
    assert parse_shorthand("name!=db") == {"property": "name", "op": "ne", "value": "db"}
    assert parse_shorthand("epss<0.5") == {"property": "epss", "op": "lt", "value": 0.5}
    assert parse_shorthand("kev") == {"property": "kev", "op": "eq", "value": True}
    assert parse_shorthand("!mfa_enabled") == {"property": "mfa_enabled", "op": "eq", "value": False}
    assert parse_shorthand("public_ip?") == {"property": "public_ip", "op": "exists"}


def test_chain_of_steps_with_directions_hops_and_relationship_conditions():
    c = compiled({"from": {"kind": "VirtualMachine", "where": ["exposed"]},
                  "steps": [{"rel": "CAN_AUTHENTICATE_AS", "to": {"kind": "Identity"}},
                            {"rel": "CAN_ASSUME", "hops": "0..3", "to": {"kind": "Identity", "as": "role"}},
                            {"rel": "CAN_ACCESS", "where": ["level in read,write"],
                             "to": {"kind": "DataStore", "where": ["sensitivity=pci"]}},
                            {"rel": "HAS_VULNERABILITY", "direction": "in", "to": {"kind": "Asset"}},
                            {"rel": "CONTAINS", "direction": "both", "hops": 2}]})
    assert c.cypher == (
        "MATCH (n0:`VirtualMachine`)-[r1:`CAN_AUTHENTICATE_AS`]->(n1:`Identity`) "
        "(()-[r2:`CAN_ASSUME`]->()){0,3} (n2:`Identity`)"
        "-[r3:`CAN_ACCESS` WHERE r3.`level` IN $p0]->(n3:`DataStore`)"
        "<-[r4:`HAS_VULNERABILITY`]-(n4:`Asset`) (()-[r5:`CONTAINS`]-()){1,2} (n5:`Asset`)\n"
        "WHERE EXISTS { MATCH (:`Internet`)-[:`CAN_REACH`]->(n0) }\n"
        "  AND EXISTS { MATCH (n3)-[:`STORES`]->(s:`SensitiveInfoType`) WHERE s.`category` IN $p1 }\n"
        "RETURN DISTINCT n0 AS `virtualmachine`, n1 AS `identity`, n2 AS `role`, n3 AS `datastore`, "
        "n4 AS `asset`, n5 AS `asset_2`\n"
        "ORDER BY `virtualmachine`.`id`, `identity`.`id`, `role`.`id`, `datastore`.`id`, `asset`.`id`, "
        "`asset_2`.`id`\n"
        "LIMIT $limit")
    assert c.params == {"p0": ["read", "write"], "p1": ["pci"], "limit": 100}


def test_returned_nodes_order_and_limit():
    c = compiled({"from": {"kind": "Identity"}, "steps": [{"rel": "CAN_ACCESS", "to": {"kind": "Account"}}],
                  "return": {"nodes": ["account", 0]},
                  "order_by": [{"node": "account", "property": "name", "descending": True}, {"property": "name"}],
                  "limit": 7})
    assert c.cypher.splitlines()[1:] == [
        "RETURN DISTINCT n1 AS `account`, n0 AS `identity`",
        "ORDER BY `account`.`name` DESC, `account`.`name`, `account`.`id`, `identity`.`id`",
        "LIMIT $limit"]
    assert c.params == {"limit": 7} and c.columns == ["account", "identity"]


def test_counts_grouped_by_properties():
    c = compiled({"from": {"kind": "VirtualMachine"},
                  "steps": [{"rel": "HAS_VULNERABILITY", "to": {"kind": "Vulnerability"}}],
                  "return": {"kind": "count", "group_by": [{"node": "vulnerability", "property": "severity"},
                                                           {"node": 0, "property": "account_id"}]}})
    assert c.cypher.splitlines()[1:] == [
        "RETURN n1.`severity` AS `vulnerability_severity`, n0.`account_id` AS `virtualmachine_account_id`, "
        "count(DISTINCT n0) AS `count`",
        "ORDER BY `count` DESC, `vulnerability_severity`, `virtualmachine_account_id`",
        "LIMIT $limit"]
    assert c.columns == ["vulnerability_severity", "virtualmachine_account_id", "count"]
    counted = compiled({"from": {"kind": "VirtualMachine"}, "steps": [{"rel": "HAS_VULNERABILITY"}],
                        "return": {"kind": "count", "nodes": [1]}})
    assert "RETURN count(DISTINCT n1) AS `count`" in counted.cypher


def test_paths():
    c = compiled({"from": {"kind": "Internet"}, "steps": [{"rel": "CAN_REACH", "to": {"kind": "VirtualMachine"}}],
                  "return": "paths", "order_by": [{"node": 1, "property": "name"}]})
    assert c.cypher == ("MATCH p = (n0:`Internet`)-[r1:`CAN_REACH`]->(n1:`VirtualMachine`)\n"
                        "RETURN p AS `path`, length(p) AS `hops`\n"
                        "ORDER BY length(p), n1.`name`, n0.`id`, n1.`id`\n"
                        "LIMIT $limit")
    assert c.columns == ["path", "hops"]


@pytest.mark.parametrize("data, message", [
    ({"from": {"kind": "VirtualMachin"}}, "from.kind: unknown kind 'VirtualMachin'; valid kinds: AWSAccessKey, "),
    ({"from": {"kind": "VirtualMachine", "where": ["colour=red"]}},
     "from.where[0].property: VirtualMachine has no property 'colour'; valid properties: account_id, "),
    ({"from": {"kind": "Identity"}, "steps": [{"rel": "CAN_HACK"}]},
     "steps[0].rel: unknown relationship type 'CAN_HACK'; valid types: "),
    ({"from": {"kind": "Identity"}, "steps": [{"rel": "CAN_ACCESS", "where": ["power=9000"]}]},
     "steps[0].where[0].property: CAN_ACCESS has no property 'power'; valid properties: "),
    ({"from": {"kind": "Identity"}, "steps": [{"rel": "CAN_ACCESS", "where": ["exposed"]}]},
     "steps[0].where[0].fact: facts describe nodes"),
    ({"from": {"kind": "Identity"}, "return": {"kind": "count", "group_by": [{"node": "x", "property": "name"}]}},
     "return.group_by[0].node: no node 'x'; nodes are identity"),
    ({"from": {"kind": "Identity"}, "order_by": [{"property": "colour"}]},
     "order_by[0].property: Identity has no property 'colour'"),
    ({"from": {"kind": "Identity", "as": "bad name"}}, "from.as: 'bad name' is not a column name"),
    ({"from": {"kind": "Identity", "as": "count"}}, "from.as: 'count' is not a column name"),
])
def test_unknown_names_are_one_clear_error_listing_valid_names(data, message):
    with pytest.raises(QuestionError) as exc:
        compiled(data)
    assert message in str(exc.value)
    assert "\n" not in str(exc.value)


def test_valid_names_are_listed_whole():
    with pytest.raises(QuestionError) as exc:
        compiled({"from": {"kind": "Vm"}})
    assert ", VirtualMachine," in str(exc.value) and ", DataStore," in str(exc.value)


def test_model_level_errors_name_the_field():
    for data, message in [
        ({"from": {"kind": "VirtualMachine"}, "limit": 0}, "limit: Input should be greater than or equal to 1"),
        ({"from": {"kind": "VirtualMachine"}, "steps": [{"rel": "CAN_ACCESS", "hops": "1..99"}]},
         "steps.0.hops.max: Input should be less than or equal to 6"),
        ({"from": {"kind": "VirtualMachine"}, "steps": [{"rel": "CAN_ACCESS", "hops": "3..1"}]}, "min 3 is above max 1"),
        ({"from": {"kind": "VirtualMachine"}, "steps": [{"rel": "CAN_ACCESS", "direction": "up"}]},
         "steps.0.direction: Input should be 'out', 'in' or 'both'"),
        ({"from": {"kind": "VirtualMachine", "where": [{"property": "name", "op": "in", "value": "x"}]}},
         "op in needs a list value"),
        ({"from": {"kind": "VirtualMachine"}, "colour": "red"}, "colour: Extra inputs are not permitted"),
        ({"from": {"kind": "VirtualMachine"}, "steps": [{"rel": "CAN_ACCESS"}] * 7}, "steps: List should have at most 6"),
    ]:
        with pytest.raises(QuestionError) as exc:
            parse_question(data)
        assert message in str(exc.value), str(exc.value)


def test_vocabulary_marks_the_engine_moves_as_derived():
    vocab = vocabulary()
    for move in ("CAN_REACH", "CAN_CONNECT_TO", "CAN_AUTHENTICATE_AS", "CAN_ACCESS", "CAN_ASSUME", "CAN_ESCALATE_TO"):
        assert move in vocab.derived and "derived_by" in vocab.relationships[move]
    assert "HAS_VULNERABILITY" in vocab.relationships and "HAS_VULNERABILITY" not in vocab.derived
    assert "kev" in vocab.labels["Vulnerability"] and "first_seen" in vocab.labels["VirtualMachine"]
