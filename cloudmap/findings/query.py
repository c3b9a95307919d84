"""Reading findings: the service functions the CLI and the API share."""

from __future__ import annotations

import json
from collections import defaultdict

from cloudmap.findings import triage
from cloudmap.findings.explain import steps
from cloudmap.graph.driver import Graph
from cloudmap.rules.loader import LEVELS
from cloudmap.rules.scoring import level_rank
from cloudmap.services.paging import CursorError, cut_page, decode_cursor, encode_cursor

SORTS = {"score": ("f.score", "DESC"), "first_seen": ("f.first_seen", "DESC"), "last_seen": ("f.last_seen", "DESC"),
         "rule": ("f.rule_id", "ASC")}
STATUSES = ("open", "suppressed", "resolved", "retired")
# A suppression past its expiry counts as open at once; the next analysis records the reopening.
EXPIRED = "(f.status = 'suppressed' AND f.suppressed_until < $today)"


class QueryError(ValueError):
    """A filter, sort or cursor value is not valid; the message names it."""


def _encode_cursor(value, fid: str) -> str:
    if hasattr(value, "iso_format"):   # a datetime sort key travels as text and is compared as a datetime
        value = {"dt": value.iso_format()}
    return encode_cursor([value, fid])


def _decode_cursor(cursor: str):
    try:
        value, fid = decode_cursor(cursor, 2)
    except CursorError as exc:
        raise QueryError(str(exc)) from None
    if isinstance(value, dict) and not isinstance(value.get("dt"), str):
        raise QueryError(f"cursor {cursor[:40]!r} is not valid")
    return value, str(fid)


VIEWS = ("full", "summary")
# What a summary carries: everything but the path, the score's factors, remediation and ATT&CK.
SUMMARY_PROPS = ("id", "rule_id", "title", "level", "score", "severity", "status", "risk_factors", "evidence",
                 "hops", "other_paths", "also_matched_by", "entry_id", "entry_name", "entry_labels", "target_id",
                 "target_name", "target_labels", "analysis_id", *triage.FIELDS)
# Times come back as ISO 8601 text made by the server: hydrating driver datetimes costs more than the
# rest of a findings page.
TIMES = ("first_seen", "last_seen", "resolved_at")


def projection(view: str) -> str:
    """The Cypher map projection of ``f`` for a view."""
    props = [".*"] if view == "full" else ["." + p for p in SUMMARY_PROPS]
    status = f"status: CASE WHEN {EXPIRED} THEN 'open' ELSE f.status END"
    return "f {" + ", ".join(props + [f"{t}: toString(f.{t})" for t in TIMES] + [status]) + "}"


def finding_view(props: dict, view: str = "full") -> dict:
    """A :Finding node's properties as the documented JSON shape (JSON-native values only)."""
    full = view == "full"
    path = json.loads(props.get("path") or '{"nodes": [], "relationships": []}') if full else None
    by_id = {n["id"]: n for n in path["nodes"]} if full else {}

    def end(key: str) -> dict:
        labels = props.get(f"{key}_labels") or by_id.get(props.get(f"{key}_id"), {}).get("labels", [])
        return {"id": props.get(f"{key}_id"), "name": props.get(f"{key}_name"), "labels": list(labels)}

    out = {
        "id": props["id"], "rule_id": props.get("rule_id"), "title": props.get("title"),
        "level": props.get("level"), "score": props.get("score"), "severity": props.get("severity"),
        "status": props.get("status"), "risk_factors": list(props.get("risk_factors") or []),
        "evidence": json.loads(props.get("evidence") or "{}"),
        "entry": end("entry"), "target": end("target"), "hops": props.get("hops"),
        "other_paths": props.get("other_paths") or 0, "also_matched_by": list(props.get("also_matched_by") or []),
        "first_seen": props.get("first_seen"), "last_seen": props.get("last_seen"),
        "resolved_at": props.get("resolved_at"), "analysis_id": props.get("analysis_id"),
        "suppression": triage.suppression_of(props) if props.get("status") == "suppressed" else None,
    }
    if full:
        out.update({"factors": json.loads(props.get("factors") or "[]"), "path": path, "steps": steps(path),
                    "remediation": props.get("remediation"), "attack": list(props.get("attack") or []),
                    "history": triage.history(props)})
    return out


