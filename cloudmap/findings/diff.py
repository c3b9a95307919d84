"""What changed between analyses: findings that are new, resolved, reopened, or whose level changed.

Read from the lifecycle events in each finding's history (:mod:`cloudmap.findings.triage`): the state of a
finding before the window is what its first event in the window changed, its state after is the current
one. A finding that appeared and went again inside the window is no change."""

from __future__ import annotations

import json
from datetime import date

from cloudmap.findings.triage import parse_date
from cloudmap.graph.driver import Graph
from cloudmap.rules.scoring import level_rank

CHANGES = ("new", "reopened", "resolved", "level")
LIFECYCLE = {"new", "reopened", "resolved", "retired", "level"}
GONE = ("resolved", "retired")


class DiffError(ValueError):
    """``since`` names no analysis and is no date."""


_ANALYSES = ("MATCH (a:Analysis) WHERE a.status IN ['success', 'partial'] "
             "RETURN a.id AS id, toString(a.started_at) AS started_at, a.started_at AS t ORDER BY a.started_at")

_CANDIDATES = """
MATCH (f:Finding) WHERE ANY(h IN coalesce(f.history, []) WHERE ANY(a IN $ids WHERE h CONTAINS a))
RETURN f.id AS id, f.rule_id AS rule_id, f.title AS title, f.level AS level, f.score AS score, f.status AS status,
       f.entry_id AS entry_id, f.entry_name AS entry_name, f.target_id AS target_id, f.target_name AS target_name,
       f.history AS history
"""


def window(graph: Graph, since: str | None) -> tuple[dict | None, list[dict]]:
    """(the analysis or date the window starts after, the analyses in the window)."""
    runs = graph.read(_ANALYSES)
    if since is None:   # the last analysis's changes
        return (runs[-2] if len(runs) > 1 else None), runs[-1:]
    ids = [r["id"] for r in runs]
    if since in ids:
        return runs[ids.index(since)], runs[ids.index(since) + 1:]
    try:
        start = date.fromisoformat(parse_date(since, "since"))
    except ValueError:
        raise DiffError(f"since {since!r}: no finished analysis has this id, and it is no YYYY-MM-DD date") from None
    return {"date": start.isoformat()}, [r for r in runs if r["t"].to_native().date() >= start]


def classify(events: list[dict], level: str, status: str) -> tuple[str, str | None] | None:
    """(change, previous level) for a finding whose window events are ``events`` (oldest first)."""
    first = events[0]
    now_present = status not in GONE
    if first["action"] == "new":
        return ("new", None) if now_present else None
    was_present = first["action"] != "reopened"
    before = next((e["from"] for e in events if e["action"] == "level"), level)
    if was_present and not now_present:
        return "resolved", None
    if not was_present and now_present:
        return "reopened", None
    if was_present and now_present and before != level:
        return "level", before
    return None


def diff(graph: Graph, since: str | None = None) -> dict:
    """The changes made by the analyses after ``since`` (an analysis id or a YYYY-MM-DD date; default: the
    changes of the last analysis), with counts."""
    start, runs = window(graph, since)
    ids = [r["id"] for r in runs]
    items = changes(graph, ids)
    since_out = {"analysis_id": start["id"], "started_at": start["started_at"]} if start and "id" in start else start
    return {"since": since_out, "analyses": ids, "counts": {c: sum(1 for i in items if i["change"] == c) for c in CHANGES},
            "items": items}


def changes(graph: Graph, ids: list[str]) -> list[dict]:
    """The changes the analyses ``ids`` made, most important first."""
    items = []
    for row in graph.read(_CANDIDATES, ids=ids) if ids else []:
        events = [e for e in map(json.loads, row["history"] or [])
                  if e["action"] in LIFECYCLE and e.get("analysis_id") in ids]
        if not events:
            continue
        found = classify(events, row["level"], row["status"])
        if found is None:
            continue
        change, before = found
        items.append({"change": change, "id": row["id"], "rule_id": row["rule_id"], "title": row["title"],
                      "level": row["level"], "previous_level": before, "score": row["score"], "status": row["status"],
                      "entry": {"id": row["entry_id"], "name": row["entry_name"]},
                      "target": {"id": row["target_id"], "name": row["target_name"]}})
    items.sort(key=lambda i: (CHANGES.index(i["change"]), -level_rank(i["level"]), -(i["score"] or 0), i["id"]))
    return items


def _what(i: dict) -> str:
    return f"{i['entry']['name']} → {i['target']['name']}"


def _level(i: dict) -> str:
    return f"{i['previous_level']} → {i['level']}" if i["previous_level"] else i["level"]


def table_rows(result: dict) -> list[dict]:
    return [{"change": i["change"], "level": _level(i), "score": i["score"], "rule": i["rule_id"], "title": i["title"],
             "path": _what(i), "status": i["status"], "id": i["id"]} for i in result["items"]]


def headline(result: dict) -> str:
    c = result["counts"]
    since = result["since"] or {}
    start = since.get("analysis_id") or since.get("date") or "the first analysis"
    return (f"{c['new']} new, {c['resolved']} resolved, {c['reopened']} reopened, {c['level']} level changed "
            f"since {start} ({len(result['analyses'])} analysis(es))")


def _md(text) -> str:
    return str(text if text is not None else "").replace("|", "\\|").replace("\n", " ")


def markdown(result: dict) -> str:
    """A pull-request comment: the counts, then one table row per change."""
    lines = ["### cloudmap: attack path changes", "", f"**{headline(result)}**", ""]
    if result["items"]:
        lines += ["| change | level | score | rule | finding | path |", "|---|---|---|---|---|---|"]
        lines += [f"| {i['change']} | {_md(_level(i))} | {i['score']} | {_md(i['rule_id'])} | {_md(i['title'])} "
                  f"| {_md(_what(i))} |" for i in result["items"]]
    else:
        lines.append("No changes.")
    return "\n".join(lines) + "\n"
