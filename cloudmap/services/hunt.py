"""Read-only ad-hoc Cypher for analysts, enforced by the server rather than by string matching.

A hunt is checked before it runs (:mod:`cloudmap.graph.plancheck`): its nesting is scanned before
Neo4j parses it, then Neo4j plans it with ``EXPLAIN`` and we refuse anything that is not a
read-only graph read (writes, ``LOAD CSV``, procedures off a small allow-list, plug-in functions,
administration, ``CALL { } IN TRANSACTIONS``) and anything whose work has no enforceable bound
(huge ``range()``, exponential ``reduce()``, cartesian products of full scans, unbounded
variable-length patterns). It then runs in a READ transaction with a server-side timeout; rows,
response bytes and value sizes are capped, and any cut is reported as ``truncated``.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

import neo4j
from neo4j.exceptions import ClientError, DriverError, Neo4jError
from neo4j.graph import Node, Path, Relationship

from cloudmap.graph import plancheck
from cloudmap.graph.driver import Graph

MAX_QUERY_CHARS = 20_000
MAX_PARAMS = 50
MAX_PARAM_CHARS = 100_000  # the JSON size of all parameters together
MAX_RESPONSE_BYTES = 10_000_000  # JSON of all rows together; rows past it are cut (truncated)
MAX_VALUE_CHARS = 100_000  # one string value; longer ones are cut (truncated)
MAX_LIST_ITEMS = 10_000  # one list value


class HuntError(Exception):
    """A hunt Neo4j rejected, or one that failed while running. ``code`` is Neo4j's status code."""

    def __init__(self, message: str, code: str | None = None, kind: str = "invalid"):
        super().__init__(message)
        self.message = message
        self.code = code
        self.kind = kind  # invalid | timeout | unavailable


class NotReadOnly(HuntError):
    """The query would write, administer the server, or reach outside the graph."""

    def __init__(self, message: str):
        super().__init__(message, code=None, kind="forbidden")


@dataclass
class HuntResult:
    columns: list[str]
    rows: list[dict]
    truncated: bool
    graph: dict | None = None
    notifications: list[str] = field(default_factory=list)

    def as_dict(self) -> dict:
        return {"columns": self.columns, "rows": self.rows, "row_count": len(self.rows),
                "truncated": self.truncated, "graph": self.graph, "notifications": self.notifications}


def check_limits(query: str, params: dict | None) -> None:
    if not isinstance(query, str) or not query.strip():
        raise HuntError("query: empty")
    if len(query) > MAX_QUERY_CHARS:
        raise HuntError(f"query: {len(query)} characters, the limit is {MAX_QUERY_CHARS}")
    params = params or {}
    if len(params) > MAX_PARAMS:
        raise HuntError(f"params: {len(params)} parameters, the limit is {MAX_PARAMS}")
    if len(json.dumps(params, default=str)) > MAX_PARAM_CHARS:
        raise HuntError(f"params: larger than {MAX_PARAM_CHARS} characters of JSON")
    for name, value in params.items():
        _check_param_ints(value, f"params.{name}")


def _check_param_ints(value, where: str) -> None:
    """Neo4j integers are 64-bit; a larger JSON number would fail in the driver, not as a clear error."""
    if isinstance(value, int) and not isinstance(value, bool) and not -2**63 <= value < 2**63:
        raise HuntError(f"{where}: a {value.bit_length()}-bit integer is outside Neo4j's 64-bit range")
    if isinstance(value, list):
        for i, item in enumerate(value):
            _check_param_ints(item, f"{where}[{i}]")
    elif isinstance(value, dict):
        for key, item in value.items():
            _check_param_ints(item, f"{where}.{key}")


def _explain(graph: Graph, query: str, params: dict) -> neo4j.ResultSummary:
    try:
        return plancheck.explain(graph, query, params)[0]
    except Neo4jError as exc:
        raise HuntError(_neo4j_message(exc), code=exc.code) from None
    except DriverError as exc:
        raise HuntError(f"Neo4j is not reachable: {type(exc).__name__}", kind="unavailable") from None


def _neo4j_message(exc: Neo4jError) -> str:
    """Neo4j's message for the analyst (syntax, types) without the server's internals past its first lines."""
    return "\n".join((exc.message or exc.code or "Neo4j rejected the query").splitlines()[:4])[:1000]


def check_read_only(graph: Graph, query: str, params: dict | None = None) -> None:
    """Raise NotReadOnly (or HuntError for invalid or unbounded Cypher) unless the plan is a bounded graph read.

    The nesting scan runs before Neo4j sees the text: deep nesting overflows the server's parser."""
    check_limits(query, params)
    try:
        plancheck.check_nesting(query)
    except plancheck.PlanRefused as exc:
        raise HuntError(exc.message, kind="unbounded") from None
    summary = _explain(graph, query, params or {})
    try:
        plancheck.outside_graph(graph, summary)
    except plancheck.PlanRefused as exc:
        raise NotReadOnly(exc.message) from None
    try:
        plancheck.unbounded(summary, query, params)
    except plancheck.PlanRefused as exc:
        raise HuntError(exc.message, kind="unbounded") from None


