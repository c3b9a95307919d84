"""Several machines: the cluster compose file is valid, and reads really run as reads (routed to
secondaries on a cluster), so a write sent down the read path is refused by the server."""

from __future__ import annotations

import os
import shutil
import subprocess

import pytest
import yaml
from neo4j.exceptions import ClientError

from tests.conftest import ROOT


def compose_command() -> list[str] | None:
    """`docker compose` (the plugin), else the standalone `docker-compose`; None without either."""
    if shutil.which("docker"):
        probe = subprocess.run(["docker", "compose", "version"], capture_output=True, text=True, timeout=30)
        if probe.returncode == 0:
            return ["docker", "compose"]
    if shutil.which("docker-compose"):
        return ["docker-compose"]
    return None


def test_cluster_compose_file_is_valid():
    command = compose_command()
    if command is None:
        pytest.skip("no docker client with compose support (`docker compose` or `docker-compose`) on this machine")
    env = {**os.environ, "NEO4J_PASSWORD": "compose-check"}
    proc = subprocess.run([*command, "-f", str(ROOT / "docker-compose.cluster.yml"), "config"], env=env,
                          capture_output=True, text=True, timeout=60, cwd=ROOT)
    assert proc.returncode == 0, proc.stderr
    services = yaml.safe_load(proc.stdout)["services"]
    assert sorted(services) == ["core1", "core2", "core3"]
    bolt = set()
    for svc in services.values():
        env = svc["environment"]
        assert svc["image"].endswith("-enterprise") and env["NEO4J_ACCEPT_LICENSE_AGREEMENT"] == "eval"
        assert env["NEO4J_initial_dbms_default__primaries__count"] == "3"
        bolt.add(env["NEO4J_server_bolt_advertised__address"])
    assert bolt == {"localhost:7687", "localhost:7688", "localhost:7689"}


def test_reads_run_in_read_transactions(graph):
    with pytest.raises(ClientError) as refused:
        graph.read("CREATE (n:RoutingProbe) RETURN n")
    assert "AccessMode" in refused.value.code, refused.value.code
    assert graph.read("MATCH (n:RoutingProbe) RETURN count(n) AS n") == [{"n": 0}]
    assert graph.write("CREATE (n:RoutingProbe) RETURN count(n) AS n") == [{"n": 1}]
