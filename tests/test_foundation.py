"""The foundation: settings, the local server's error paths, schema, CLI `db` verbs, generated docs."""

from __future__ import annotations

import os
import socket
import stat

import pytest

from cloudmap.config import ConfigError, load_settings, save_config_value
from cloudmap.db.runtime import ServerError, find_java, java_major
from cloudmap.db.server import LocalServer, free_port, new_password
from cloudmap.graph import docs
from cloudmap.graph.driver import GraphError, connect
from cloudmap.graph.schema import apply_schema, code_version, generated_indexes, schema_dir
from tests.helpers import run_cli


def test_settings_env_over_file(tmp_path, monkeypatch):
    monkeypatch.setenv("CLOUDMAP_CONFIG", str(tmp_path / "c.toml"))
    monkeypatch.delenv("NEO4J_PASSWORD", raising=False)
    path = save_config_value("neo4j_password", "from-file")
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o600
    assert load_settings().neo4j_password.get_secret_value() == "from-file"
    monkeypatch.setenv("NEO4J_PASSWORD", "from-env")
    assert load_settings().neo4j_password.get_secret_value() == "from-env"


def test_bad_setting_names_it(tmp_path, monkeypatch):
    monkeypatch.setenv("CLOUDMAP_CONFIG", str(tmp_path / "c.toml"))
    monkeypatch.setenv("CLOUDMAP_BOLT_PORT", "seventy")
    with pytest.raises(ConfigError, match="CLOUDMAP_BOLT_PORT"):
        load_settings()
    monkeypatch.delenv("CLOUDMAP_BOLT_PORT")
    (tmp_path / "c.toml").write_text("nonsense = 1\n")
    with pytest.raises(ConfigError, match="unknown setting.*nonsense"):
        load_settings()


def test_java_is_found_and_supported():
    assert java_major(find_java()) in (17, 21)


def test_no_java_is_one_clear_error(monkeypatch, tmp_path):
    monkeypatch.setenv("PATH", str(tmp_path))
    monkeypatch.setenv("JAVA_HOME", str(tmp_path / "nojdk"))
    monkeypatch.setattr("cloudmap.db.runtime.JVM_ROOT", tmp_path / "jvm")
    with pytest.raises(ServerError, match="no Java found"):
        find_java()


def test_no_maven_is_one_clear_error(monkeypatch, tmp_path):
    from cloudmap.db import runtime
    monkeypatch.setattr(runtime.shutil, "which", lambda name: None)
    with pytest.raises(ServerError, match=r"Maven \(mvn\) is not installed"):
        runtime.ensure_runtime(tmp_path, "5.26.30", "5.24.0")


def test_unresolvable_version_is_one_clear_error(tmp_path):
    from cloudmap.db import runtime
    with pytest.raises(ServerError, match="Maven Central has no Neo4j 0.0.1|cannot download"):
        runtime.ensure_runtime(tmp_path, "0.0.1", "5.24.0")


def test_port_in_use_is_one_clear_error(tmp_path):
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        s.listen()
        busy = s.getsockname()[1]
        server = LocalServer(tmp_path, bolt_port=busy, http_port=free_port(), password="x" * 12,
                             data_dir=tmp_path, neo4j_version="5.26.30", browser_version="5.24.0", use_docker="no")
        with pytest.raises(ServerError, match=f"port {busy} .* CLOUDMAP_BOLT_PORT"):
            server.start()


def test_wrong_password_is_one_clear_error(neo4j_settings):
    bad = neo4j_settings.model_copy(update={"neo4j_password": type(neo4j_settings.neo4j_password)("wrong-pw")})
    with pytest.raises(GraphError, match="refused user 'neo4j'.*NEO4J_PASSWORD"):
        connect(bad)


def test_unreachable_server_is_one_clear_error(neo4j_settings):
    bad = neo4j_settings.model_copy(update={"neo4j_uri": f"bolt://127.0.0.1:{free_port()}"})
    with pytest.raises(GraphError, match="not reachable.*NEO4J_URI"):
        connect(bad)


def test_schema_constraints_and_version(graph):
    names = {r["name"] for r in graph.read("SHOW CONSTRAINTS YIELD name")}
    assert {"asset_id", "vulnerability_id", "finding_id", "sync_id"} <= names
    rel_indexes = {r["name"] for r in graph.read("SHOW INDEXES YIELD name WHERE name STARTS WITH 'rel_scope_'")}
    assert "rel_scope_has_vulnerability" in rel_indexes
    assert apply_schema(graph, force=True) == code_version()  # idempotent


def test_newer_schema_is_refused(graph):
    graph.write("MATCH (v:SchemaVersion {id: 'cloudmap'}) SET v.version = $v", v=code_version() + 1)
    try:
        with pytest.raises(GraphError, match="newer than this cloudmap"):
            apply_schema(graph, force=True)
    finally:
        graph.write("MATCH (v:SchemaVersion {id: 'cloudmap'}) SET v.version = $v", v=code_version())


def test_generated_docs_and_indexes_are_current():
    assert docs.DOC.read_text() == docs.render_doc(docs.DOC.read_text()), "run: python -m cloudmap.graph.docs"
    assert schema_dir().joinpath("relationship-indexes.cypher").read_text() == generated_indexes(), \
        "run: python -m cloudmap.graph.docs"


def test_cli_db_status_shows_live_server(cli_env, graph):
    proc = run_cli(cli_env, "db", "status")
    assert proc.returncode == 0, proc.stderr
    assert "Neo4j 5.26" in proc.stdout and "nodes" in proc.stdout


