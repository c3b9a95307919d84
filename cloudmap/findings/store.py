"""Writing findings: stable ids, batched UNWIND writes, AFFECTS links, resolution of what is gone."""

from __future__ import annotations

import hashlib
import json
from datetime import datetime

from cloudmap.findings import triage
from cloudmap.graph.driver import Graph
from cloudmap.graph.ingest import batched
from cloudmap.rules.runner import Match

BATCH = 500

_UPSERT = """
UNWIND $rows AS row
MERGE (f:Finding {id: row.id})
ON CREATE SET f.first_seen = $now
SET f += row.props, f.last_seen = $now, f.status = coalesce(row.status, 'open'), f.analysis_id = $analysis_id,
    f.resolved_at = null, f.retired_reason = null
SET f += coalesce(row.triage, {}), f.history = coalesce(f.history, []) + coalesce(row.events, [])
WITH f, row
CALL { WITH f MATCH (f)-[old:AFFECTS]->() DELETE old }
WITH f, row
UNWIND row.affects AS a
MATCH (n) WHERE elementId(n) = a.element_id
CREATE (f)-[:AFFECTS {role: a.role, position: a.position}]->(n)
RETURN count(DISTINCT f) AS written
"""

_RESOLVE = """
MATCH (f:Finding) WHERE f.status IN ['open', 'suppressed'] AND f.rule_id IN $rule_ids AND f.analysis_id <> $analysis_id
SET f.status = 'resolved', f.resolved_at = $now, f.history = coalesce(f.history, []) + $event
RETURN f.id AS id, f.level AS level
"""


_RETIRE = """
MATCH (f:Finding) WHERE f.status IN ['open', 'suppressed'] AND NOT f.rule_id IN $loaded
SET f.status = 'retired', f.resolved_at = $now, f.history = coalesce(f.history, []) + $event,
    f.retired_reason = 'rule ' + f.rule_id + ' is no longer loaded (analysis ' + $analysis_id + ')'
RETURN f.id AS id, f.rule_id AS rule_id
"""


def finding_id(rule_id: str, entry_id: str, target_id: str) -> str:
    """Stable across analyses: the same rule, entry and target give the same finding."""
    digest = hashlib.sha256(f"{rule_id}\x00{entry_id}\x00{target_id}".encode()).hexdigest()
    return f"{rule_id}-{digest[:16]}"


def affects(match: Match) -> list[dict]:
    """AFFECTS rows for the assets on the path (the Internet node is a source, not an asset)."""
    rows = []
    for position, node in enumerate(match.nodes):
        if "Internet" in node["labels"]:
            continue
        role = ("entry" if node["element_id"] == match.entry["element_id"]
                else "target" if node["element_id"] == match.target["element_id"] else "path")
        rows.append({"element_id": node["element_id"], "role": role, "position": position})
    return rows


def finding_row(match: Match, scored: dict) -> dict:
    rule = match.rule
    nodes = [{k: v for k, v in n.items() if k != "element_id"} for n in match.nodes]
    path = {"nodes": nodes, "relationships": match.relationships}
    props = {
        "rule_id": rule.id, "title": rule.title, "name": rule.title, "severity": rule.severity,
        "level": scored["level"], "score": scored["score"],
        "risk_factors": sorted(set(rule.risk_factors) | set(scored["risk_factors"])),
        "factors": json.dumps(scored["factors"]), "evidence": json.dumps(match.evidence.stored(), default=str),
        "path": json.dumps(path, default=str), "hops": match.hops,
        "moves": [r["type"] for r in match.relationships],   # hop i joins path nodes i and i + 1 (Browser)
        "entry_id": match.entry["id"], "entry_name": match.entry["name"], "entry_labels": match.entry["labels"],
        "target_id": match.target["id"], "target_name": match.target["name"], "target_labels": match.target["labels"],
        "account_ids": sorted({n["account_id"] for n in match.nodes if n.get("account_id")}),
        "remediation": rule.remediation, "attack": list(rule.attack),
        "also_matched_by": None,     # set by the analysis when a generic rule found the same path
    }
    return {"id": finding_id(rule.id, match.entry["id"], match.target["id"]), "props": props,
            "affects": affects(match)}


def existing_state(graph: Graph, ids: list[str]) -> dict[str, dict]:
    """Status, level and suppression of the findings that exist already."""
    out: dict[str, dict] = {}
    for batch in batched(ids, 5000):
        out.update(triage.stored(graph, batch))
    return out


def write_findings(graph: Graph, rows: list[dict], analysis_id: str, now: datetime) -> int:
    written = 0
    for batch in batched(rows, BATCH):
        with graph.session() as session:
            written += session.execute_write(
                lambda tx, b=batch: tx.run(_UPSERT, rows=b, now=now, analysis_id=analysis_id).single()["written"])
    return written


def resolve_missing(graph: Graph, rule_ids: list[str], analysis_id: str, now: datetime) -> list[dict]:
    """Open (or suppressed) findings of the rules that ran, which this analysis no longer found, become
    resolved; a suppression is kept for when the path comes back."""
    return graph.write(_RESOLVE, rule_ids=rule_ids, analysis_id=analysis_id, now=now,
                       event=[triage.event("resolved", now, analysis_id=analysis_id)])


def retire_unloaded(graph: Graph, loaded_rule_ids: list[str], analysis_id: str, now: datetime) -> list[dict]:
    """Open findings of rules that are no longer loaded (file removed, rules directory changed) become
    ``retired`` with the reason; a rule that is loaded but failed to run keeps its findings open."""
    return graph.write(_RETIRE, loaded=loaded_rule_ids, analysis_id=analysis_id, now=now,
                       event=[triage.event("retired", now, analysis_id=analysis_id)])
