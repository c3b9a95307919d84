"""Checking rule queries with ``EXPLAIN`` and running them (read transactions only)."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

import neo4j
from neo4j.exceptions import Neo4jError

from cloudmap.graph import plancheck
from cloudmap.graph.driver import Graph
from cloudmap.rules import evidence as ev
from cloudmap.rules.loader import COLUMNS, Rule, RuleProblem

RULE_TIMEOUT_S = 120.0
_POSITION = re.compile(r"line (\d+), column (\d+)")
_KEEP_PROPS = ("id", "name", "provider", "account_id", "region")
_BOOKKEEPING = ("first_seen", "last_seen", "sync_id", "scope", "derived")

# A rule's rows are projected on the server onto what a finding keeps: a node's few identifying
# properties and a relationship's evidence, without the bookkeeping timestamps (decoding those took
# more time than the search itself on rules that return thousands of paths).
_VIEW = """CALL () {{
{query}
}}
WITH *, CASE WHEN path IS NULL THEN [] WHEN path IS :: LIST<ANY> THEN path ELSE [path] END AS _parts
RETURN [_p IN _parts | {{
    nodes: [_n IN nodes(_p) | {node}],
    rels: [_r IN relationships(_p) | {{type: type(_r), derived: coalesce(_r.derived, false),
           start: elementId(startNode(_r)), end: elementId(endNode(_r)),
           props: [_k IN keys(_r) WHERE NOT _k IN {skip} | [_k, _r[_k]]]}}]}}] AS path,
  CASE WHEN entry IS NULL THEN null ELSE {entry} END AS entry,
  CASE WHEN target IS NULL THEN null ELSE {target} END AS target, evidence{others}"""
_columns: dict[str, tuple[str, ...]] = {}   # query -> the columns it returns (from its EXPLAIN)


@dataclass
class Match:
    """One row of a rule: the path (ordered nodes and relationships), entry, target and evidence."""
    rule: Rule
    nodes: list[dict]
    relationships: list[dict]
    entry: dict
    target: dict
    evidence: ev.Evidence = field(default_factory=ev.Evidence)
    other_paths: int = 0   # further paths the rule found for this (entry, target) and did not return

    @property
    def hops(self) -> int:
        return len(self.relationships)


class EvidenceProblem(Exception):
    """A match whose evidence does not fit :class:`cloudmap.rules.evidence.Evidence`."""
    def __init__(self, problem: RuleProblem):
        super().__init__(str(problem))
        self.problem = problem


def _evidence_line(rule: Rule) -> int:
    at = rule.query.rfind("AS evidence")
    return rule.body_line + (rule.query.count("\n", 0, at) if at >= 0 else 0)


def check_evidence_keys(rule: Rule) -> RuleProblem | None:
    """Keys of the evidence map literal that the Evidence model does not know, with their line."""
    for key, line in ev.literal_keys(rule.query):
        if key not in ev.FIELDS:
            return RuleProblem(rule.file, rule.body_line + line,
                               f"{rule.id}: unknown evidence key {key!r}; the evidence model has: "
                               f"{', '.join(sorted(ev.FIELDS))}")
    return None


def _problem(rule: Rule, exc: Neo4jError) -> RuleProblem:
    message = (exc.message or str(exc)).strip().splitlines()[0]
    pos = _POSITION.search(exc.message or "")
    line = rule.body_line + int(pos.group(1)) - 1 if pos else rule.body_line
    return RuleProblem(rule.file, line, f"{rule.id}: Neo4j rejects the query: {message}")


def check_rule(graph: Graph, rule: Rule) -> RuleProblem | None:
    """``EXPLAIN`` the query: syntax, read-only (by the planner's query type), returned columns, and
    the keys of its evidence map against the Evidence model."""
    try:
        with graph.session(default_access_mode=neo4j.READ_ACCESS, notifications_min_severity="OFF") as session:
            result = session.run("EXPLAIN " + rule.query, rule.params)
            keys = result.keys()
            summary = result.consume()
            _columns[rule.query] = tuple(keys)
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
    return check_evidence_keys(rule)


def _view(props: dict, labels, element_id: str) -> dict:
    view = {k: props.get(k) for k in _KEEP_PROPS if props.get(k) is not None}
    view.setdefault("id", element_id)
    view.setdefault("name", view["id"])
    view["labels"] = sorted(labels)
    view["element_id"] = element_id
    return view


def node_view(node: neo4j.graph.Node | dict) -> dict:
    """The finding's view of a node, from a driver node or a node projected by :data:`_VIEW`."""
    if isinstance(node, dict):
        return _view(node["props"], node["labels"], node["element_id"])
    return _view(node, node.labels, node.element_id)


def _jsonable(value: Any) -> Any:
    if value is None or isinstance(value, (str, int, float)):
        return value
    if isinstance(value, (list, tuple)):
        return [_jsonable(v) for v in value]
    if isinstance(value, dict):
        return {k: _jsonable(v) for k, v in value.items()}
    if hasattr(value, "iso_format"):
        return value.iso_format()
    if isinstance(value, (neo4j.graph.Node,)):
        return node_view(value)["id"]
    return value


def rel_view(rel: dict, ids: dict[str, str]) -> dict:
    return {"type": rel["type"], "start": ids.get(rel["start"], rel["start"]), "end": ids.get(rel["end"], rel["end"]),
            "derived": bool(rel["derived"]), "evidence": {k: _jsonable(v) for k, v in rel["props"]}}


def _segments(parts: list[dict]) -> tuple[list, list]:
    """Nodes and relationships of the projected path parts, joined end to start (a rule that searches
    the shortest chains from each entry returns [the entry's exposure, the chain])."""
    nodes, rels = [], []
    for part in parts:
        part_nodes = part["nodes"]
        if nodes and part_nodes and nodes[-1]["element_id"] == part_nodes[0]["element_id"]:
            part_nodes = part_nodes[1:]
        nodes += part_nodes
        rels += part["rels"]
    return nodes, rels


def to_match(rule: Rule, record: neo4j.Record) -> Match | None:
    """A row of :data:`_VIEW` (the rule's row projected on the server) as a match."""
    entry, target = record.get("entry"), record.get("target")
    if entry is None or target is None:
        return None
    path_nodes, path_rels = _segments(record.get("path") or [])
    nodes = [node_view(n) for n in path_nodes]
    ids = {n["element_id"]: n["id"] for n in nodes}
    rels = [rel_view(r, ids) for r in path_rels]
    entry_v, target_v = node_view(entry), node_view(target)
    for extra in (entry_v, target_v):               # the path always holds its entry and target
        if extra["element_id"] not in ids:
            nodes.append(extra)
            ids[extra["element_id"]] = extra["id"]
    raw = _jsonable(dict(record.get("evidence") or {}))
    try:
        evidence = ev.validate(raw)
    except ValueError as exc:
        raise EvidenceProblem(RuleProblem(rule.file, _evidence_line(rule),
                                          f"{rule.id}: evidence does not fit the model: {exc}")) from None
    others = record.get("other_paths") if "other_paths" in record.keys() else 0
    return Match(rule, nodes, rels, entry_v, target_v, evidence, max(0, int(others or 0)))


def projected(graph: Graph, rule: Rule) -> str:
    """The rule's query wrapped in :data:`_VIEW`."""
    if rule.query not in _columns:
        with graph.session(default_access_mode=neo4j.READ_ACCESS, notifications_min_severity="OFF") as session:
            result = session.run("EXPLAIN " + rule.query, rule.params)
            _columns[rule.query] = tuple(result.keys())
            result.consume()
    def node(v: str) -> str:
        props = ", ".join(f".{k}" for k in _KEEP_PROPS)
        return f"{{props: {v}{{{props}}}, labels: labels({v}), element_id: elementId({v})}}"
    return _VIEW.format(query=rule.query, node=node("_n"), entry=node("entry"), target=node("target"),
                        skip=repr(list(_BOOKKEEPING)),
                        others=", other_paths" if "other_paths" in _columns[rule.query] else "")


def run_rule(graph: Graph, rule: Rule, params: dict | None = None) -> list[Match]:
    """All matches of one rule (its default params, overridden by ``params``). Raises
    :class:`EvidenceProblem` when a match's evidence has the wrong shape."""
    values = {**rule.params, **(params or {})}
    query = projected(graph, rule)

    @neo4j.unit_of_work(timeout=RULE_TIMEOUT_S)
    def work(tx):
        return [m for m in (to_match(rule, rec) for rec in tx.run(query, values)) if m is not None]

    with graph.session(notifications_min_severity="OFF") as session:
        return session.execute_read(work)