def run_hunt(graph: Graph, query: str, params: dict | None = None, *, max_rows: int = 1000,
             timeout_s: float = 30.0) -> HuntResult:
    """Check, then run the query in a READ transaction with the server-side ``timeout_s``.

    At most ``max_rows`` rows and about MAX_RESPONSE_BYTES of JSON come back, and long values are cut;
    any cut sets ``truncated``. The transaction is explicit so that nothing retries a failed hunt."""
    params = params or {}
    check_read_only(graph, query, params)
    collector = GraphCollector()
    rows, size, truncated = [], 0, False
    try:
        with graph.session(default_access_mode=neo4j.READ_ACCESS) as session, \
                session.begin_transaction(timeout=timeout_s) as tx:
            result = tx.run(query, params)
            keys = list(result.keys())
            for record in result:
                if len(rows) == max_rows:
                    truncated = True
                    break
                row = {k: collector.convert(record[k]) for k in keys}
                size += len(json.dumps(row, default=str))
                if size > MAX_RESPONSE_BYTES // 2:  # the graph form repeats at most the rows' content
                    truncated = True
                    if not rows:  # one row alone is too large to answer with
                        collector = GraphCollector()
                    break
                rows.append(row)
            # a cut result is rolled back at once: consuming it would make the server finish the query
            summary = None if truncated else result.consume()
            notes = [n.get("description") or n.get("title", "") for n in (summary.notifications or [])] if summary else []
            tx.rollback()
    except ClientError as exc:
        if "TransactionTimedOut" in (exc.code or "") or "terminated" in (exc.message or "").lower():
            raise HuntError(f"the query ran longer than the {timeout_s:g} s limit (hunt_timeout_s) and was "
                            f"stopped; narrow it with labels, ids or LIMIT", code=exc.code, kind="timeout") from None
        raise HuntError(_neo4j_message(exc), code=exc.code) from None
    except Neo4jError as exc:
        if "MemoryPoolOutOfMemory" in (exc.code or "") or "memory" in (exc.code or "").lower():
            raise HuntError("the query needed more memory than the server allows one transaction "
                            "(db.memory.transaction.max); narrow it with labels, ids or LIMIT",
                            code=exc.code, kind="unbounded") from None
        raise HuntError(_neo4j_message(exc), code=exc.code) from None
    except DriverError as exc:
        raise HuntError(f"Neo4j is not reachable: {type(exc).__name__}", kind="unavailable") from None
    return HuntResult(columns=keys, rows=rows, truncated=truncated or collector.cut, graph=collector.graph(),
                      notifications=notes)


class GraphCollector:
    """Turns driver values into JSON and remembers every node and relationship seen (deduplicated)."""

    def __init__(self):
        self.nodes: dict[str, dict] = {}
        self.rels: dict[str, dict] = {}
        self.cut = False  # a value was longer than MAX_VALUE_CHARS or MAX_LIST_ITEMS

    def _capped(self, value: Any) -> Any:
        if isinstance(value, str) and len(value) > MAX_VALUE_CHARS:
            self.cut = True
            return value[:MAX_VALUE_CHARS]
        if isinstance(value, list):
            if len(value) > MAX_LIST_ITEMS:
                self.cut = True
            return [self._capped(v) for v in value[:MAX_LIST_ITEMS]]
        if isinstance(value, dict):
            return {k: self._capped(v) for k, v in value.items()}
        return value

    def convert(self, value: Any) -> Any:
        if isinstance(value, Node):
            return self._node(value)
        if isinstance(value, Relationship):
            return self._rel(value)
        if isinstance(value, Path):
            return {"nodes": [self._node(n) for n in value.nodes],
                    "relationships": [self._rel(r) for r in value.relationships]}
        if isinstance(value, dict):
            return {k: self.convert(v) for k, v in value.items()}
        if isinstance(value, (list, tuple)):
            if len(value) > MAX_LIST_ITEMS:
                self.cut = True
            return [self.convert(v) for v in value[:MAX_LIST_ITEMS]]
        return self._capped(json_value(value))

    def _node(self, node: Node) -> dict:
        out = {"id": node.element_id, "labels": sorted(node.labels),
               "properties": {k: self._capped(json_value(v)) for k, v in node.items()}}
        self.nodes.setdefault(node.element_id, out)
        return out

    def _rel(self, rel: Relationship) -> dict:
        out = {"id": rel.element_id, "type": rel.type,
               "start": rel.start_node.element_id if rel.start_node is not None else None,
               "end": rel.end_node.element_id if rel.end_node is not None else None,
               "properties": {k: self._capped(json_value(v)) for k, v in rel.items()}}
        for end in (rel.start_node, rel.end_node):
            # An endpoint known only by id (not returned itself) still needs a node in the graph form.
            if end is not None and end.element_id not in self.nodes and end.labels:
                self._node(end)
        self.rels.setdefault(rel.element_id, out)
        return out

    def graph(self) -> dict | None:
        if not self.nodes and not self.rels:
            return None
        return {"nodes": list(self.nodes.values()), "relationships": list(self.rels.values())}


def json_value(value: Any) -> Any:
    """A property value as JSON: temporals as ISO strings, points as maps, bytes as hex."""
    if value is None or isinstance(value, (bool, int, float, str)):
        return value
    if isinstance(value, (list, tuple)):
        return [json_value(v) for v in value]
    if isinstance(value, dict):
        return {k: json_value(v) for k, v in value.items()}
    if hasattr(value, "iso_format"):
        return value.iso_format()
    if hasattr(value, "isoformat"):
        return value.isoformat()
    if isinstance(value, (bytes, bytearray)):
        return value.hex()
    if hasattr(value, "srid"):
        return {"srid": value.srid, "coordinates": list(value)}
    return str(value)
