"""What `GET /health` reports: Neo4j reachable, schema version, the last completed sync (overall and
per source), the loads running now with their age, and the last analysis."""

from __future__ import annotations

from neo4j.exceptions import DriverError, Neo4jError

from cloudmap.graph.driver import Graph
from cloudmap.graph.schema import code_version
from cloudmap.services.hunt import json_value

SYNC_FIELDS = "{.id, .source, .provider, .status, .started_at, .finished_at}"
COMPLETED = ["success", "partial"]

# The syncs still marked running, with their age and whether a live lease stands behind them (a
# load that was killed keeps `running` until the next load of its source marks it abandoned).
_RUNNING = f"""
MATCH (s:Sync {{status: 'running'}})
OPTIONAL MATCH (l:Lease {{id: 'sync:' + s.source, holder: s.id}})
RETURN s {SYNC_FIELDS} AS sync, duration.inSeconds(s.started_at, datetime()).seconds AS age_seconds,
       l.heartbeat_at AS heartbeat_at, coalesce(l.expires_at > datetime(), false) AS lease_live
ORDER BY s.started_at
"""


def health(graph: Graph) -> dict:
    out = {"status": "ok", "neo4j": "reachable", "schema_version": None, "code_schema_version": code_version(),
           "last_sync": None, "last_analysis": None, "sources": [], "running": []}
    try:
        rows = graph.read(
            "OPTIONAL MATCH (v:SchemaVersion {id: 'cloudmap'}) WITH v.version AS version "
            "OPTIONAL MATCH (s:Sync) WHERE s.status IN $completed "
            "WITH version, s ORDER BY s.finished_at DESC LIMIT 1 "
            "WITH version, s OPTIONAL MATCH (a:Analysis) WITH version, s, a ORDER BY a.started_at DESC LIMIT 1 "
            f"RETURN version, s {SYNC_FIELDS} AS sync, "
            "a {.id, .status, .started_at, .finished_at, .findings_open} AS analysis", completed=COMPLETED)
        sources = graph.read(
            "MATCH (s:Sync) WHERE s.status IN $completed WITH s ORDER BY s.finished_at DESC "
            f"WITH s.source AS source, collect(s)[0] AS s RETURN s {SYNC_FIELDS} AS sync ORDER BY source",
            completed=COMPLETED)
        running = graph.read(_RUNNING)
    except (Neo4jError, DriverError, OSError) as exc:
        return {**out, "status": "degraded", "neo4j": f"unreachable ({type(exc).__name__})"}
    row = rows[0]
    out.update(schema_version=row["version"], last_sync=json_value(row["sync"]),
               last_analysis=json_value(row["analysis"]),
               sources=[json_value(r["sync"]) for r in sources],
               running=[{**json_value(r["sync"]), "age_seconds": r["age_seconds"],
                         "heartbeat_at": json_value(r["heartbeat_at"]), "lease_live": r["lease_live"]}
                        for r in running])
    return out
