"""Loads never lose data: the real CLI against moto's server, through a fault proxy, on a real Neo4j.

Every test loads the same small account and compares the asset ids after each step with those of a
clean load: nothing lost, nothing duplicated.
"""

from __future__ import annotations

import json
import random
import signal
import subprocess
import sys
import time
from datetime import datetime

import boto3
import pytest

from tests.aws_estate import _zip
from tests.helpers import run_cli
from tests.reliability.faultproxy import FaultProxy

ACCOUNT, REGION = "123456789012", "us-east-1"
TRUST_LAMBDA = {"Version": "2012-10-17", "Statement": [
    {"Effect": "Allow", "Principal": {"Service": "lambda.amazonaws.com"}, "Action": "sts:AssumeRole"}]}


def scope(service: str) -> str:
    return f"aws/{ACCOUNT}/{REGION}/{service}"


@pytest.fixture(scope="module")
def aws():
    """moto's server for the module, a small estate in it, and the fault proxy in front of it."""
    from moto.server import ThreadedMotoServer

    from cloudmap.db.server import free_port

    mp = pytest.MonkeyPatch()
    for key, value in {"AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing",
                       "AWS_DEFAULT_REGION": REGION, "MOTO_IAM_LOAD_MANAGED_POLICIES": "false"}.items():
        mp.setenv(key, value)
    mp.delenv("AWS_PROFILE", raising=False)
    port = free_port()
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
    server.start()
    endpoint = f"http://127.0.0.1:{port}"
    session = boto3.Session(region_name=REGION)

    def client(name):
        return session.client(name, endpoint_url=endpoint)

    role = client("iam").create_role(RoleName="fn-role", AssumeRolePolicyDocument=json.dumps(TRUST_LAMBDA))
    for i in range(3):
        client("secretsmanager").create_secret(Name=f"app-secret-{i}", SecretString="not-a-secret-" + str(i))
        client("dynamodb").create_table(TableName=f"orders-{i}", BillingMode="PAY_PER_REQUEST",
                                        AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"}],
                                        KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}])
        client("s3").create_bucket(Bucket=f"acme-reliability-{i}")
    for i in range(2):
        client("lambda").create_function(FunctionName=f"worker-{i}", Runtime="python3.12",
                                         Role=role["Role"]["Arn"], Handler="handler.handler",
                                         Code={"ZipFile": _zip()})
    with FaultProxy(endpoint) as proxy:
        yield {"endpoint": endpoint, "proxy": proxy, "client": client}
    server.stop()
    mp.undo()


@pytest.fixture
def env(cli_env, aws) -> dict:
    aws["proxy"].faults.clear()
    return {**cli_env, "AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing",
            "AWS_DEFAULT_REGION": REGION, "AWS_ENDPOINT_URL": aws["proxy"].url}


def load_args(*options: str) -> list[str]:
    return ["load", *options, "aws", "--region", REGION, "--format", "json"]


def load(env, *options: str) -> dict:
    proc = run_cli(env, *load_args(*options))
    assert proc.returncode == 0, proc.stderr + proc.stdout
    return json.loads(proc.stdout)[0]


def start(env, *options: str) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, "-m", "cloudmap", *load_args(*options)], env=env, text=True,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE)


def assets(graph) -> dict[str, list[str]]:
    """The account's asset ids per scope; duplicates would show as repeated ids."""
    rows = graph.read("MATCH (n:Asset {account_id: $a}) RETURN n.scope AS scope, n.id AS id ORDER BY id",
                      a=ACCOUNT)
    out: dict[str, list[str]] = {}
    for row in rows:
        out.setdefault(row["scope"], []).append(row["id"])
    return out


def total(snapshot: dict) -> int:
    return sum(len(v) for v in snapshot.values())


@pytest.fixture
def baseline(graph, env) -> dict:
    summary = load(env)
    assert summary["status"] in ("success", "partial"), summary
    snap = assets(graph)
    assert len(snap[scope("secretsmanager")]) == 3 and len(snap[scope("lambda")]) == 2
    assert len(snap[scope("dynamodb")]) == 3
    return snap


