"""Checking rule queries with ``EXPLAIN`` and running them (read transactions only)."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

import neo4j
from neo4j.exceptions import Neo4jError

from cloudmap.graph import plancheck
from cloudmap.graph.driver import Graph
from cloudmap.rules.loader import COLUMNS, Rule, RuleProblem

RULE_TIMEOUT_S = 120.0
_POSITION = re.compile(r"line (\d+), column (\d+)")
_KEEP_PROPS = ("id", "name", "provider", "account_id", "region")
_BOOKKEEPING = {"first_seen", "last_seen", "sync_id", "scope", "derived"}


@dataclass
class Match:
    """One row of a rule: the path (ordered nodes and relationships), entry, target and evidence."""
    rule: Rule
    nodes: list[dict]
    relationships: list[dict]
    entry: dict
    target: dict
    evidence: dict = field(default_factory=dict)

    @property
    def hops(self) -> int:
        return len(self.relationships)


def _problem(rule: Rule, exc: Neo4jError) -> RuleProblem:
    message = (exc.message or str(exc)).strip().splitlines()[0]
    pos = _POSITION.search(exc.message or "")
    line = rule.body_line + int(pos.group(1)) - 1 if pos else rule.body_line
    return RuleProblem(rule.file, line, f"{rule.id}: Neo4j rejects the query: {message}")


def check_rule(graph: Graph, rule: Rule) -> RuleProblem | None:
    """``EXPLAIN`` the query: syntax, read-only (by the planner's query type) and returned columns."""
    try:
        with graph.session(default_access_mode=neo4j.READ_ACCESS, notifications_min_severity="OFF") as session:
            result = session.run("EXPLAIN " + rule.query, rule.params)
            keys = result.keys()
            summary = result.consume()
    except Neo4jError as exc:
        return _problem(rule, exc)
    if summary.query_type != "r":
        return RuleProblem(rule.file, rule.body_line,
                           f"{rule.id}: the query must be read-only (Neo4j plans it as type {summary.query_type!r})")
    try:  # no files, URLs or plug-ins: the same plan check as hunts
        plancheck.outside_graph(graph, summary)
    except plancheck.PlanRefused as exc:
        return RuleProblem(rule.file, rule.body_line, f"{rule.id}: {exc.message}")
    missing = [c for c in COLUMNS if c not in keys]
    if missing:
        return RuleProblem(rule.file, rule.body_line, f"{rule.id}: the query must return {', '.join(COLUMNS)} "
                                                      f"(missing {', '.join(missing)})")
    return None


def node_view(node: neo4j.graph.Node) -> dict:
    view = {k: node.get(k) for k in _KEEP_PROPS if node.get(k) is not None}
    view.setdefault("id", node.element_id)
    view.setdefault("name", view["id"])
    view["labels"] = sorted(node.labels)
    view["element_id"] = node.element_id
    return view


def _jsonable(value: Any) -> Any:
    if isinstance(value, (list, tuple)):
        return [_jsonable(v) for v in value]
    if isinstance(value, dict):
        return {k: _jsonable(v) for k, v in value.items()}
    if hasattr(value, "iso_format"):
        return value.iso_format()
    if isinstance(value, (neo4j.graph.Node,)):
        return node_view(value)["id"]
    return value


def rel_view(rel: neo4j.graph.Relationship, ids: dict[str, str]) -> dict:
    evidence = {k: _jsonable(v) for k, v in rel.items() if k not in _BOOKKEEPING}
    return {"type": rel.type, "start": ids.get(rel.start_node.element_id, rel.start_node.element_id),
            "end": ids.get(rel.end_node.element_id, rel.end_node.element_id),
            "derived": bool(rel.get("derived")), "evidence": evidence}


def to_match(rule: Rule, record: neo4j.Record) -> Match | None:
    path, entry, target = record.get("path"), record.get("entry"), record.get("target")
    if entry is None or target is None:
        return None
    nodes = [node_view(n) for n in path.nodes] if path is not None else []
    ids = {n["element_id"]: n["id"] for n in nodes}
    rels = [rel_view(r, ids) for r in path.relationships] if path is not None else []
    entry_v, target_v = node_view(entry), node_view(target)
    for extra in (entry_v, target_v):               # the path always holds its entry and target
        if extra["element_id"] not in ids:
            nodes.append(extra)
            ids[extra["element_id"]] = extra["id"]
    evidence = _jsonable(dict(record.get("evidence") or {}))
    return Match(rule, nodes, rels, entry_v, target_v, evidence)


def run_rule(graph: Graph, rule: Rule, params: dict | None = None) -> list[Match]:
    """All matches of one rule (its default params, overridden by ``params``)."""
    values = {**rule.params, **(params or {})}

    @neo4j.unit_of_work(timeout=RULE_TIMEOUT_S)
    def work(tx):
        return [m for m in (to_match(rule, rec) for rec in tx.run(rule.query, values)) if m is not None]

    with graph.session(notifications_min_severity="OFF") as session:
        return session.execute_read(work)
