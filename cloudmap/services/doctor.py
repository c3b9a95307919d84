"""`cloudmap doctor`: what this machine and this graph need, each problem with its fix in one line.

The checks follow the order a first run depends on: a JDK and the Neo4j jars (or Maven to fetch
them) for the local server, its ports, the connection, the schema, and the last sync of each source.
"""

from __future__ import annotations

import shutil
from dataclasses import asdict, dataclass

from neo4j.exceptions import DriverError, Neo4jError

from cloudmap.config import Settings
from cloudmap.db.manage import local_server
from cloudmap.db.runtime import ServerError, find_java, runtime_dir
from cloudmap.db.server import port_free
from cloudmap.graph.driver import GraphError, connect
from cloudmap.graph.schema import code_version

# Sync states that leave a source's data older than the operator thinks.
UNHEALTHY_SYNC = {"failed", "partial", "abandoned", "suspect"}


@dataclass
class Check:
    name: str
    ok: bool
    detail: str
    fix: str = ""

    def as_dict(self) -> dict:
        return asdict(self)


def run_checks(settings: Settings) -> list[Check]:
    checks = [] if settings.external else _local_server_checks(settings)
    try:
        graph = connect(settings)
    except GraphError as exc:
        fix = ("check NEO4J_URI / NEO4J_USER / NEO4J_PASSWORD" if settings.external
               else "run `cloudmap db start` (or set NEO4J_URI to a server of your own)")
        return [*checks, Check("neo4j", False, str(exc), fix)]
    try:
        checks.append(Check("neo4j", True, f"connected to {settings.bolt_uri}"))
        checks += _graph_checks(graph)
    except (Neo4jError, DriverError) as exc:
        checks.append(Check("neo4j", False, f"queries fail: {exc}", "see the Neo4j log (`cloudmap db status`)"))
    finally:
        graph.close()
    return checks


def _local_server_checks(settings: Settings) -> list[Check]:
    out = []
    try:
        out.append(Check("java", True, find_java()))
    except ServerError as exc:
        out.append(Check("java", False, str(exc), "install a JDK 17 or 21, or set JAVA_HOME (or set NEO4J_URI)"))
    jars = runtime_dir(settings.data_dir, settings.neo4j_version, settings.browser_version)
    if (jars / ".complete").exists():
        out.append(Check("neo4j jars", True, f"Neo4j {settings.neo4j_version} cached in {jars}"))
    elif shutil.which("mvn"):
        out.append(Check("neo4j jars", True, f"not fetched yet; `cloudmap db start` fetches them with "
                                             f"{shutil.which('mvn')} (about 140 MB, once)"))
    else:
        out.append(Check("neo4j jars", False, "the Neo4j jars are not cached and Maven (mvn) is not installed",
                         "install Maven (apt-get install maven), or set NEO4J_URI to a server of your own"))
    server = local_server(settings)
    running = server.running_pid() is not None
    for port, setting in ((settings.bolt_port, "CLOUDMAP_BOLT_PORT"), (settings.http_port, "CLOUDMAP_HTTP_PORT")):
        if running or port_free(port):
            out.append(Check(f"port {port}", True, "used by cloudmap's Neo4j" if running else "free"))
        else:
            out.append(Check(f"port {port}", False, f"127.0.0.1:{port} is in use by another program",
                             f"stop that program, or choose another port with {setting}"))
    return out


def _graph_checks(graph) -> list[Check]:
    out = []
    rows = graph.read("OPTIONAL MATCH (v:SchemaVersion {id: 'cloudmap'}) RETURN v.version AS version")
    have, code = rows[0]["version"], code_version()
    if have is None:
        out.append(Check("schema", True, f"not applied yet; the first load applies version {code}"))
    elif have > code:
        out.append(Check("schema", False, f"the database has schema version {have}, newer than this cloudmap's "
                                          f"{code}", "upgrade cloudmap (pip install -U cloudmap)"))
    else:
        out.append(Check("schema", True, f"version {have}" + ("" if have == code else
                                                               f" (this cloudmap upgrades it to {code})")))
    syncs = graph.read(
        "MATCH (s:Sync) WITH s.source AS source, s ORDER BY s.started_at DESC "
        "WITH source, collect(s)[0] AS s "
        "RETURN source, s.provider AS provider, s.status AS status, toString(s.started_at) AS started_at "
        "ORDER BY source")
    if not syncs:
        out.append(Check("syncs", True, "nothing loaded yet: `cloudmap demo`, or `cloudmap load <source>`"))
    for row in syncs:
        ok = row["status"] not in UNHEALTHY_SYNC
        out.append(Check(f"sync {row['source']}", ok, f"last sync {row['status']} at {row['started_at']}",
                         "" if ok else f"rerun `cloudmap load {row['provider'] or '<source>'}`; the sync's errors name what failed "
                                       f"(MATCH (s:Sync {{source: '{row['source']}'}}) RETURN s ORDER BY "
                                       f"s.started_at DESC LIMIT 1)"))
    return out
