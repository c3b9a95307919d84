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
from tests.helpers import moto_env, run_cli
from tests.reliability.faultproxy import FaultProxy
from tests.reliability.snapshot import assets_by_scope

ACCOUNT, REGION = "123456789012", "us-east-1"
SOURCE = f"aws {ACCOUNT}"
GLOBAL_SERVICES = {"account", "iam", "s3", "s3control"}
TRUST_LAMBDA = {"Version": "2012-10-17", "Statement": [
    {"Effect": "Allow", "Principal": {"Service": "lambda.amazonaws.com"}, "Action": "sts:AssumeRole"}]}
READ_SECRETS = {"Version": "2012-10-17", "Statement": [
    {"Effect": "Allow", "Action": "secretsmanager:GetSecretValue", "Resource": "*"}]}


# The scopes that read a service's API, where it is not only the scope of its name.
# Scopes whose calls sign with another service's name: s3control requests are signed for "s3".
SCOPES_OF = {"ecs": ("ecs", "ecs-runtime"), "iam": ("account", "iam"), "s3": ("s3", "s3control")}


def scope(service: str) -> str:
    return f"aws/{ACCOUNT}/{'global' if service in GLOBAL_SERVICES else REGION}/{service}"


def scopes_of(services) -> set[str]:
    return {scope(name) for service in services for name in SCOPES_OF.get(service, (service,))}


@pytest.fixture(scope="module")
def aws():
    """moto's server for the module, a small estate in it (a public function that reads secrets, so the
    analysis has findings), and the fault proxy in front of it."""
    from moto.server import ThreadedMotoServer

    from cloudmap.db.server import free_port

    mp = moto_env(REGION)
    port = free_port()
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
    server.start()
    endpoint = f"http://127.0.0.1:{port}"
    session = boto3.Session(region_name=REGION)

    def client(name):
        return session.client(name, endpoint_url=endpoint)

    role = client("iam").create_role(RoleName="fn-role", AssumeRolePolicyDocument=json.dumps(TRUST_LAMBDA))
    client("iam").put_role_policy(RoleName="fn-role", PolicyName="read", PolicyDocument=json.dumps(READ_SECRETS))
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
    client("lambda").create_function_url_config(FunctionName="worker-0", AuthType="NONE")
    client("lambda").add_permission(FunctionName="worker-0", StatementId="url", Action="lambda:InvokeFunctionUrl",
                                    Principal="*", FunctionUrlAuthType="NONE")
    client("ecs").create_cluster(clusterName="jobs")
    client("ecr").create_repository(repositoryName="app")
    client("kms").create_key(Description="app key")
    with FaultProxy(endpoint) as proxy:
        yield {"endpoint": endpoint, "proxy": proxy, "client": client}
    server.stop()
    mp.undo()


@pytest.fixture
def env(cli_env, aws) -> dict:
    aws["proxy"].reset()
    # One attempt per call: a broken service fails at once instead of after botocore's backoff.
    return {**cli_env, "AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing",
            "AWS_DEFAULT_REGION": REGION, "AWS_ENDPOINT_URL": aws["proxy"].url, "AWS_MAX_ATTEMPTS": "1"}


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
    return assets_by_scope(graph, "n.account_id = $a", a=ACCOUNT)


def count(graph, query: str, **params) -> int:
    return graph.read(query, **params)[0]["n"]


@pytest.fixture
def unserved(graph, env) -> set[str]:
    """The scopes moto's server cannot answer (s3control's account host, services it lacks): they fail
    in every load, the same way."""
    summary = load(env)
    return set(summary["scopes_failed"])


@pytest.fixture
def baseline(graph, unserved) -> dict:
    snap = assets(graph)
    assert len(snap[scope("secretsmanager")]) == 3 and len(snap[scope("lambda")]) == 2
    assert len(snap[scope("dynamodb")]) == 3 and len(snap[scope("s3")]) == 3
    assert snap[scope("ecs-runtime")] and snap[scope("ecr")] and snap[scope("kms")]
    return snap


