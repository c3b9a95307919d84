"""What `GET /health` reports: Neo4j reachable, schema version, the last sync and the last analysis."""

from __future__ import annotations

from neo4j.exceptions import DriverError, Neo4jError

from cloudmap.graph.driver import Graph
from cloudmap.graph.schema import code_version
from cloudmap.services.hunt import json_value


def health(graph: Graph) -> dict:
    out = {"status": "ok", "neo4j": "reachable", "schema_version": None, "code_schema_version": code_version(),
           "last_sync": None, "last_analysis": None}
    try:
        rows = graph.read(
            "OPTIONAL MATCH (v:SchemaVersion {id: 'cloudmap'}) WITH v.version AS version "
            "OPTIONAL MATCH (s:Sync) WITH version, s ORDER BY s.started_at DESC LIMIT 1 "
            "WITH version, s OPTIONAL MATCH (a:Analysis) WITH version, s, a ORDER BY a.started_at DESC LIMIT 1 "
            "RETURN version, s {.id, .source, .provider, .status, .started_at, .finished_at} AS sync, "
            "a {.id, .status, .started_at, .finished_at, .findings_open} AS analysis")
    except (Neo4jError, DriverError, OSError) as exc:
        return {**out, "status": "degraded", "neo4j": f"unreachable ({type(exc).__name__})"}
    row = rows[0]
    out.update(schema_version=row["version"], last_sync=json_value(row["sync"]),
               last_analysis=json_value(row["analysis"]))
    return out
