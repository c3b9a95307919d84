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


def test_parallel_fetch_writes_the_graph_a_serial_fetch_writes(graph, cli_env, moto):
    serial = load(cli_env, moto["endpoint"], "--max-workers", "1")
    assert serial["max_workers"] == 1 and serial["throttled"] == 0
    assert serial["written"]["AWSInstance"] >= 3 and serial["written"]["AWSS3Bucket"] >= 1
    snapshot = graph_snapshot(graph)
    wipe_sync_state(graph)
    parallel = load(cli_env, moto["endpoint"], "--max-workers", "8")
    assert parallel["max_workers"] == 8
    for key in ("written", "scopes_completed", "scopes_failed", "scopes_suspect"):
        assert parallel[key] == serial[key], key
    assert graph_snapshot(graph) == snapshot
    # and once more over the graph the parallel load wrote: an update in place, nothing removed
    again = load(cli_env, moto["endpoint"], "--max-workers", "8")
    assert not again["removed"].get("nodes") and not again["removed"].get("relationships")
    assert graph_snapshot(graph) == snapshot


def wipe_sync_state(graph) -> None:
    graph.run_autocommit("MATCH (n) WHERE NOT n:SchemaVersion CALL (n) { DETACH DELETE n } IN TRANSACTIONS")


def test_throttled_calls_are_retried_counted_and_lose_nothing(graph, cli_env, moto):
    proxy = moto["proxy"]
    proxy.reset()
    clean = load(cli_env, proxy.url)
    snapshot = graph_snapshot(graph)
    # Two throttling answers for each of four services (XML and JSON protocols, 400 and 429), then
    # the real ones; botocore retries each call up to 4 attempts.
    proxy.faults.update({"ec2": "throttle", "iam": "throttle", "lambda": "429", "dynamodb": "throttle"})
    proxy.budget.update({service: 2 for service in proxy.faults})
    throttled = load(cli_env, proxy.url, "--max-workers", "8", attempts=4)
    assert proxy.hits == {service: 2 for service in proxy.faults}, proxy.hits
    assert throttled["throttled"] == 8, throttled
    assert throttled["status"] == clean["status"] and throttled["scopes_failed"] == clean["scopes_failed"]
    assert throttled["written"] == clean["written"]
    assert not throttled["removed"].get("nodes") and not throttled["removed"].get("relationships")
    assert graph_snapshot(graph) == snapshot
    # the table output says so too
    proxy.reset()
    proxy.faults["ec2"] = "throttle"
    proxy.budget["ec2"] = 1
    env = {**cli_env, "AWS_ENDPOINT_URL": proxy.url, "AWS_ACCESS_KEY_ID": "testing",
           "AWS_SECRET_ACCESS_KEY": "testing", "AWS_DEFAULT_REGION": REGION}
    proc = run_cli(env, "load", "aws", "--region", REGION, "--region", OTHER_REGION)
    assert proc.returncode == 0 and "1 throttled AWS answer(s), retried with backoff" in proc.stderr, proc.stderr
    assert graph_snapshot(graph) == snapshot
