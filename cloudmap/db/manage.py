"""`cloudmap db start | stop | status` as functions the CLI, the demo and the tests share."""

from __future__ import annotations

from dataclasses import dataclass

from neo4j.exceptions import Neo4jError

from cloudmap.config import Settings, config_path, load_settings, save_config_value
from cloudmap.db.runtime import ServerError, ensure_runtime
from cloudmap.db.server import LocalServer, docker_available, new_password
from cloudmap.graph.driver import GraphError, connect


def local_server(settings: Settings) -> LocalServer:
    from cloudmap.cypher.browser import browser_conf  # Browser plays the guide served by `cloudmap browser guide`

    password = settings.neo4j_password.get_secret_value() if settings.neo4j_password else None
    return LocalServer(settings.data_dir / "server", bolt_port=settings.bolt_port, http_port=settings.http_port,
                       password=password or "", heap=settings.heap, pagecache=settings.pagecache,
                       data_dir=settings.data_dir, neo4j_version=settings.neo4j_version,
                       browser_version=settings.browser_version, user=settings.neo4j_user,
                       use_docker=settings.use_docker, extra_conf=browser_conf(),
                       tx_timeout=settings.neo4j_tx_timeout, tx_memory=settings.neo4j_tx_memory)


def start(settings: Settings, echo=print, progress=None) -> Settings:
    """Start the local server unless NEO4J_URI names another one; returns settings that reach it.
    ``progress`` hears how the first fetch of the Neo4j jars goes."""
    if settings.external:
        raise ServerError(f"NEO4J_URI is set to {settings.neo4j_uri}: cloudmap uses that server as it is and "
                          f"does not start one (unset NEO4J_URI to use a local server)")
    if settings.neo4j_password is None:
        path = save_config_value("neo4j_password", new_password())
        echo(f"Generated a Neo4j password, saved in {path} (mode 0600).")
        settings = settings.model_copy(update={"neo4j_password": load_settings().neo4j_password})
    server = local_server(settings)
    docker = settings.use_docker == "yes" or (settings.use_docker == "auto" and docker_available())
    if progress and not docker and not server.running_pid():
        ensure_runtime(settings.data_dir, settings.neo4j_version, settings.browser_version, echo=echo,
                       progress=progress)
    info = server.start(echo=echo)
    echo(f"Neo4j is up ({info.route}): Bolt {info.bolt_uri}, Browser {info.browser_url}")
    return settings


def stop(settings: Settings) -> bool:
    if settings.external:
        raise ServerError("NEO4J_URI is set: cloudmap did not start that server and will not stop it")
    return local_server(settings).stop()


@dataclass
class Status:
    reachable: bool
    bolt_uri: str
    browser_url: str | None
    version: str | None = None
    edition: str | None = None
    nodes: int | None = None
    relationships: int | None = None
    log_file: str | None = None
    managed: bool = False
    reason: str | None = None
    last_sync: dict | None = None


def status(settings: Settings) -> Status:
    server = None if settings.external else local_server(settings)
    st = Status(reachable=False, bolt_uri=settings.bolt_uri,
                browser_url=server.browser_url if server else None,
                log_file=str(server.log_file) if server else None,
                managed=bool(server and server.running_pid()))
    try:
        with connect(settings) as graph:
            comp = graph.read("CALL dbms.components() YIELD versions, edition RETURN versions[0] AS v, edition")
            counts = graph.read("MATCH (n) WITH count(n) AS n CALL () { MATCH ()-[r]->() RETURN count(r) AS r } "
                                "RETURN n, r")
            last = graph.read("MATCH (s:Sync) RETURN s.id AS id, s.source AS source, s.status AS status, "
                              "toString(s.started_at) AS started_at ORDER BY s.started_at DESC LIMIT 1")
    except (GraphError, Neo4jError) as exc:
        st.reason = str(exc)
        return st
    st.reachable = True
    st.version, st.edition = comp[0]["v"], comp[0]["edition"]
    st.nodes, st.relationships = counts[0]["n"], counts[0]["r"]
    st.last_sync = last[0] if last else None
    return st


__all__ = ["start", "stop", "status", "local_server", "Status", "config_path"]