def test_two_concurrent_loads_of_one_account(graph, env, aws, baseline):
    aws["proxy"].faults["kms"] = "delay"  # each load holds its lease a few seconds longer
    first, second = start(env), start(env)
    outs = [p.communicate(timeout=300) for p in (first, second)]
    assert sorted(p.returncode for p in (first, second)) == [0, 1], outs
    refused = next(err for p, (_, err) in zip((first, second), outs, strict=True) if p.returncode == 1)
    lines = [line for line in refused.splitlines() if line.strip()]
    assert len(lines) == 1 and f"{SOURCE} is locked by aws-" in lines[0] and "pid " in lines[0], refused
    assert assets(graph) == baseline
    # with --wait the second one waits for the first, then loads the same account again
    both = [start(env, "--wait", "120"), start(env, "--wait", "120")]
    summaries = []
    for proc in both:
        out, err = proc.communicate(timeout=300)
        assert proc.returncode == 0, err
        summaries.append(json.loads(out)[0])
    assert assets(graph) == baseline
    assert not any(s["removed"].get("nodes") or s["scopes_suspect"] for s in summaries), summaries
    assert count(graph, "MATCH (s:Sync {source: $s}) RETURN count(s) AS n", s=SOURCE) == 4  # the refused one wrote none
    assert count(graph, "MATCH (s:Sync {status: 'running'}) RETURN count(s) AS n") == 0


FAULTS = [
    {"lambda": "cut", "secretsmanager": "cut-unframed", "dynamodb": "500", "ecs": "403", "ecr": "throttle",
     "kms": "delay"},
    {"lambda": "429", "s3": "cut", "iam": "403"},
]


def test_faulty_answers_fail_their_scope_and_keep_its_data(graph, env, aws, unserved, baseline):
    """Cut bodies (with and without a Content-Length), 500, 403, throttling and 429 each fail their scope
    and keep its assets while the other scopes complete; a slow service completes."""
    proxy = aws["proxy"]
    for faults in FAULTS:
        proxy.reset()
        proxy.faults.update(faults)
        summary = load(env)
        broken = scopes_of(s for s, fault in faults.items() if fault != "delay")
        assert set(summary["scopes_failed"]) == broken | unserved, summary
        assert summary["status"] == "partial" and not summary["scopes_suspect"]
        assert not summary["removed"].get("nodes") and not summary["removed"].get("relationships")
        assert assets(graph) == baseline, "a broken answer removed assets"
        assert all(proxy.hits.get(s) for s in faults), proxy.hits
        record = graph.read("MATCH (s:Sync {id: $id}) RETURN s.status AS st, s.scopes_failed AS f",
                            id=summary["sync_id"])[0]
        assert record["st"] == "partial" and set(record["f"]) == broken | unserved
    proxy.reset()
    clean = load(env)
    assert set(clean["scopes_failed"]) == unserved and not clean["scopes_suspect"]
    assert assets(graph) == baseline


def test_an_account_that_lost_a_whole_service_needs_allow_empty(graph, env, aws, unserved, baseline):
    sm = aws["client"]("secretsmanager")
    names = [f"app-secret-{i}" for i in range(3)]
    for name in names:
        sm.delete_secret(SecretId=name, ForceDeleteWithoutRecovery=True)
    try:
        summary = load(env)
        assert summary["scopes_suspect"] == [scope("secretsmanager")], summary
        assert any("yielded nothing where the last sync found 3" in e for e in summary["errors"])
        assert assets(graph) == baseline
        emptied = load(env, "--allow-empty")
        assert not emptied["scopes_suspect"] and set(emptied["scopes_failed"]) == unserved
        assert emptied["removed"]["nodes"] == 3 and scope("secretsmanager") not in assets(graph)
    finally:
        for i, name in enumerate(names):
            sm.create_secret(Name=name, SecretString="not-a-secret-" + str(i))


