"""Triage decisions on findings: suppressions with an optional expiry, and the history of every change.

A suppressed finding keeps its id and is evaluated by every analysis like any other; only its status is
``suppressed`` instead of ``open`` until its ``suppressed_until`` date has passed (the day itself is still
suppressed). A suppression comes from a person (``source: manual``), an exemptions file entry or an
asset tag (:mod:`cloudmap.findings.exemptions`); the latter two are re-checked by each analysis.

History lives on the finding as ``f.history``, a list of JSON texts (one per change, oldest first):
lifecycle changes (new, reopened, resolved, retired, level) made by analyses, and triage changes
(suppressed, unsuppressed, exempted, exemption-lifted, expired) with who, when, why and until.
"""

from __future__ import annotations

import json
import os
from datetime import date, datetime

from cloudmap.graph.driver import Graph
from cloudmap.graph.ingest import now

CLOCK_ENV = "CLOUDMAP_TODAY"
FIELDS = ("suppressed_reason", "suppressed_until", "suppressed_by", "suppressed_source", "suppressed_at")


class TriageError(ValueError):
    """A suppression request that cannot be applied; the message names the id, date or field."""


class UnknownFinding(TriageError):
    """A finding id that is not in the graph."""


def today() -> str:
    """Today (UTC) as YYYY-MM-DD; ``CLOUDMAP_TODAY`` sets another day (to test or preview expiries)."""
    fixed = os.environ.get(CLOCK_ENV)
    if fixed:
        return parse_date(fixed, CLOCK_ENV)
    return now().date().isoformat()


def parse_date(value, name: str) -> str:
    if isinstance(value, datetime):
        value = value.date()
    if isinstance(value, date):
        return value.isoformat()
    try:
        return date.fromisoformat(str(value).strip()).isoformat()
    except ValueError:
        raise TriageError(f"{name} {value!r}: use a date as YYYY-MM-DD") from None


def event(action: str, at: datetime, **details) -> str:
    return json.dumps({"action": action, "at": at.isoformat(), **{k: v for k, v in details.items() if v is not None}},
                      sort_keys=True)


def history(props: dict) -> list[dict]:
    return [json.loads(h) for h in props.get("history") or []]


def suppression_of(props: dict) -> dict | None:
    """The suppression of a finding's properties, or None."""
    if not props.get("suppressed_reason"):
        return None
    return {"reason": props["suppressed_reason"], "until": props.get("suppressed_until"),
            "by": props.get("suppressed_by"), "source": props.get("suppressed_source") or "manual",
            "at": props.get("suppressed_at")}


def fields(s: dict | None, at: datetime | None = None) -> dict:
    """The finding properties that hold suppression ``s`` (all None: no suppression)."""
    if s is None:
        return dict.fromkeys(FIELDS)
    return {"suppressed_reason": s["reason"], "suppressed_until": s.get("until"), "suppressed_by": s.get("by"),
            "suppressed_source": s.get("source", "manual"),
            "suppressed_at": s.get("at") or (at.isoformat() if at else None)}


def plan(prev: dict | None, level: str, exempt: dict | None, day: str, stamp: datetime, analysis_id: str) -> dict:
    """What an analysis writes for one finding it found: ``status``, ``triage`` (suppression fields) and
    ``events`` (history entries). ``prev`` is the finding as stored (None: new); ``exempt`` the matching
    exemption (reason, by, until, source) or None."""
    events = []
    if prev is None:
        events.append(event("new", stamp, analysis_id=analysis_id, level=level))
    else:
        if prev.get("status") in ("resolved", "retired"):
            events.append(event("reopened", stamp, analysis_id=analysis_id))
        if prev.get("level") and prev["level"] != level:
            events.append(event("level", stamp, analysis_id=analysis_id, **{"from": prev["level"], "to": level}))
    current = suppression_of(prev or {})
    if current and current["until"] and current["until"] < day:
        events.append(event("expired", stamp, by="cloudmap", until=current["until"], reason=current["reason"]))
        current = None
    if current and current["source"] != "manual":   # an exemption holds only while it still matches
        if exempt is None:
            events.append(event("exemption-lifted", stamp, by="cloudmap", source=current["source"]))
            current = None
        elif any(exempt.get(k) != current.get(k) for k in ("reason", "until", "by", "source")):
            current = None
    if current is None and exempt is not None:
        current = {**exempt, "at": stamp.isoformat()}
        events.append(event("exempted", stamp, by=exempt.get("by"), reason=exempt["reason"], until=exempt.get("until"),
                            source=exempt["source"]))
    return {"status": "suppressed" if current else "open", "triage": fields(current, stamp), "events": events}