def _filters(level, rule, status, account, asset, risk_factor, today=None) -> tuple[list[str], dict]:
    where, params = [], {"today": today or triage.today()}
    if level is not None:
        levels = [level] if isinstance(level, str) else list(level)
        if any(lv not in LEVELS for lv in levels):
            raise QueryError(f"level {level!r}: use one of {', '.join(LEVELS)}")
        where.append("f.level IN $levels")
        params["levels"] = levels
    if rule:
        where.append("f.rule_id = $rule")
        params["rule"] = rule.strip().upper()  # rule ids are upper case; `rules show` accepts either
    if status not in (None, "all"):
        if status not in STATUSES:
            raise QueryError(f"status {status!r}: use open, suppressed, resolved, retired or all")
        if status == "open":
            where.append(f"(f.status = 'open' OR {EXPIRED})")
        elif status == "suppressed":
            where.append(f"f.status = 'suppressed' AND NOT coalesce({EXPIRED}, false)")
        else:
            where.append("f.status = $status")
            params["status"] = status
    if account:
        where.append("$account IN f.account_ids")
        params["account"] = account
    if asset:
        where.append("EXISTS { (f)-[:AFFECTS]->(a) WHERE a.id = $asset }")
        params["asset"] = asset
    if risk_factor:
        where.append("$risk_factor IN f.risk_factors")
        params["risk_factor"] = risk_factor
    return where, params


def list_findings(graph: Graph, *, level=None, rule=None, status="open", account=None, asset=None,
                  risk_factor=None, sort="score", limit=50, cursor=None, view="full",
                  today=None) -> tuple[list[dict], str | None]:
    """A page of findings and the cursor of the next page (None at the end). Keyset paging: stable
    while findings are added. ``level`` is one level or a list; ``status`` open, resolved, retired or all;
    ``view`` full (with the path) or summary; ``today`` (YYYY-MM-DD) decides which suppressions have expired."""
    if sort not in SORTS:
        raise QueryError(f"sort {sort!r}: use one of {', '.join(SORTS)}")
    if view not in VIEWS:
        raise QueryError(f"view {view!r}: use full or summary")
    if not isinstance(limit, int) or not 1 <= limit <= 10_000:
        raise QueryError(f"limit {limit!r}: use 1..10000")
    where, params = _filters(level, rule, status, account, asset, risk_factor, today)
    key, direction = SORTS[sort]
    if cursor:
        value, fid = _decode_cursor(cursor)
        cmp = "<" if direction == "DESC" else ">"
        v = "datetime($cv)" if isinstance(value, dict) else "$cv"
        params["cv"] = value["dt"] if isinstance(value, dict) else value
        params["cid"] = fid
        # the first, sargable half lets the sort key's index start the scan at the cursor
        where.append(f"{key} {cmp}= {v} AND NOT ({key} = {v} AND f.id <= $cid)")
    # `IS NOT NULL` lets the planner read the sort key's index in order and stop after one page;
    # sorting and cutting before projecting keeps the other findings' properties unread.
    query = (f"MATCH (f:Finding) WHERE {' AND '.join([f'{key} IS NOT NULL', *where])} "
             f"WITH f ORDER BY {key} {direction}, f.id ASC LIMIT $limit "
             f"RETURN {projection(view)} AS f, {key} AS k")
    rows, more = cut_page(graph.read_values(query, **params, limit=limit + 1), limit)
    next_cursor = _encode_cursor(rows[-1]["k"], rows[-1]["f"]["id"]) if more else None
    return [finding_view(r["f"], view) for r in rows], next_cursor


def count_findings(graph: Graph, *, min_level: str, **filters) -> int:
    """How many findings (with the list filters) are at or above ``min_level``."""
    levels = [lv for lv in LEVELS if level_rank(lv) >= level_rank(min_level)]
    where, params = _filters(levels, filters.get("rule"), filters.get("status", "open"), filters.get("account"),
                             filters.get("asset"), filters.get("risk_factor"), filters.get("today"))
    return graph.read(f"MATCH (f:Finding) WHERE {' AND '.join(where)} RETURN count(f) AS n", **params)[0]["n"]


