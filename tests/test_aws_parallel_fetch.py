"""The AWS loader's parallel fetch: the real CLI against moto's server on a real Neo4j. A load with
``--max-workers 8`` writes exactly the graph a load with ``--max-workers 1`` writes; throttled calls,
injected by the fault proxy, are retried, counted in the summary, and lose or duplicate nothing."""

from __future__ import annotations

import json

import boto3
import pytest
from cloudmap.loaders.aws.context import keep_host

from tests.aws_estate import OTHER_REGION, REGION, build_estate
from tests.graph_snapshot import graph_snapshot
from tests.helpers import moto_env, run_cli
from tests.reliability.faultproxy import FaultProxy


@pytest.fixture(scope="module")
def moto():
    """moto's server with the shared test estate (two regions, every kind the loader maps), and the
    fault proxy in front of it."""
    from moto.server import ThreadedMotoServer

    from cloudmap.db.server import free_port

    mp = moto_env(REGION)
    port = free_port()
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
    server.start()
    endpoint = f"http://127.0.0.1:{port}"
    mp.setenv("AWS_ENDPOINT_URL", endpoint)
    boto3.client("s3", region_name=REGION).list_buckets()  # the server is up
    import requests
    requests.post(f"{endpoint}/moto-api/reset", timeout=30)  # the server shares moto's in-process state
    session = boto3.Session(region_name=REGION)
    session.events.register("before-call", keep_host(f"127.0.0.1:{port}"))  # s3control's account host
    build_estate(session, moto_api=endpoint)
    with FaultProxy(endpoint) as proxy:
        yield {"endpoint": endpoint, "proxy": proxy}
    server.stop()
    mp.undo()


def load(cli_env, url: str, *options: str, attempts: int = 5) -> dict:
    env = {**cli_env, "AWS_ENDPOINT_URL": url, "AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing",
           "AWS_DEFAULT_REGION": REGION, "AWS_MAX_ATTEMPTS": str(attempts)}
    proc = run_cli(env, "load", "aws", "--region", REGION, "--region", OTHER_REGION, *options, "--format", "json")
    assert proc.returncode == 0, proc.stderr + proc.stdout
    return json.loads(proc.stdout)[0]


@pytest.fixture(scope="module")
def serial(_session_graph, neo4j_env, neo4j_settings, tmp_path_factory, moto) -> dict:
    """One load with --max-workers 1 into an empty graph: its summary and the graph it wrote."""
    env = cli_env_for(neo4j_env, neo4j_settings, tmp_path_factory.mktemp("serial"))
    empty(_session_graph)
    summary = load(env, moto["endpoint"], "--max-workers", "1")
    assert summary["max_workers"] == 1 and summary["throttled"] == 0
    assert summary["written"]["AWSInstance"] >= 3 and summary["written"]["AWSS3Bucket"] >= 1
    return {"summary": summary, "graph": graph_snapshot(_session_graph)}


def cli_env_for(neo4j_env, neo4j_settings, tmp) -> dict:
    import os
    env = {k: v for k, v in os.environ.items() if not k.startswith(("NEO4J_", "CLOUDMAP_"))}
    return {**env, **neo4j_env, "CLOUDMAP_AUTH_DB": str(neo4j_settings.auth_db),
            "CLOUDMAP_CONFIG": str(tmp / "config.toml"), "NO_COLOR": "1"}


def empty(graph) -> None:
    graph.run_autocommit("MATCH (n) WHERE NOT n:SchemaVersion CALL (n) { DETACH DELETE n } IN TRANSACTIONS")


def same_outcome(summary: dict, serial: dict) -> None:
    for key in ("status", "written", "scopes_completed", "scopes_failed", "scopes_suspect"):
        assert summary[key] == serial["summary"][key], key
    assert not summary["removed"].get("nodes") and not summary["removed"].get("relationships")


def test_parallel_fetch_writes_the_graph_a_serial_fetch_writes(graph, cli_env, moto, serial):
    parallel = load(cli_env, moto["endpoint"], "--max-workers", "8")
    assert parallel["max_workers"] == 8 and parallel["throttled"] == 0
    same_outcome(parallel, serial)
    assert graph_snapshot(graph) == serial["graph"]


def test_each_region_lists_its_instances_once(graph, cli_env, moto, serial):
    """The network scope and the user-data scope share one DescribeInstances per region."""
    proxy = moto["proxy"]
    proxy.reset()
    parallel = load(cli_env, proxy.url, "--max-workers", "8")
    same_outcome(parallel, serial)
    assert proxy.actions["ec2:DescribeInstances"] == 2, proxy.actions   # two regions
    assert proxy.actions["ec2:DescribeInstanceAttribute"] >= 3             # user data, per instance
    assert graph_snapshot(graph) == serial["graph"]


def test_throttled_calls_are_retried_counted_and_lose_nothing(graph, cli_env, moto, serial):
    proxy = moto["proxy"]
    proxy.reset()
    # Two throttling answers for each of four services (XML and JSON protocols, 400 and 429), then
    # the real ones; botocore retries each call up to 4 attempts.
    proxy.faults.update({"ec2": "throttle", "iam": "throttle", "lambda": "429", "dynamodb": "throttle"})
    proxy.budget.update({service: 2 for service in proxy.faults})
    throttled = load(cli_env, proxy.url, "--max-workers", "8", attempts=4)
    assert proxy.hits == {service: 2 for service in proxy.faults}, proxy.hits
    assert throttled["throttled"] == 8, throttled
    same_outcome(throttled, serial)
    assert graph_snapshot(graph) == serial["graph"]
