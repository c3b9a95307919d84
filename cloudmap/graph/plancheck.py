"""Checks of a query's plan (``EXPLAIN``) shared by hunts, saved queries and rules.

Neo4j plans a query without running it; the plan says what the query would touch. Two families of
checks read it:

* :func:`outside_graph` — the query reaches outside the graph: ``LOAD CSV`` (files and URLs), any
  procedure not on a small schema allow-list, any function that is not one of the server's
  built-ins (``apoc.load.*`` and other plug-ins), server administration, transaction commands;
* :func:`unbounded` — the query's work has no bound the server can enforce while it runs:
  ``range()`` over huge lists (evaluated inside one expression, which a transaction timeout does
  not interrupt), ``reduce()`` that doubles its accumulator, cartesian products of full scans, and
  variable-length patterns without a small upper bound.

:func:`nesting_depth` is a cheap scan run before anything is sent to Neo4j: deeply nested text
overflows the Cypher parser's stack and holds a worker for minutes.
"""

from __future__ import annotations

import re
from itertools import accumulate

import neo4j

from cloudmap.graph.driver import Graph

MAX_NESTING = 100            # brackets, parentheses and braces, one inside another
MAX_RANGE_ELEMENTS = 10_000      # elements of the range() calls of one expression, multiplied
MAX_HOPS = 10                # upper bound of a variable-length pattern
EXPLAIN_TIMEOUT_S = 10.0

# Procedures a query may call: schema introspection only.
ALLOWED_PROCEDURES = frozenset({
    "db.labels", "db.relationshiptypes", "db.propertykeys", "db.schema.visualization",
    "db.schema.nodetypeproperties", "db.schema.reltypeproperties",
    "db.index.fulltext.querynodes", "db.index.fulltext.queryrelationships",
})
# Plan operators that read outside the graph, administer the server, or manage transactions.
FORBIDDEN_OPERATORS = ("loadcsv", "transactionapply", "transactionforeach", "terminate", "showtransactions",
                       "showusers", "showroles", "showprivileges", "showsettings", "showcurrentuser",
                       "showservers", "showdatabase", "showaliases", "showprocedures", "showfunctions")
_VAR_LENGTH_OPERATORS = ("varlengthexpand", "pruningvarexpand", "bfspruningvarexpand", "shortestpath",
                         "statefulshortestpath", "repeat")
_SCANS = ("allnodesscan", "nodebylabelscan", "undirectedrelationshiptypescan", "directedrelationshiptypescan",
          "undirectedallrelationshipsscan", "directedallrelationshipsscan")
_QUALIFIED_CALL = re.compile(r"(?<![\w.$`])([A-Za-z_]\w*(?:\.[A-Za-z_]\w*)+)\s*\(")
_HOPS = re.compile(r"\*(\d*)(\.\.(\d*))?\]")
_REPEAT = re.compile(r"\{(\d+), (\*|\d+)\}")
_META_ARGS = frozenset({"planner", "runtime-impl", "planner-impl", "runtime", "runtime-version", "planner-version",
                        "version", "string-representation"})


class PlanRefused(Exception):
    """The plan does something a query of this kind may not; the message says what and how to narrow it."""

    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


def nesting_depth(text: str) -> int:
    """The deepest nesting of (), [] and {} outside string literals and comments (linear, in C mostly)."""
    brackets = _NOT_BRACKET.sub("", _strip_strings(text))
    return max(accumulate(1 if c in "([{" else -1 for c in brackets), default=0)


_NOT_BRACKET = re.compile(r"[^()\[\]{}]+")


def check_nesting(text: str) -> None:
    depth = nesting_depth(text)
    if depth > MAX_NESTING:
        raise PlanRefused(f"the query nests brackets {depth} levels deep; the limit is {MAX_NESTING}: "
                          f"flatten it (WITH clauses, parameters)")


def explain(graph: Graph, query: str, params: dict | None = None) -> tuple[neo4j.ResultSummary, list[str]]:
    """The plan summary and returned columns; Neo4j's own errors (syntax, types) propagate."""
    with graph.session(default_access_mode=neo4j.READ_ACCESS, notifications_min_severity="OFF") as session:
        result = session.run(neo4j.Query("EXPLAIN " + query, timeout=EXPLAIN_TIMEOUT_S), params or {})
        keys = list(result.keys())
        return result.consume(), keys


