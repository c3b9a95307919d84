"""moto estate -> AWS loader -> derive: the engine reads what the real loader writes."""

from __future__ import annotations

import boto3
import pytest
from cloudmap.loaders import aws
from moto import mock_aws

from cloudmap.engine import derive
from tests.aws_estate import ACCOUNT, OTHER_REGION, REGION, build_estate


@pytest.fixture
def loaded(graph, monkeypatch):
    for key, value in {"AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing",
                       "AWS_DEFAULT_REGION": REGION, "MOTO_IAM_LOAD_MANAGED_POLICIES": "false"}.items():
        monkeypatch.setenv(key, value)
    for key in ("AWS_PROFILE", "AWS_ENDPOINT_URL"):
        monkeypatch.delenv(key, raising=False)
    with mock_aws():
        session = boto3.Session(region_name=REGION)
        estate = build_estate(session)
        aws.load(graph, session, [REGION, OTHER_REGION])
    return graph, estate


def test_loader_output_derives(loaded):
    graph, e = loaded
    summary = derive(graph)
    assert summary["status"] == "ok", summary
    reach = {(r["t"], r["via"]): r["ports"] for r in graph.read(
        "MATCH (:Internet)-[r:CAN_REACH]->(t) RETURN t.id AS t, r.via AS via, r.ports AS ports")}
    web = f"arn:aws:ec2:{REGION}:{ACCOUNT}:instance/{e['web']}"
    worker = f"arn:aws:ec2:{REGION}:{ACCOUNT}:instance/{e['worker']}"
    assert {"22", "443"} <= set(reach[(web, "direct")])
    assert reach[(e["function"], "function-url")] == ["443"]
    assert (e["cluster"], "endpoint") in reach
    assert (worker, "direct") not in reach                       # private subnet, no public IP
    # the ALB listens on 80 but its group only admits 22 and 443: neither it nor its target is reachable
    assert not any(t.endswith("loadbalancer/app/web-alb") or "web-alb" in t for t, _ in reach)
    auth = {(r["a"], r["b"]) for r in graph.read(
        "MATCH (a)-[:CAN_AUTHENTICATE_AS]->(b) RETURN a.id AS a, b.id AS b")}
    assert (web, e["app_role"]) in auth and (e["function"], e["lambda_role"]) in auth