def wait_for_lease(graph, proc: subprocess.Popen, timeout: float = 60) -> str | None:
    """The id of the Sync the load holds its lease for, once it holds it (None: it ended first)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline and proc.poll() is None:
        rows = graph.read("MATCH (l:Lease {id: $id, pid: $pid}) RETURN l.holder AS h", id=f"sync:{SOURCE}",
                          pid=proc.pid)
        if rows:
            return rows[0]["h"]
        time.sleep(0.02)
    assert proc.poll() is not None, "the load never took its lease"
    return None


def test_kill_9_at_random_points_then_a_clean_rerun(graph, env, aws, unserved, baseline, monkeypatch):
    """Six loads killed at seeded random points between taking the lease and the end of their writes;
    after each, a clean rerun takes over the dead lease at once, marks the dead Sync abandoned and leaves
    exactly the baseline's assets."""
    from cloudmap.loaders.aws import load as load_aws

    rows = graph.read("MATCH (s:Sync {source: $s}) RETURN s.started_at AS a, s.finished_at AS b", s=SOURCE)
    window = (rows[0]["b"].to_native() - rows[0]["a"].to_native()).total_seconds()
    monkeypatch.setenv("AWS_ENDPOINT_URL", aws["proxy"].url)
    monkeypatch.setenv("AWS_MAX_ATTEMPTS", "1")
    rng = random.Random(1409)
    abandoned = 0
    for _ in range(6):
        proc = start(env)
        killed = wait_for_lease(graph, proc)
        time.sleep(rng.uniform(0, window))
        proc.send_signal(signal.SIGKILL)
        proc.wait(timeout=30)
        snap = assets(graph)  # a killed load may have written some, never duplicated or removed any
        assert {i for ids in baseline.values() for i in ids} <= {i for ids in snap.values() for i in ids}
        rerun = load_aws(graph, boto3.Session(region_name=REGION), [REGION])  # the library entry point the CLI calls
        assert set(rerun.scopes_failed) == unserved and not rerun.scopes_suspect, rerun
        assert assets(graph) == baseline
        status = graph.read("MATCH (s:Sync {id: $id}) RETURN s.status AS st, s.abandoned_by AS by", id=killed)
        if status and status[0]["st"] == "abandoned":
            assert status[0]["by"] == rerun.sync_id
            abandoned += 1
        else:  # killed after it had finished: it recorded its own end
            assert not status or status[0]["st"] in ("success", "partial"), status
    assert count(graph, "MATCH (s:Sync {status: 'running'}) RETURN count(s) AS n") == 0
    assert count(graph, "MATCH (l:Lease) WHERE l.id <> '_lock' RETURN count(l) AS n") == 0
    assert abandoned >= 3, f"only {abandoned} of 6 kills landed while the load ran"


def analyze(env, *options: str) -> dict:
    proc = run_cli(env, "analyze", *options, "--format", "json")
    assert proc.returncode == 0, proc.stderr
    return json.loads(proc.stdout)


def test_analyze_waits_for_a_running_load_and_findings_hold(graph, env, aws, baseline):
    first = analyze(env)
    assert first["findings"]["open"] > 0, first
    findings = graph.read("MATCH (f:Finding) RETURN f.id AS id, f.status AS status ORDER BY id")
    aws["proxy"].faults["kms"] = "delay"
    aws["proxy"].delay = 1.5  # the load holds its lease well past the refused analysis
    proc = start(env)
    assert wait_for_lease(graph, proc)
    refused = run_cli(env, "analyze")
    assert refused.returncode == 1 and "analysis is locked by aws-" in refused.stderr, refused.stderr
    waited = analyze(env, "--wait", "300")
    proc.communicate(timeout=120)
    assert proc.returncode == 0
    done = graph.read("MATCH (s:Sync {source: $s}) RETURN max(s.finished_at) AS done", s=SOURCE)[0]["done"]
    assert done.to_native() <= datetime.fromisoformat(waited["started_at"])
    assert assets(graph) == baseline
    again = analyze(env)
    for summary in (waited, again):  # the same estate: nothing new, resolved or reopened
        f = summary["findings"]
        assert (f["open"], f["new"], f["resolved"], f["reopened"]) == (first["findings"]["open"], 0, 0, 0), f
    assert graph.read("MATCH (f:Finding) RETURN f.id AS id, f.status AS status ORDER BY id") == findings