_STATE = ("MATCH (f:Finding) WHERE f.id IN $ids RETURN f.id AS id, f.status AS status, f.level AS level, "
          + ", ".join(f"f.{k} AS {k}" for k in FIELDS))


def stored(graph: Graph, ids: list[str]) -> dict[str, dict]:
    return {r["id"]: r for r in graph.read(_STATE, ids=ids)}


def _require(graph: Graph, ids: list[str]) -> dict[str, dict]:
    ids = list(dict.fromkeys(i.strip() for i in ids if i and i.strip()))
    if not ids:
        raise TriageError("give at least one finding id")
    found = stored(graph, ids)
    unknown = [i for i in ids if i not in found]
    if unknown:
        raise UnknownFinding(f"no finding with id {', '.join(map(repr, unknown))} (nothing was changed)")
    return {i: found[i] for i in ids}


_SET = """
UNWIND $rows AS row
MATCH (f:Finding {id: row.id})
SET f += row.triage, f.status = row.status, f.history = coalesce(f.history, []) + row.event
RETURN f.id AS id, f.status AS status
"""
# cached findings pages are keyed by the latest analysis: a triage change marks it (pagecache.stamp)
_TOUCH = ("MATCH (a:Analysis) WHERE a.started_at IS NOT NULL WITH a ORDER BY a.started_at DESC LIMIT 1 "
          "SET a.triage_changes = coalesce(a.triage_changes, 0) + 1")


def _write(graph: Graph, rows: list[dict]) -> list[dict]:
    changed = graph.write(_SET, rows=rows)
    graph.write(_TOUCH)
    return changed


def suppress(graph: Graph, ids: list[str], reason: str, until=None, by: str | None = None,
             day: str | None = None) -> list[dict]:
    """Suppress findings (all or none). ``until`` YYYY-MM-DD, today or later; without it, until unsuppressed."""
    reason = (reason or "").strip()
    if not reason:
        raise TriageError("a reason is required (--reason / \"reason\")")
    if len(reason) > 1000:
        raise TriageError("reason: at most 1000 characters")
    day = day or today()
    until = parse_date(until, "until") if until else None
    if until and until < day:
        raise TriageError(f"until {until} is in the past (today is {day}): give today or a later date")
    found = _require(graph, ids)
    at, by = now(), (by or "unknown").strip()[:200]
    s = {"reason": reason, "until": until, "by": by, "source": "manual"}
    rows = [{"id": i, "triage": fields(s, at), "event": [event("suppressed", at, by=by, reason=reason, until=until)],
             # a resolved or retired finding keeps its status; the decision applies when it comes back
             "status": "suppressed" if f["status"] in ("open", "suppressed") else f["status"]}
            for i, f in found.items()]
    return _write(graph, rows)


def unsuppress(graph: Graph, ids: list[str], by: str | None = None) -> list[dict]:
    """Lift manual suppressions (all or none); findings suppressed by an exemption name it instead."""
    found = _require(graph, ids)
    problems = []
    for i, f in found.items():
        s = suppression_of(f)
        if s is None:
            problems.append(f"{i!r} is not suppressed")
        elif s["source"] != "manual":
            problems.append(f"{i!r} is suppressed by {s['source']}: change that instead")
    if problems:
        raise TriageError("; ".join(problems) + " (nothing was changed)")
    at, by = now(), (by or "unknown").strip()[:200]
    rows = [{"id": i, "triage": fields(None), "event": [event("unsuppressed", at, by=by)],
             "status": "open" if f["status"] == "suppressed" else f["status"]} for i, f in found.items()]
    return _write(graph, rows)
