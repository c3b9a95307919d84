"""The derived-edge contract: the writer accepts only rows that match a RelKind(derived=True),
keeps parallel edges apart by the identity key, and leaves the graph as it was on a bad row."""

from __future__ import annotations

import pytest

from cloudmap.engine.writer import EdgeWriter
from cloudmap.graph.kinds import derived
from cloudmap.graph.kinds.aws import USES_IDENTITY
from cloudmap.graph.model import RowError, rel_kinds


def test_every_move_is_declared_derived_with_typed_evidence():
    kinds = [k for k in rel_kinds().values() if k.derived]
    assert {k.type for k in kinds} >= {"CAN_REACH", "CAN_CONNECT_TO", "CAN_AUTHENTICATE_AS", "CAN_ASSUME",
                                       "CAN_ESCALATE_TO", "CAN_ACCESS"}
    for k in kinds:
        assert all(name in k.prop_map() for name in k.identity)
    assert derived.ESCALATE.identity == ("method",)


def _graph(graph):
    graph.write("CREATE (:Asset:Identity:User {id: 'u'}), (:Asset:Identity:Role {id: 'r'})")


def test_writer_validates_rows_and_keys_parallel_edges(graph):
    _graph(graph)
    w = EdgeWriter(graph, "run-1")
    rows = [{"source": "u", "target": "r", "method": "iam:AttachRolePolicy", "evidence": ["p#0"]},
            {"source": "u", "target": "r", "method": "iam:PutRolePolicy", "evidence": ["p#1"]},
            {"source": "u", "target": "r", "method": "iam:PutRolePolicy", "evidence": ["p#2"]}]
    assert w.write("privilege-escalation", derived.ESCALATE, rows) == 2
    edges = graph.read("MATCH (:User)-[e:CAN_ESCALATE_TO]->(:Role) RETURN e.method AS m, e.evidence AS ev, "
                       "e.derived AS d, e.derived_by AS by ORDER BY m")
    assert edges == [{"m": "iam:AttachRolePolicy", "ev": ["p#0"], "d": True, "by": "privilege-escalation"},
                     {"m": "iam:PutRolePolicy", "ev": ["p#1", "p#2"], "d": True, "by": "privilege-escalation"}]

    w2 = EdgeWriter(graph, "run-2")
    bad = [{"source": "u", "target": "r", "method": "iam:PassRole"},
           {"source": "u", "target": "r", "method": "iam:X", "evidence": "not-a-list-of-str", "colour": "red"}]
    with pytest.raises(RowError, match="CAN_ESCALATE_TO.*field 'evidence': expected list\[str\]"):
        w2.write("privilege-escalation", derived.ESCALATE, bad)
    with pytest.raises(RowError, match="missing required field 'method'"):
        w2.write("privilege-escalation", derived.ESCALATE, [{"source": "u", "target": "r"}])
    # nothing of the bad call was written, and the previous edges are intact
    assert graph.read("MATCH ()-[e:CAN_ESCALATE_TO]->() RETURN count(e) AS n")[0]["n"] == 2
    assert graph.read("MATCH ()-[e:CAN_ESCALATE_TO {run_id: 'run-2'}]->() RETURN count(e) AS n")[0]["n"] == 0


def test_raw_and_derived_kinds_do_not_cross(graph):
    _graph(graph)
    with pytest.raises(RowError, match="raw relationship kind"):
        EdgeWriter(graph, "run-1").write("x", USES_IDENTITY, [{"source": "u", "target": "r"}])
    from cloudmap.graph.ingest import Sync
    with Sync(graph, provider="custom", source="test") as sync:
        with sync.scope("custom/x") as sc:
            sc.rels(derived.ASSUME, [{"source": "u", "target": "r"}])
    assert sync.failed == ["custom/x"] and "derived: only the engine" in sync.errors[0]
    assert graph.read("MATCH ()-[e:CAN_ASSUME]->() RETURN count(e) AS n")[0]["n"] == 0