def test_two_concurrent_loads_of_one_account(graph, env, aws, baseline):
    aws["proxy"].faults["kms"] = "delay"  # each load lasts at least the proxy's delay
    first, second = start(env), start(env)
    outs = [p.communicate(timeout=300) for p in (first, second)]
    codes = sorted(p.returncode for p in (first, second))
    assert codes == [0, 1], outs
    refused = next(err for p, (_, err) in zip((first, second), outs, strict=True) if p.returncode == 1)
    lines = [line for line in refused.splitlines() if line.strip()]
    assert len(lines) == 1 and f"aws {ACCOUNT} is locked by aws-" in lines[0], refused
    assert assets(graph) == baseline
    # with --wait the second one waits for the first, then loads the same account again
    both = [start(env, "--wait", "120"), start(env, "--wait", "120")]
    summaries = []
    for proc in both:
        out, err = proc.communicate(timeout=300)
        assert proc.returncode == 0, err
        summaries.append(json.loads(out)[0])
    assert assets(graph) == baseline
    assert not any(s["removed"].get("nodes") for s in summaries)
    assert graph.read("MATCH (s:Sync {status: 'running'}) RETURN count(s) AS n")[0]["n"] == 0


@pytest.mark.parametrize("faults", [
    {"lambda": "cut", "secretsmanager": "cut", "dynamodb": "cut"},
    {"secretsmanager": "cut-unframed", "lambda": "cut-unframed"},
    {"lambda": "403", "secretsmanager": "500", "dynamodb": "throttle"},
], ids=["cut-mid-body", "cut-without-length", "500-403-throttling"])
def test_faulty_answers_fail_their_scope_and_keep_its_data(graph, env, aws, baseline, faults):
    aws["proxy"].faults.update(faults)
    summary = load(env)
    assert {scope(s) for s in faults} <= set(summary["scopes_failed"]), summary
    assert summary["status"] == "partial"
    assert assets(graph) == baseline, "a broken answer removed assets"
    assert all(aws["proxy"].hits.get(s) for s in faults)
    aws["proxy"].faults.clear()
    clean = load(env)
    assert not {scope(s) for s in faults} & set(clean["scopes_failed"])
    assert assets(graph) == baseline


def test_slow_answers_lose_nothing(graph, env, aws, baseline):
    aws["proxy"].faults.update({"secretsmanager": "delay", "dynamodb": "delay"})
    summary = load(env)
    assert scope("secretsmanager") not in summary["scopes_failed"]
    assert assets(graph) == baseline


def test_an_account_that_lost_a_whole_service_needs_allow_empty(graph, env, aws, baseline):
    sm = aws["client"]("secretsmanager")
    names = [f"app-secret-{i}" for i in range(3)]
    for name in names:
        sm.delete_secret(SecretId=name, ForceDeleteWithoutRecovery=True)
    try:
        summary = load(env)
        assert summary["scopes_suspect"] == [scope("secretsmanager")], summary
        assert assets(graph) == baseline
        emptied = load(env, "--allow-empty")
        assert emptied["status"] == "success" and scope("secretsmanager") not in assets(graph)
    finally:
        for i, name in enumerate(names):
            sm.create_secret(Name=name, SecretString="not-a-secret-" + str(i))


def test_kill_9_at_random_points_then_a_clean_rerun(graph, env, baseline):
    rng = random.Random(1409)
    began = time.monotonic()
    load(env)
    duration = time.monotonic() - began
    abandoned = 0
    for _ in range(10):
        proc = start(env)
        time.sleep(rng.uniform(0.2, duration))
        proc.send_signal(signal.SIGKILL)
        proc.wait(timeout=30)
        assert total(assets(graph)) <= total(baseline)  # a killed load may stop early, never duplicates
        rerun = load(env)
        assert rerun["status"] in ("success", "partial") and assets(graph) == baseline
        abandoned = graph.read("MATCH (s:Sync {status: 'abandoned'}) RETURN count(s) AS n")[0]["n"]
    assert graph.read("MATCH (s:Sync {status: 'running'}) RETURN count(s) AS n")[0]["n"] == 0
    assert abandoned >= 1, "no kill landed while a Sync was recorded"


def test_analyze_waits_for_a_running_load(graph, env, aws, baseline):
    aws["proxy"].faults["kms"] = "delay"
    proc = start(env)
    deadline = time.monotonic() + 60
    while not graph.read("MATCH (l:Lease {id: $id}) RETURN l.id AS id", id=f"sync:aws {ACCOUNT}"):
        assert time.monotonic() < deadline and proc.poll() is None, "the load never held its lease"
        time.sleep(0.1)
    refused = run_cli(env, "analyze")
    assert refused.returncode == 1 and "analysis is locked by aws-" in refused.stderr, refused.stderr
    waited = run_cli(env, "analyze", "--wait", "300", "--format", "json")
    assert waited.returncode == 0, waited.stderr
    proc.communicate(timeout=120)
    assert proc.returncode == 0
    analysis = json.loads(waited.stdout)
    rows = graph.read("MATCH (s:Sync {source: $s}) RETURN max(s.finished_at) AS done", s=f"aws {ACCOUNT}")
    assert rows[0]["done"].to_native() <= datetime.fromisoformat(analysis["started_at"])
    assert assets(graph) == baseline
