"""A credential left in configuration as one hop of an attack path, built through real calls in moto:
an internet-facing Lambda (function URL without auth) whose environment holds an access key of a
user that reads and writes a PCI bucket. The path internet -> function -> user -> bucket is found;
its twin decoy differs in one fact: the key in its environment is inactive."""

from __future__ import annotations

import io
import json
import zipfile

import boto3
import pytest
from cloudmap.loaders.aws import load as load_account
from moto import mock_aws

from cloudmap.engine import derive
from cloudmap.rules import load_rules
from cloudmap.rules.runner import run_rule
from tests.helpers import moto_env

REGION = "eu-west-1"
BUCKET = "acme-card-exports"


def _doc(*statements) -> str:
    return json.dumps({"Version": "2012-10-17", "Statement": list(statements)})


@pytest.fixture(scope="module")
def estate(_session_graph):
    graph = _session_graph
    graph.write("MATCH (n) WHERE NOT n:SchemaVersion DETACH DELETE n")
    mp = moto_env(REGION)
    try:
        with mock_aws():
            session = boto3.Session(region_name=REGION)
            iam, s3, lam = session.client("iam"), session.client("s3"), session.client("lambda")
            s3.create_bucket(Bucket=BUCKET, CreateBucketConfiguration={"LocationConstraint": REGION})
            s3.put_bucket_tagging(Bucket=BUCKET, Tagging={"TagSet": [{"Key": "data-classification", "Value": "pci"}]})
            role = iam.create_role(RoleName="fn", AssumeRolePolicyDocument=_doc(
                {"Effect": "Allow", "Principal": {"Service": "lambda.amazonaws.com"}, "Action": "sts:AssumeRole"}))
            code = io.BytesIO()
            with zipfile.ZipFile(code, "w") as z:
                z.writestr("index.py", "def handler(e, c):\n    return 1\n")
            ids = {}
            for name, status in (("export", "Active"), ("export-old", "Inactive")):
                iam.create_user(UserName=name)
                iam.put_user_policy(UserName=name, PolicyName="cards", PolicyDocument=_doc(
                    {"Effect": "Allow", "Action": ["s3:GetObject", "s3:PutObject"], "Resource": f"arn:aws:s3:::{BUCKET}/*"}))
                key = iam.create_access_key(UserName=name)["AccessKey"]
                iam.update_access_key(UserName=name, AccessKeyId=key["AccessKeyId"], Status=status)
                fn = lam.create_function(FunctionName=name, Runtime="python3.12", Role=role["Role"]["Arn"],
                                         Handler="index.handler", Code={"ZipFile": code.getvalue()},
                                         Environment={"Variables": {"AWS_ACCESS_KEY_ID": key["AccessKeyId"],
                                                                    "AWS_SECRET_ACCESS_KEY": key["SecretAccessKey"]}})
                lam.create_function_url_config(FunctionName=name, AuthType="NONE")
                ids[name] = fn["FunctionArn"]
                ids[f"{name}-user"] = f"arn:aws:iam::{fn['FunctionArn'].split(':')[4]}:user/{name}"
            load_account(graph, session, [REGION])
    finally:
        mp.undo()
    summary = derive(graph)
    assert summary["status"] == "ok", summary
    return graph, ids


def _matches(graph, rule_id: str) -> set[tuple[str, str]]:
    rule = next(r for r in load_rules()[0] if r.id == rule_id)
    return {(m.entry["id"], m.target["id"]) for m in run_rule(graph, rule)}


def test_exposed_function_with_a_key_reaches_the_data(estate):
    graph, ids = estate
    bucket = f"arn:aws:s3:::{BUCKET}"
    path = graph.read("MATCH (:Internet)-[:CAN_REACH]->(f {id: $f})-[a:CAN_AUTHENTICATE_AS]->(u {id: $u})"
                      "-[c:CAN_ACCESS]->(b {id: $b}) RETURN a.via AS via, c.level AS level",
                      f=ids["export"], u=ids["export-user"], b=bucket)
    assert path == [{"via": "credential-in-lambda-environment", "level": "write"}]
    assert (ids["export"], bucket) in _matches(graph, "CM-FN-001")
    assert (ids["export"], ids["export-user"]) in _matches(graph, "CM-CRED-003")


def test_twin_with_an_inactive_key_has_no_path(estate):
    graph, ids = estate
    assert graph.read("MATCH (f {id: $f})-[:HOLDS_CREDENTIAL]->(c) RETURN count(c) AS n", f=ids["export-old"]) == [{"n": 1}]
    assert graph.read("MATCH ({id: $f})-[r:CAN_AUTHENTICATE_AS|EXPOSES_CREDENTIAL]->({id: $u}) RETURN r",
                      f=ids["export-old"], u=ids["export-old-user"]) == []
    assert not any(entry == ids["export-old"] for entry, _ in _matches(graph, "CM-FN-001"))
    assert not any(entry == ids["export-old"] for entry, _ in _matches(graph, "CM-CRED-003"))
