"""Test set-up: a real Neo4j for every integration test.

In order: the server NEO4J_URI points to (its data is wiped between tests, so it must be a
throw-away database: set CLOUDMAP_TESTS_MAY_WIPE=1 to confirm); a Docker engine through
pytest-docker and docker-compose.yml; else the JVM server assembled from Maven Central, on free
ports in a temporary home, started once per test session and stopped at the end.
"""

from __future__ import annotations

import os
import threading
from pathlib import Path

import pytest

from cloudmap.config import load_settings
from cloudmap.db.server import LocalServer, docker_available, free_port, new_password
from cloudmap.graph.driver import Graph, connect
from cloudmap.graph.schema import apply_schema

ROOT = Path(__file__).resolve().parents[1]
FIXTURES = Path(__file__).parent / "fixtures"
_SERVER_LOGS = pytest.StashKey[Path]()


@pytest.fixture(scope="session")
def docker_compose_file():
    return str(ROOT / "docker-compose.yml")


def _wait_bolt(uri: str, password: str) -> bool:
    from neo4j import GraphDatabase
    try:
        with GraphDatabase.driver(uri, auth=("neo4j", password)) as drv:
            drv.verify_connectivity()
        return True
    except Exception:  # noqa: BLE001 - any failure means "not yet"
        return False


@pytest.fixture(scope="session")
def neo4j_env(request, tmp_path_factory) -> dict[str, str]:
    """Environment variables that reach the test server (for settings and for CLI subprocesses)."""
    if os.environ.get("NEO4J_URI"):
        if os.environ.get("CLOUDMAP_TESTS_MAY_WIPE") != "1":
            pytest.skip("NEO4J_URI is set: the tests wipe that database; set CLOUDMAP_TESTS_MAY_WIPE=1 to allow")
        yield {k: os.environ[k] for k in ("NEO4J_URI", "NEO4J_USER", "NEO4J_PASSWORD", "NEO4J_DATABASE")
               if k in os.environ}
        return
    if os.environ.get("CLOUDMAP_TEST_DOCKER", "auto") != "no" and docker_available():
        password = os.environ.get("NEO4J_PASSWORD", "cloudmap-test-password")
        os.environ.setdefault("NEO4J_PASSWORD", password)
        services = request.getfixturevalue("docker_services")
        uri = f"bolt://127.0.0.1:{services.port_for('neo4j', 7687)}"
        services.wait_until_responsive(timeout=180, pause=1, check=lambda: _wait_bolt(uri, password))
        yield {"NEO4J_URI": uri, "NEO4J_PASSWORD": password}
        return
    base = load_settings()
    home = tmp_path_factory.mktemp("neo4j-home")
    server = LocalServer(home, bolt_port=free_port(), http_port=free_port(), password=new_password(),
                         heap="768m", pagecache="256m", data_dir=base.data_dir, neo4j_version=base.neo4j_version,
                         browser_version=base.browser_version, use_docker="no")
    server.start()
    request.config.stash[_SERVER_LOGS] = server.log_file.parent
    try:
        yield {"NEO4J_URI": server.bolt_uri, "NEO4J_PASSWORD": server.password, "NEO4J_USER": "neo4j",
               "CLOUDMAP_HTTP_PORT": str(server.http_port)}
    finally:
        server.stop()


@pytest.fixture(scope="session")
def neo4j_logs(request, neo4j_env):
    """Reads the text of every log file of the test server the set-up started (neo4j.log, debug.log,
    console.log, ...); None when the server is not ours (NEO4J_URI, Docker)."""
    logs = request.config.stash.get(_SERVER_LOGS, None)
    if logs is None:
        return None

    def read() -> str:
        files = sorted(p for p in logs.rglob("*") if p.is_file())
        assert files, f"no log files in {logs}"
        return "\n".join(p.read_text(errors="replace") for p in files)
    return read


@pytest.fixture(scope="session")
def neo4j_settings(neo4j_env, tmp_path_factory):
    """Settings for the test server; API keys and saved queries go to a session auth store."""
    return load_settings(**{k.lower(): v for k, v in neo4j_env.items() if k.startswith("NEO4J_")},
                         auth_db=tmp_path_factory.mktemp("auth") / "auth.sqlite3")


@pytest.fixture(scope="session")
def _session_graph(neo4j_settings):
    graph = connect(neo4j_settings)
    apply_schema(graph)
    yield graph
    graph.close()


def wipe(graph: Graph) -> None:
    graph.run_autocommit("MATCH (n) WHERE NOT n:SchemaVersion "
                         "CALL (n) { DETACH DELETE n } IN TRANSACTIONS OF 10000 ROWS")


@pytest.fixture
def graph(_session_graph, neo4j_settings) -> Graph:
    """The test graph, empty at the start of each test (schema in place), and no saved queries."""
    for thread in threading.enumerate():   # an analysis an earlier test started must not write into this one
        if thread.name.startswith("analysis-job-"):
            thread.join(timeout=600)
    wipe(_session_graph)
    from cloudmap.services.authstore import AuthStore
    with AuthStore(neo4j_settings.auth_db).connect() as db:
        db.execute("DELETE FROM saved_queries")
        db.execute("DELETE FROM query_history")
    return _session_graph


@pytest.fixture
def cli_env(neo4j_env, neo4j_settings, tmp_path) -> dict[str, str]:
    """Environment for running the real `cloudmap` entry point against the test server."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("NEO4J_", "CLOUDMAP_"))}
    env.update(neo4j_env)
    env["CLOUDMAP_AUTH_DB"] = str(neo4j_settings.auth_db)
    env["CLOUDMAP_CONFIG"] = str(tmp_path / "config.toml")
    env["NO_COLOR"] = "1"
    env["COLUMNS"] = "200"
    return env
