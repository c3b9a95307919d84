"""Read-only ad-hoc Cypher for analysts, enforced by the server rather than by string matching.

A hunt is checked before it runs: Neo4j plans it with ``EXPLAIN`` and we refuse anything whose
query type is not read-only (``r``), any operator that reaches outside the graph (``LOAD CSV``,
administration and transaction commands), any procedure not on a small allow-list and any
function that is not one of the server's built-ins. It then runs in a READ transaction with a
transaction timeout, fetching at most ``max_rows + 1`` records so callers know it was truncated.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

import neo4j
from neo4j.exceptions import ClientError, DriverError, Neo4jError
from neo4j.graph import Node, Path, Relationship

from cloudmap.graph.driver import Graph

MAX_QUERY_CHARS = 20_000
MAX_PARAMS = 50
MAX_PARAM_CHARS = 100_000  # the JSON size of all parameters together

# Procedures a hunt may call: schema introspection only.
ALLOWED_PROCEDURES = frozenset({
    "db.labels", "db.relationshiptypes", "db.propertykeys", "db.schema.visualization",
    "db.schema.nodetypeproperties", "db.schema.reltypeproperties",
    "db.index.fulltext.querynodes", "db.index.fulltext.queryrelationships",
})
# Plan operators that read outside the graph, administer the server, or manage transactions.
FORBIDDEN_OPERATORS = ("loadcsv", "transactionapply", "transactionforeach", "terminate", "showtransactions",
                       "showusers", "showroles", "showprivileges", "showsettings", "showcurrentuser",
                       "showservers", "showdatabase", "showaliases")
_QUALIFIED_CALL = re.compile(r"(?<![\w.$`])([A-Za-z_][\w]*(?:\.[A-Za-z_][\w]*)+)\s*\(")


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
    import json

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


_builtin_functions: dict[int, frozenset[str]] = {}


def builtin_functions(graph: Graph) -> frozenset[str]:
    """The server's built-in function names (lower case), so plug-in functions (apoc.*) are refused."""
    key = id(graph.driver)
    if key not in _builtin_functions:
        rows = graph.read("SHOW FUNCTIONS YIELD name, isBuiltIn WHERE isBuiltIn RETURN collect(name) AS names")
        _builtin_functions[key] = frozenset(n.lower() for n in rows[0]["names"])
    return _builtin_functions[key]


def _walk(plan) -> list:
    out, stack = [], [plan]
    while stack:
        p = stack.pop()
        if p is None:
            continue
        out.append(p)
        stack.extend(p.get("children", []) if isinstance(p, dict) else [])
    return out


def _explain(graph: Graph, query: str, params: dict) -> neo4j.ResultSummary:
    try:
        with graph.session(default_access_mode=neo4j.READ_ACCESS) as session:
            return session.run(neo4j.Query("EXPLAIN " + query, timeout=10), params).consume()
    except Neo4jError as exc:
        raise HuntError(exc.message or str(exc), code=exc.code) from None
    except DriverError as exc:
        raise HuntError(f"Neo4j is not reachable: {type(exc).__name__}", kind="unavailable") from None


def check_read_only(graph: Graph, query: str, params: dict | None = None) -> None:
    """Raise NotReadOnly (or HuntError for invalid Cypher) unless the plan is a pure graph read."""
    check_limits(query, params)
    summary = _explain(graph, query, params or {})
    if summary.query_type != "r":
        raise NotReadOnly(f"only read-only queries may run here; this one is of type "
                          f"{summary.query_type!r} (w = writes, rw = reads and writes, s = schema changes)")
    plan = summary.plan
    if not plan:
        raise NotReadOnly("Neo4j returned no plan for this query, so it cannot be checked as read-only")
    builtins = builtin_functions(graph)
    for op in _walk(plan):
        name = str(op.get("operatorType", "")).split("@")[0]
        lname = name.lower()
        if any(lname.startswith(f) for f in FORBIDDEN_OPERATORS):
            raise NotReadOnly(f"operator {name} is not allowed in a hunt (it reaches outside the graph "
                              f"or administers the server)")
        args = op.get("args", {}) or {}
        if lname.startswith("procedurecall"):
            proc = _procedure_name(args)
            if proc not in ALLOWED_PROCEDURES:
                raise NotReadOnly(f"procedure {proc or '?'} is not allowed in a hunt; allowed: "
                                  f"{', '.join(sorted(ALLOWED_PROCEDURES))}")
        for text in _arg_texts(args):
            for fn in _QUALIFIED_CALL.findall(text):
                if fn.lower() not in builtins and fn.lower() not in ALLOWED_PROCEDURES:
                    raise NotReadOnly(f"function or procedure {fn} is not allowed in a hunt "
                                      f"(only Neo4j's built-in functions are)")