def operators(plan) -> list[tuple[str, dict, list]]:
    """(operator name in lower case without the database suffix, args, children) for every operator."""
    out, stack = [], [plan]
    while stack:
        p = stack.pop()
        if not isinstance(p, dict):
            continue
        children = p.get("children", []) or []
        out.append((str(p.get("operatorType", "")).split("@")[0].lower(), p.get("args", {}) or {}, children))
        stack.extend(children)
    return out


_builtin_functions: dict[int, frozenset[str]] = {}


def builtin_functions(graph: Graph) -> frozenset[str]:
    """The server's built-in function names (lower case), so plug-in functions (apoc.*) are refused."""
    key = id(graph.driver)
    if key not in _builtin_functions:
        rows = graph.read("SHOW FUNCTIONS YIELD name, isBuiltIn WHERE isBuiltIn RETURN collect(name) AS names")
        _builtin_functions[key] = frozenset(n.lower() for n in rows[0]["names"])
    return _builtin_functions[key]


def _texts(args: dict) -> list[str]:
    # string-representation repeats the whole plan; each operator's own Details are checked instead
    return [v for k, v in args.items() if isinstance(v, str) and k not in _META_ARGS]


def outside_graph(graph: Graph, summary: neo4j.ResultSummary) -> None:
    """PlanRefused when the plan writes, or reads anything but the graph (files, URLs, the server)."""
    if summary.query_type != "r":
        raise PlanRefused(f"only read-only queries may run here; this one is of type {summary.query_type!r} "
                          f"(w = writes, rw = reads and writes, s = schema changes)")
    if not summary.plan:
        raise PlanRefused("Neo4j returned no plan for this query, so it cannot be checked")
    builtins = builtin_functions(graph)
    for name, args, _ in operators(summary.plan):
        if name.startswith("loadcsv"):
            raise PlanRefused("LOAD CSV is not allowed: it reads files and URLs from the database server")
        if any(name.startswith(f) for f in FORBIDDEN_OPERATORS):
            raise PlanRefused(f"operator {name} is not allowed (it administers the server or manages transactions)")
        if name.startswith("procedurecall"):
            proc = _procedure_name(args)
            if proc not in ALLOWED_PROCEDURES:
                raise PlanRefused(f"procedure {proc or '?'} is not allowed; allowed: {', '.join(sorted(ALLOWED_PROCEDURES))}")
        for text in _texts(args):
            for fn in _QUALIFIED_CALL.findall(text):
                if fn.lower() not in builtins and fn.lower() not in ALLOWED_PROCEDURES:
                    raise PlanRefused(f"function or procedure {fn} is not allowed (only Neo4j's built-in "
                                      f"functions are)")


def _procedure_name(args: dict) -> str:
    for key in ("Signature", "Details", "signature", "details"):
        m = re.search(r"([A-Za-z_][\w.]*)\s*\(", str(args.get(key, "")))
        if m:
            return m.group(1).lower()
    return ""


def unbounded(summary: neo4j.ResultSummary, query: str, params: dict | None = None) -> None:
    """PlanRefused when the plan's work has no bound the server can enforce while it runs."""
    has_range = False
    for name, args, children in operators(summary.plan):
        details = str(args.get("Details", ""))
        if "range(" in details:
            has_range = True
        growing = _growing_reduce(details)
        if growing:
            raise PlanRefused(growing)
        if name.startswith(_VAR_LENGTH_OPERATORS):
            for low, dots, high in _HOPS.findall(details):
                if (dots and not high) or (not dots and not low):
                    raise PlanRefused(f"variable-length pattern without an upper bound ({details[:80]}): "
                                      f"give it one of at most {MAX_HOPS}, e.g. -[:CAN_ASSUME*1..3]->")
                bound = int(high or low)
                if bound > MAX_HOPS:
                    raise PlanRefused(f"variable-length pattern of up to {bound} hops: the limit is {MAX_HOPS}")
            for _, high in _REPEAT.findall(details):
                if high == "*" or int(high) > MAX_HOPS:
                    raise PlanRefused(f"quantified path pattern without an upper bound of at most {MAX_HOPS}: "
                                      f"write it as {{1,{min(3, MAX_HOPS)}}}")
        if name.startswith("cartesianproduct") and len(children) == 2 and all(_full_scan(c) for c in children):
            raise PlanRefused("the query multiplies two full scans (a cartesian product of unconnected patterns): "
                              "connect the patterns with a relationship, or narrow each by id or property")
    if has_range:
        _check_ranges(query, params or {})


