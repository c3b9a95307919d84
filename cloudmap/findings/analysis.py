"""One analysis: derive (engine), check and run every rule, score, write findings, resolve the rest.

Recorded as ``(:Analysis {id, started_at, finished_at, status, summary})``. A rule that is malformed or
fails to run is reported and skipped; its earlier findings stay as they were (not resolved), so a
broken rule never makes real risks look fixed. Findings of rules that are no longer loaded are retired.

An analysis holds the ``analysis`` lease throughout: it starts when no load is writing, loads wait
for it, and analyses run one after the other."""

from __future__ import annotations

import json
import logging
import uuid
from collections import Counter
from collections.abc import Callable
from pathlib import Path

from neo4j.exceptions import Neo4jError

from cloudmap.findings import exemptions, store, triage
from cloudmap.graph.driver import Graph
from cloudmap.graph.ingest import now
from cloudmap.graph.lease import Lease
from cloudmap.rules import load_rules
from cloudmap.rules.loader import LEVELS, Rule, RuleProblem
from cloudmap.rules.runner import EvidenceProblem, check_rule, run_rule
from cloudmap.rules.scoring import level_rank, load_weights, score

log = logging.getLogger("cloudmap.analysis")
Progress = Callable[[str], None] | None


def _user_rules_dir() -> Path | None:
    try:
        from cloudmap.config import settings
        return settings().user_rules_dir
    except Exception:  # noqa: BLE001 - a bad config file is reported by the CLI, not here
        return None


def configured_exemptions() -> list[exemptions.Exemption]:
    """The entries of the ``exemptions_file`` setting (none when unset)."""
    from cloudmap.config import settings
    path = settings().exemptions_file
    return exemptions.load_file(path) if path else []


def derive_edges(graph: Graph, progress: Progress = None) -> dict:
    """Run the engine if it is installed; otherwise say so (rules then use the derived edges present)."""
    try:
        from cloudmap.engine import derive
    except ImportError:
        return {"status": "unavailable", "message": "the engine (cloudmap.engine.derive) is not installed: "
                                                    "rules ran on the derived edges already in the graph"}
    result = derive(graph, progress=progress)
    return {"status": "ok", **(result if isinstance(result, dict) else {"result": str(result)})}


def _record(graph: Graph, analysis_id: str, props: dict) -> None:
    graph.write("MERGE (a:Analysis {id: $id}) SET a += $props", id=analysis_id, props=props)


def _rank(row: dict) -> tuple:
    """Which path is worse for the defender: the highest level, then the fewest hops (lower sorts first)."""
    return (-level_rank(row["props"]["level"]), row["props"]["hops"])


def _better(row: dict, kept: dict) -> bool:
    """The path a finding shows: by :func:`_rank`, then the highest score."""
    return (*_rank(row), -row["props"]["score"]) < (*_rank(kept), -kept["props"]["score"])


# What a template's finding takes from a generic rule's better path (its id, title and remediation stay).
_PATH_PROPS = ("level", "score", "factors", "evidence", "path", "hops", "moves", "account_ids", "other_paths")


def one_per_path(rows: list[dict], generic: set[str]) -> list[dict]:
    """One finding per (entry, target) that both a template rule and a generic path rule report: the
    template's (a stable id, and its title and remediation are the more specific). When the generic rule
    found a higher level, or the same level in fewer hops, the template's finding takes that path and
    level. The kept finding names the generic rules in ``also_matched_by``."""
    groups: dict[tuple, list[dict]] = {}
    for row in rows:
        groups.setdefault((row["props"]["entry_id"], row["props"]["target_id"]), []).append(row)
    out = []
    for group in groups.values():
        templates = [r for r in group if r["props"]["rule_id"] not in generic]
        generics = [r for r in group if r["props"]["rule_id"] in generic]
        if not templates or not generics:
            out += group
            continue
        best = min(generics, key=_rank)
        for row in templates:
            props = row["props"]
            if _rank(best) < _rank(row):
                props.update({k: best["props"].get(k) for k in _PATH_PROPS})
                props["risk_factors"] = sorted(set(props["risk_factors"]) | set(best["props"]["risk_factors"]))
                row["affects"] = best["affects"]
            props["also_matched_by"] = sorted({*(props.get("also_matched_by") or []),
                                               *(r["props"]["rule_id"] for r in generics)})
        out += templates
    return out


def evaluate(graph: Graph, rules: list[Rule], progress: Progress = None) -> tuple[list[dict], list[str], list[RuleProblem]]:
    """Check and run each rule; one row per finding id (its best path, and how many other paths the rule
    found), generic duplicates of template findings folded in. Returns (rows, rules run, problems)."""
    weights = load_weights()
    best: dict[str, dict] = {}
    paths: Counter = Counter()
    ran: list[str] = []
    problems: list[RuleProblem] = []
    for n, rule in enumerate(rules, 1):
        problem = check_rule(graph, rule)
        if problem is None:
            try:
                matches = run_rule(graph, rule)
            except Neo4jError as exc:
                problem = RuleProblem(rule.file, rule.body_line, f"{rule.id}: failed to run: {exc.message}")
            except EvidenceProblem as exc:
                problem = exc.problem
        if problem is not None:
            problems.append(problem)
            log.warning("%s", problem)
            continue
        ran.append(rule.id)
        for match in matches:
            row = store.finding_row(match, score(match.evidence, rule.severity, match.hops, weights))
            paths[row["id"]] += 1 + match.other_paths
            kept = best.get(row["id"])
            if kept is None or _better(row, kept):
                best[row["id"]] = row
        if progress:
            progress(f"rule {n}/{len(rules)} {rule.id}: {len(matches)} match(es)")
    for fid, row in best.items():
        row["props"]["other_paths"] = paths[fid] - 1
    generic = {r.id for r in rules if r.generic}
    return one_per_path(list(best.values()), generic), ran, problems


