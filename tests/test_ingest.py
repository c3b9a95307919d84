"""The shared write path: batched idempotent writes, validation, scoped cleanup, sync records."""

from __future__ import annotations

import json

import pytest

from cloudmap.graph.ingest import Sync, SyncPolicy
from cloudmap.graph.model import RowError, node_kind, rel_kind, validate_row

BOX = node_kind("TestBox", ("VirtualMachine",), properties=(("cpus", "int"), ("public", "bool"),
                                                             ("document", "json")), description="test only")
SHELF = node_kind("TestShelf", ("Network",), description="test only")
ON = rel_kind("TEST_ON", BOX, SHELF, properties=(("slot", "int"),), description="test only")


def boxes(n, prefix="b"):
    return [{"id": f"{prefix}{i}", "name": f"box {i}", "cpus": i, "provider": "test", "account_id": "1"}
            for i in range(n)]


def counts(graph):
    return graph.read("MATCH (n:Asset) WITH count(n) AS n OPTIONAL MATCH ()-[r:TEST_ON]->() RETURN n, count(r) AS r")[0]


def test_validation_names_kind_id_and_field():
    with pytest.raises(RowError, match=r"TestBox 'x1': field 'cpus': expected int"):
        validate_row(BOX, {"id": "x1", "cpus": "many"})
    with pytest.raises(RowError, match=r"TestBox None: missing required field 'id'"):
        validate_row(BOX, {"name": "no id"})
    with pytest.raises(RowError, match="undeclared field 'colour'"):
        validate_row(BOX, {"id": "x", "colour": "red"})
    assert validate_row(BOX, {"id": "x", "document": {"a": 1}})["document"] == '{"a": 1}'


def test_write_is_batched_idempotent_and_labelled(graph):
    for _ in range(2):
        with Sync(graph, "test", "unit", batch_size=7) as sync:
            with sync.scope("test/1") as sc:
                sc.nodes(BOX, boxes(20))
                sc.nodes(SHELF, [{"id": "s1", "name": "shelf"}])
                sc.rels(ON, [{"source": f"b{i}", "target": "s1", "slot": i} for i in range(20)])
    assert counts(graph) == {"n": 21, "r": 20}
    row = graph.read("MATCH (b:TestBox {id: 'b3'}) RETURN labels(b) AS l, b.cpus AS c, b.sync_id AS s, "
                     "b.first_seen < b.last_seen AS aged")[0]
    assert row["l"][:3] == ["Asset", "VirtualMachine", "TestBox"] and row["c"] == 3
    assert row["s"] == sync.id and row["aged"] is True


def test_bad_rows_are_counted_warnings_not_half_batches(graph):
    rows = boxes(5) + [{"id": "bad", "cpus": "lots"}, {"name": "no id"}]
    with Sync(graph, "test", "unit") as sync:
        with sync.scope("test/1") as sc:
            assert sc.nodes(BOX, rows) == 5
            sc.rels(ON, [{"source": "b1", "target": "missing"}])
    assert sync.warning_count == 3
    assert any("TestBox 'bad'" in w for w in sync.warnings)
    rec = graph.read("MATCH (s:Sync {id: $id}) RETURN s.status AS status, s.warning_count AS w", id=sync.id)[0]
    assert rec == {"status": "success", "w": 3}


def test_cleanup_is_scoped_and_skips_failed_scopes(graph):
    with Sync(graph, "test", "first") as sync:
        for scope in ("test/a", "test/b"):
            with sync.scope(scope) as sc:
                sc.nodes(BOX, boxes(3, prefix=scope[-1]))
                sc.nodes(SHELF, [{"id": f"shelf-{scope[-1]}"}])
                sc.rels(ON, [{"source": f"{scope[-1]}{i}", "target": f"shelf-{scope[-1]}"} for i in range(3)])
    # second sync: scope a now has one box less; scope b fails (e.g. AccessDenied) after writing nothing
    with Sync(graph, "test", "second") as sync2:
        with sync2.scope("test/a") as sc:
            sc.nodes(BOX, boxes(2, prefix="a"))
            sc.nodes(SHELF, [{"id": "shelf-a"}])
            sc.rels(ON, [{"source": "a0", "target": "shelf-a"}])
        with sync2.scope("test/b"):
            raise PermissionError("AccessDenied")
    ids = {r["id"] for r in graph.read("MATCH (n:TestBox) RETURN n.id AS id")}
    assert ids == {"a0", "a1", "b0", "b1", "b2"}
    rels = {(r["s"], r["t"]) for r in graph.read("MATCH (a)-[:TEST_ON]->(b) RETURN a.id AS s, b.id AS t")}
    assert rels == {("a0", "shelf-a"), ("b0", "shelf-b"), ("b1", "shelf-b"), ("b2", "shelf-b")}
    rec = graph.read("MATCH (s:Sync {id: $id}) RETURN s AS s", id=sync2.id)[0]["s"]
    assert rec["status"] == "partial" and rec["scopes_failed"] == ["test/b"]
    assert "AccessDenied" in rec["errors"][0]
    assert json.loads(rec["removed"]) == {"relationships": 2, "nodes": 1}


def test_cleanup_of_a_hub_node_is_batched(graph):
    """A stale node with more relationships than one delete batch is removed completely."""
    with Sync(graph, "test", "hub") as sync:
        with sync.scope("test/hub") as sc:
            sc.nodes(SHELF, [{"id": "hub"}])
        with sync.scope("test/boxes") as sc:
            sc.nodes(BOX, boxes(12000))
            sc.rels(ON, [{"source": f"b{i}", "target": "hub"} for i in range(12000)])
    with Sync(graph, "test", "hub gone", policy=SyncPolicy(force_cleanup=True)) as sync:
        with sync.scope("test/hub"):
            pass
    assert graph.read("MATCH (n:TestShelf) RETURN count(n) AS c")[0]["c"] == 0
    assert graph.read("MATCH ()-[r:TEST_ON]->() RETURN count(r) AS c")[0]["c"] == 0


def test_failed_sync_is_recorded(graph):
    with pytest.raises(ValueError):
        with Sync(graph, "test", "boom") as sync:
            raise ValueError("source exploded")
    rec = graph.read("MATCH (s:Sync {id: $id}) RETURN s.status AS st, s.errors AS e", id=sync.id)[0]
    assert rec["st"] == "failed" and "source exploded" in rec["e"][0]