def _full_scan(plan) -> bool:
    """The subtree starts from a scan of every node of a label (or of the graph), not a seek, and the
    planner expects more than one row of it (a filter to one node, or a singleton label, is narrow)."""
    names = [name for name, _, _ in operators(plan)]
    rows = float((plan.get("args") or {}).get("EstimatedRows", 2.0))
    return any(n.startswith(_SCANS) for n in names) and not any("seek" in n for n in names) and rows > 1.0


def _growing_reduce(details: str) -> str | None:
    """Why a reduce() in these details has unbounded cost, or None.

    Neo4j evaluates a reduce() as one expression, which a transaction timeout does not interrupt:
    one that adds its accumulator to itself grows exponentially, and one that builds a string or a
    list copies it at every step (quadratic), which is only bounded over a path's nodes or
    relationships (at most MAX_HOPS long)."""
    for m in re.finditer(r"reduce\(\s*`?(\w+)`?\s*=\s*([^,]*),\s*`?\w+`?\s+IN\s+", details):
        acc, initial = m.group(1), m.group(2).strip()
        bar = details.find("|", m.end())
        if bar < 0:
            continue
        body = details[bar + 1: _closing(details, m.start() + len("reduce"))]
        if len(re.findall(rf"(?<![\w.$]){re.escape(acc)}(?!\w)", body)) > 1:
            return ("reduce() that adds its accumulator to itself grows exponentially: "
                    "build the value from the list elements instead")
        builds = initial.startswith(("$autostring", "$autolist", "'", '"', "["))
        if builds and not details.startswith(("nodes(", "relationships(", "$autolist"), m.end()):
            return ("reduce() that builds a string or list is allowed over nodes(p), relationships(p) or a "
                    "literal list only; "
                    "use a list comprehension or collect() instead")
    return None


def _closing(text: str, open_at: int) -> int:
    depth = 0
    for i in range(open_at, len(text)):
        if text[i] == "(":
            depth += 1
        elif text[i] == ")":
            depth -= 1
            if depth == 0:
                return i
    return len(text)


_RANGE = re.compile(r"(?<![\w.$`])range\s*\(([^()]*)\)", re.IGNORECASE)
_INT = re.compile(r"^\s*(-?\d+)\s*$")


def _check_ranges(query: str, params: dict) -> None:
    """The plan calls range(): its bounds must be integer literals or parameters, and the elements of
    all range() calls together at most MAX_RANGE_ELEMENTS (they can all be one expression)."""
    total = 1
    calls = _RANGE.findall(_strip_strings(query))
    if not calls:
        raise PlanRefused("range() bounds must be integer literals or parameters")
    for inner in calls:
        values = [_bound(part, params) for part in inner.split(",")]
        if len(values) not in (2, 3) or any(v is None for v in values):
            raise PlanRefused(f"range({inner.strip()}): bounds must be integer literals or parameters, so the "
                              f"list's size is known before it runs")
        start, end, step = (*values, 1) if len(values) == 2 else values
        size = max(0, (end - start) // step + 1) if step else 0
        total *= max(size, 1)
        if total > MAX_RANGE_ELEMENTS:
            raise PlanRefused(f"range() over {total:,} elements; the limit is {MAX_RANGE_ELEMENTS:,}: "
                              f"narrow the range or match graph data instead")


def _bound(text: str, params: dict) -> int | None:
    text = text.strip()
    if text.startswith("$"):
        value = params.get(text[1:].strip("`"))
        return value if isinstance(value, int) and not isinstance(value, bool) else None
    m = _INT.match(text)
    return int(m.group(1)) if m else None


_STRINGS_AND_COMMENTS = re.compile(r"'(?:[^'\\]|\\.)*'|\"(?:[^\"\\]|\\.)*\"|`[^`]*`|//[^\n]*|/\*.*?\*/", re.DOTALL)


def _strip_strings(text: str) -> str:
    return _STRINGS_AND_COMMENTS.sub("''", text)