def test_cli_db_start_refuses_external_server(cli_env):
    proc = run_cli(cli_env, "db", "start")
    assert proc.returncode == 1
    assert "NEO4J_URI is set" in proc.stderr and "Traceback" not in proc.stderr


def test_cli_bad_password_exit_code(cli_env):
    env = {**cli_env, "NEO4J_PASSWORD": "definitely-wrong"}
    proc = run_cli(env, "db", "status")
    assert proc.returncode == 1
    assert "refused user" in proc.stderr and "Traceback" not in proc.stderr


def test_cli_db_start_status_stop_local_server(tmp_path):
    """The user's path: start (generates and saves a password), start again (idempotent), status, stop."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("NEO4J_", "CLOUDMAP_"))}
    base = load_settings()
    env.update({"CLOUDMAP_CONFIG": str(tmp_path / "config.toml"), "CLOUDMAP_DATA_DIR": str(tmp_path / "data"),
                "CLOUDMAP_BOLT_PORT": str(free_port()), "CLOUDMAP_HTTP_PORT": str(free_port()),
                "CLOUDMAP_USE_DOCKER": "no", "NO_COLOR": "1"})
    # reuse the jars already fetched for this machine instead of copying 140 MB again
    (tmp_path / "data").mkdir()
    (tmp_path / "data" / "runtime").symlink_to(base.data_dir / "runtime")
    try:
        first = run_cli(env, "db", "start")
        assert first.returncode == 0, first.stderr
        assert "Generated a Neo4j password" in first.stderr
        assert stat.S_IMODE(os.stat(tmp_path / "config.toml").st_mode) == 0o600
        again = run_cli(env, "db", "start")
        assert again.returncode == 0 and "Generated" not in again.stderr
        status = run_cli(env, "db", "status")
        assert status.returncode == 0 and "Neo4j 5.26" in status.stdout
        assert str(tmp_path / "data" / "server" / "logs" / "neo4j.log") in status.stdout
        import urllib.request
        page = urllib.request.urlopen(f"http://127.0.0.1:{env['CLOUDMAP_HTTP_PORT']}/browser/", timeout=10)
        assert page.status == 200 and b"Neo4j Browser" in page.read()
    finally:
        stop = run_cli(env, "db", "stop")
    assert stop.returncode == 0 and "stopped" in stop.stderr
    after = run_cli(env, "db", "status")
    assert after.returncode == 1 and "not reachable" in after.stderr


def test_password_that_looks_like_an_option_is_set(tmp_path):
    """A password starting with '-' must reach neo4j-admin as the password, not as an option."""
    base = load_settings()
    server = LocalServer(tmp_path / "server", bolt_port=free_port(), http_port=free_port(), password="-dash-first-pw",
                         data_dir=base.data_dir, neo4j_version=base.neo4j_version,
                         browser_version=base.browser_version, use_docker="no")
    try:
        server.start()
        from neo4j import GraphDatabase
        with GraphDatabase.driver(server.bolt_uri, auth=("neo4j", "-dash-first-pw")) as drv:
            assert drv.execute_query("RETURN 1 AS one").records[0]["one"] == 1
    finally:
        server.stop()


def test_generated_passwords_are_letters_and_digits():
    assert all(new_password().isalnum() for _ in range(500))


def _compose_cmd():
    import shutil
    import subprocess
    if shutil.which("docker") and subprocess.run(["docker", "compose", "version"], capture_output=True).returncode == 0:
        return ["docker", "compose"]
    return ["docker-compose"] if shutil.which("docker-compose") else None


def _compose_config(env: dict[str, str]) -> dict:
    """`docker compose config` where a compose CLI exists; else the same interpolation in Python
    (``${VAR}``, ``${VAR:-default}``, ``${VAR:?error}``), so the file is checked on every machine."""
    import re
    import subprocess
    from pathlib import Path

    import yaml
    root = Path(__file__).resolve().parents[1]
    cmd = _compose_cmd()
    if cmd:
        done = subprocess.run([*cmd, "-f", str(root / "docker-compose.yml"), "config"], capture_output=True,
                              text=True, env=env, cwd=root)
        if done.returncode != 0:
            raise ValueError(done.stderr)
        return yaml.safe_load(done.stdout)

    def expand(match: re.Match) -> str:
        name, op, arg = match.group(1), match.group(2), match.group(3)
        value = env.get(name)
        if op == ":?" and not value:
            raise ValueError(f"required variable {name} is missing a value: {arg}")
        if op == ":-" and not value:
            return arg
        return value or ""
    text = re.sub(r"\$\{(\w+)(?:(:\?|:-)([^}]*))?\}", expand, (root / "docker-compose.yml").read_text())
    return yaml.safe_load(text)


def test_docker_compose_file_is_valid():
    env = {**os.environ, "NEO4J_PASSWORD": "compose-check"}
    config = _compose_config(env)
    neo4j, api = config["services"]["neo4j"], config["services"]["api"]
    assert neo4j["image"] == "neo4j:5.26-community"
    assert neo4j["environment"]["NEO4J_AUTH"] == "neo4j/compose-check"
    assert api["environment"]["NEO4J_URI"] == "bolt://neo4j:7687"
    published = [p if isinstance(p, str) else f"{p.get('host_ip')}:{p.get('published')}:{p.get('target')}"
                 for service in (neo4j, api) for p in service["ports"]]
    assert all(str(p).startswith("127.0.0.1:") for p in published), published   # never on all interfaces
    env.pop("NEO4J_PASSWORD")
    with pytest.raises(ValueError, match="NEO4J_PASSWORD"):
        _compose_config(env)