def _procedure_name(args: dict) -> str:
    for key in ("Signature", "Details", "signature", "details"):
        text = str(args.get(key, ""))
        m = re.search(r"([A-Za-z_][\w.]*)\s*\(", text)
        if m:
            return m.group(1).lower()
    return ""


def _arg_texts(args: dict) -> list[str]:
    # string-representation repeats the whole plan; each operator's own Details are checked instead.
    return [v for k, v in args.items() if isinstance(v, str) and k not in _META_ARGS]


_META_ARGS = frozenset({"planner", "runtime-impl", "planner-impl", "runtime", "runtime-version", "planner-version",
                        "version", "string-representation"})


def run_hunt(graph: Graph, query: str, params: dict | None = None, *, max_rows: int = 1000,
             timeout_s: float = 30.0) -> HuntResult:
    """Check, then run the query in a READ transaction; at most ``max_rows`` rows come back."""
    params = params or {}
    check_read_only(graph, query, params)

    def work(tx: neo4j.ManagedTransaction):
        result = tx.run(query, params)
        records = result.fetch(max_rows + 1)
        keys = list(result.keys())
        notes = [n.get("description") or n.get("title", "") for n in (result.consume().notifications or [])]
        return keys, records, notes

    work = neo4j.unit_of_work(timeout=timeout_s)(work)
    try:
        with graph.session(default_access_mode=neo4j.READ_ACCESS) as session:
            keys, records, notes = session.execute_read(work)
    except ClientError as exc:
        if "TransactionTimedOut" in (exc.code or "") or "terminated" in (exc.message or "").lower():
            raise HuntError(f"the query ran longer than the {timeout_s:g} s limit (hunt_timeout_s) and was "
                            f"stopped; narrow it with labels, ids or LIMIT", code=exc.code, kind="timeout") from None
        raise HuntError(exc.message or str(exc), code=exc.code) from None
    except Neo4jError as exc:
        raise HuntError(exc.message or str(exc), code=exc.code) from None
    except DriverError as exc:
        raise HuntError(f"Neo4j is not reachable: {type(exc).__name__}", kind="unavailable") from None
    truncated = len(records) > max_rows
    records = records[:max_rows]
    collector = GraphCollector()
    rows = [{k: collector.convert(record[k]) for k in keys} for record in records]
    return HuntResult(columns=keys, rows=rows, truncated=truncated, graph=collector.graph(), notifications=notes)


class GraphCollector:
    """Turns driver values into JSON and remembers every node and relationship seen (deduplicated)."""

    def __init__(self):
        self.nodes: dict[str, dict] = {}
        self.rels: dict[str, dict] = {}

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
            return [self.convert(v) for v in value]
        return json_value(value)

    def _node(self, node: Node) -> dict:
        out = {"id": node.element_id, "labels": sorted(node.labels),
               "properties": {k: json_value(v) for k, v in node.items()}}
        self.nodes.setdefault(node.element_id, out)
        return out

    def _rel(self, rel: Relationship) -> dict:
        out = {"id": rel.element_id, "type": rel.type,
               "start": rel.start_node.element_id if rel.start_node is not None else None,
               "end": rel.end_node.element_id if rel.end_node is not None else None,
               "properties": {k: json_value(v) for k, v in rel.items()}}
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