def count_by_status(graph: Graph, today: str | None = None) -> dict[str, int]:
    """How many findings have each status (an expired suppression counts as open)."""
    rows = graph.read(f"MATCH (f:Finding) RETURN CASE WHEN {EXPIRED} THEN 'open' ELSE f.status END AS status, "
                      "count(*) AS n", today=today or triage.today())
    return {s: next((r["n"] for r in rows if r["status"] == s), 0) for s in STATUSES}


def get_finding(graph: Graph, finding_id: str, today: str | None = None) -> dict | None:
    """One finding with its path in graph form (nodes with their current properties, relationships)."""
    rows = graph.read("MATCH (f:Finding {id: $id}) "
                      "OPTIONAL MATCH (f)-[a:AFFECTS]->(n) "
                      f"RETURN {projection('full')} AS f, collect({{id: n.id, role: a.role, position: a.position, "
                      "labels: labels(n), properties: properties(n)}) AS affects", id=finding_id,
                      today=today or triage.today())
    if not rows:
        return None
    view = finding_view(rows[0]["f"])
    current = {a["id"]: a for a in rows[0]["affects"] if a["id"] is not None}
    for node in view["path"]["nodes"]:
        if node["id"] in current:
            node["properties"] = current[node["id"]]["properties"]
            node["role"] = current[node["id"]]["role"]
    view["affects"] = sorted(({k: a[k] for k in ("id", "role", "position", "labels")} for a in current.values()),
                             key=lambda a: (a["position"] is None, a["position"]))
    return view


def chokepoints(graph: Graph, limit: int = 20, min_level: str | None = None) -> list[dict]:
    """Nodes and relationships that, if fixed, remove the most score-weighted open attack paths.

    Fixing a node or edge on a path breaks the path, so each candidate removes every open finding
    whose path runs through it (``findings``: how many paths it cuts); candidates are ranked by the sum
    of those findings' scores. ``min_level`` (e.g. high) counts only paths at or above that level."""
    if min_level is not None and min_level not in LEVELS:
        raise QueryError(f"min_level {min_level!r}: use one of {', '.join(LEVELS)}")
    levels = list(LEVELS[:LEVELS.index(min_level) + 1]) if min_level else list(LEVELS)
    rows = graph.read("MATCH (f:Finding {status: 'open'}) WHERE f.level IN $levels "
                      "RETURN f.id AS id, f.score AS score, f.level AS level, f.path AS path", levels=levels)
    nodes: dict[str, dict] = {}
    edges: dict[tuple, dict] = {}
    hits: dict[tuple, set] = defaultdict(set)
    for row in rows:
        path = json.loads(row["path"] or "{}")
        for node in path.get("nodes", []):
            if "Internet" in node.get("labels", []):   # the internet is where paths start, not a fix
                continue
            key = ("node", node["id"])
            nodes.setdefault(node["id"], {"kind": "node", "id": node["id"], "name": node.get("name"),
                                          "labels": node.get("labels", [])})
            hits[key].add((row["id"], row["score"] or 0.0, row["level"]))
        for rel in path.get("relationships", []):
            key = ("edge", rel["start"], rel["type"], rel["end"])
            edges.setdefault(key, {"kind": "edge", "id": f"({rel['start']})-[:{rel['type']}]->({rel['end']})",
                                   "type": rel["type"], "start": rel["start"], "end": rel["end"],
                                   "derived": rel.get("derived", False)})
            hits[key].add((row["id"], row["score"] or 0.0, row["level"]))
    out = []
    for key, found in hits.items():
        item = dict(nodes[key[1]] if key[0] == "node" else edges[key])
        levels = defaultdict(int)
        for _, _, lv in found:
            levels[lv] += 1
        item.update({"findings": len(found), "weighted_score": round(sum(s for _, s, _ in found), 1),
                     "by_level": {lv: levels[lv] for lv in LEVELS if levels[lv]}})
        out.append(item)
    out.sort(key=lambda i: (-i["weighted_score"], -i["findings"], i["kind"], i["id"]))
    return out[:limit]