def run_analysis(graph: Graph, rules_dir: str | Path | None = None, progress: Progress = None,
                 derive: bool = True, wait: float = 0.0, exempt: list[exemptions.Exemption] | None = None) -> dict:
    """Derive, run all rules (built-in plus ``rules_dir`` or CLOUDMAP_RULES_DIR), write findings.
    ``derive=False`` runs the rules on the derived edges already in the graph. ``wait``: seconds to
    wait for running loads or another analysis (LeaseHeld after that). ``exempt``: exemption entries
    (default: the ``exemptions_file`` setting's); asset tags are always read.

    Returns the summary: counts per level, new, reopened, resolved, retired and suppressed findings,
    rule problems."""
    entries = configured_exemptions() if exempt is None else exempt   # a bad file fails before any write
    analysis_id = f"analysis-{now():%Y%m%dT%H%M%S}-{uuid.uuid4().hex[:8]}"
    with Lease(graph, "analysis", "analysis", holder=analysis_id, wait=wait):
        graph.write("MATCH (a:Analysis {status: 'running'}) SET a.status = 'abandoned', a.finished_at = $now, "
                    "a.abandoned_by = $id", now=now(), id=analysis_id)
        return _analyse(graph, analysis_id, rules_dir, progress, derive, entries)


def _triage(graph: Graph, rows: list[dict], before: dict, entries, stamp, analysis_id: str) -> None:
    """Status, suppression and history events of each row (see :func:`cloudmap.findings.triage.plan`)."""
    day = triage.today()
    matched = exemptions.match(graph, rows, entries, day)
    for row in rows:
        row.update(triage.plan(before.get(row["id"]), row["props"]["level"], matched.get(row["id"]), day, stamp,
                               analysis_id))


def _analyse(graph: Graph, analysis_id: str, rules_dir, progress: Progress, derive: bool, entries) -> dict:
    started = now()
    _record(graph, analysis_id, {"started_at": started, "status": "running"})
    try:
        if derive:
            if progress:
                progress("deriving attack edges")
            engine = derive_edges(graph, progress and (lambda name: progress(f"deriving {name}")))
        else:
            engine = {"status": "skipped", "message": "derivation skipped: rules ran on the derived edges present"}
        extra = rules_dir if rules_dir is not None else _user_rules_dir()
        rules, problems = load_rules([extra] if extra else [])
        complete = not problems  # a rule file that failed to parse may be one whose findings are open
        rows, ran, run_problems = evaluate(graph, rules, progress)
        problems += run_problems
        stamp = now()
        before = store.existing_state(graph, [r["id"] for r in rows])
        _triage(graph, rows, before, entries, stamp, analysis_id)
        store.write_findings(graph, rows, analysis_id, stamp)
        resolved = store.resolve_missing(graph, ran, analysis_id, stamp)
        retired = store.retire_unloaded(graph, [r.id for r in rules], analysis_id, stamp) if complete else []
    except Exception as exc:
        _record(graph, analysis_id, {"finished_at": now(), "status": "failed",
                                     "summary": json.dumps({"error": f"{type(exc).__name__}: {exc}"[:500]})})
        raise
    suppressed = sum(1 for r in rows if r["status"] == "suppressed")
    levels = Counter(r["props"]["level"] for r in rows if r["status"] == "open")
    summary = {
        "analysis_id": analysis_id, "status": "partial" if problems else "success",
        "started_at": started.isoformat(), "finished_at": now().isoformat(), "engine": engine,
        "rules": {"loaded": len(rules), "run": len(ran), "skipped": len(rules) - len(ran)},
        "problems": [str(p) for p in problems],
        "findings": {"open": len(rows) - suppressed, "by_level": {lvl: levels.get(lvl, 0) for lvl in LEVELS},
                     "suppressed": suppressed, "new": sum(1 for r in rows if r["id"] not in before),
                     "reopened": sum(1 for r in rows if before.get(r["id"], {}).get("status") in ("resolved", "retired")),
                     "resolved": len(resolved), "retired": len(retired)},
        "by_rule": dict(sorted(Counter(r["props"]["rule_id"] for r in rows).items())),
    }
    _record(graph, analysis_id, {"finished_at": now(), "status": summary["status"], "summary": json.dumps(summary, default=str),
                                 "findings_open": len(rows) - suppressed, "findings_new": summary["findings"]["new"],
                                 "findings_resolved": len(resolved)})
    return summary
