"""`cloudmap doctor` through the real entry point: each check's verdict, and each problem's fix."""

from __future__ import annotations

import json
import socket

import pytest

from cloudmap.db.server import free_port
from tests.helpers import run_cli


def _doctor(env: dict) -> tuple[int, list[dict]]:
    proc = run_cli(env, "doctor", "--format", "json")
    return proc.returncode, {c["name"]: c for c in json.loads(proc.stdout)}


@pytest.mark.neo4j
def test_doctor_reports_the_graph_and_the_last_sync_per_source(graph, cli_env):
    graph.write("CREATE (:Sync {id: 's1', source: 'aws 123456789012', provider: 'aws', status: 'success', "
                "started_at: datetime('2026-11-30T10:00:00Z')}), "
                "(:Sync {id: 's2', source: 'aws 123456789012', provider: 'aws', status: 'failed', "
                "started_at: datetime('2026-12-01T10:00:00Z')}), "
                "(:Sync {id: 's3', source: 'azure sub-1', provider: 'azure', status: 'success', "
                "started_at: datetime('2026-12-01T09:00:00Z')})")
    code, checks = _doctor(cli_env)
    assert code == 1
    assert checks["neo4j"]["ok"] and checks["schema"]["ok"] and checks["schema"]["detail"].startswith("version ")
    failed = checks["sync aws 123456789012"]
    assert not failed["ok"] and "failed" in failed["detail"] and "cloudmap load aws" in failed["fix"]
    assert checks["sync azure sub-1"]["ok"]

    table = run_cli(cli_env, "doctor")
    assert table.returncode == 1
    assert "FAIL sync aws 123456789012" in table.stdout and "ok   neo4j" in table.stdout


@pytest.mark.neo4j
def test_doctor_is_clean_on_a_healthy_graph(graph, cli_env):
    code, checks = _doctor(cli_env)
    assert code == 0, checks
    assert checks["syncs"]["ok"] and "nothing loaded yet" in checks["syncs"]["detail"]


def test_doctor_names_the_fix_for_an_unreachable_server(cli_env):
    env = {**cli_env, "NEO4J_URI": f"bolt://127.0.0.1:{free_port()}"}
    code, checks = _doctor(env)
    assert code == 1 and list(checks) == ["neo4j"]
    assert "not reachable" in checks["neo4j"]["detail"] and "NEO4J_URI" in checks["neo4j"]["fix"]


def test_doctor_checks_the_local_server_prerequisites(cli_env, tmp_path):
    env = {k: v for k, v in cli_env.items() if not k.startswith("NEO4J_")}
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        env.update(CLOUDMAP_DATA_DIR=str(tmp_path / "data"), CLOUDMAP_BOLT_PORT=str(port),
                   CLOUDMAP_HTTP_PORT=str(free_port()))
        code, checks = _doctor(env)
    assert code == 1
    assert checks["java"]["ok"]
    assert "not fetched yet" in checks["neo4j jars"]["detail"] or not checks["neo4j jars"]["ok"]
    assert not checks[f"port {port}"]["ok"] and "CLOUDMAP_BOLT_PORT" in checks[f"port {port}"]["fix"]
    assert not checks["neo4j"]["ok"] and "cloudmap db start" in checks["neo4j"]["fix"]
