"""Credentials in AWS configuration, end to end: a moto estate plants secrets (built here, at test
time) in every AWS location the loader reads, each next to its decoy; the real loader, engine and
rules run against a real Neo4j. Asserts the findings and their levels, that no planted value is
anywhere in the graph, the logs, the API answers or the CLI output, and that a reload keeps every
fingerprint."""

from __future__ import annotations

import base64
import json
import logging
import os
import stat

import boto3
import pytest
from cloudmap.loaders.aws import load as load_account
from cloudmap.loaders.credentials.fingerprint import key_path
from moto import mock_aws

from cloudmap.findings.analysis import run_analysis
from tests.conftest import wipe
from tests.helpers import api_client, assert_nowhere, cli_json, graph_text, moto_env

REGION = "us-east-1"
ACCOUNT = "123456789012"
RULE = "CM-CRED-003"


def _secret(seed: str) -> str:
    """A 40-character AWS-style secret made here (never a literal in the repository)."""
    return (seed * 40)[:20] + "/" + "Kq9" * 6 + "x"


def _ref(value: str) -> str:
    return "${" + value + "}"


ADMIN_POLICY = json.dumps({"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*"}]})
READER_POLICY = json.dumps({"Version": "2012-10-17", "Statement": [
    {"Effect": "Allow", "Action": ["lambda:GetFunctionConfiguration", "ssm:GetParameter"], "Resource": "*"}]})
ASSUME_EC2 = json.dumps({"Version": "2012-10-17", "Statement": [
    {"Effect": "Allow", "Principal": {"Service": "ecs-tasks.amazonaws.com"}, "Action": "sts:AssumeRole"}]})


def build(session: boto3.Session) -> dict:
    """The estate; returns the planted values and the ids the test asserts on."""
    iam = session.client("iam")
    planted: list[str] = []

    def user_key(name: str, status: str = "Active", delete: bool = False, admin: bool = False) -> tuple[str, str]:
        iam.create_user(UserName=name)
        if admin:
            iam.put_user_policy(UserName=name, PolicyName="admin", PolicyDocument=ADMIN_POLICY)
        key = iam.create_access_key(UserName=name)["AccessKey"]
        if status != "Active":
            iam.update_access_key(UserName=name, AccessKeyId=key["AccessKeyId"], Status=status)
        if delete:
            iam.delete_access_key(UserName=name, AccessKeyId=key["AccessKeyId"])
            iam.delete_user(UserName=name)
        planted.append(key["SecretAccessKey"])
        return key["AccessKeyId"], key["SecretAccessKey"]

    deployer = user_key("deployer", admin=True)
    retired = user_key("retired", status="Inactive", admin=True)
    ghost = user_key("ghost", delete=True)
    iam.create_user(UserName="auditor")
    iam.put_user_policy(UserName="auditor", PolicyName="read-config", PolicyDocument=READER_POLICY)

    role = iam.create_role(RoleName="app", AssumeRolePolicyDocument=ASSUME_EC2)["Role"]["Arn"]

    # Databases: one classified (PCI by tag), one not.
    rds = session.client("rds", region_name=REGION)
    for ident, tags in (("payments", [{"Key": "data-classification", "Value": "pci"}]), ("catalog", [])):
        rds.create_db_instance(DBInstanceIdentifier=ident, Engine="postgres", DBInstanceClass="db.t3.micro",
                               MasterUsername="admin", MasterUserPassword="x" * 12, AllocatedStorage=20, Tags=tags)
    endpoint = {d["DBInstanceIdentifier"]: d["Endpoint"]["Address"]
                for d in rds.describe_db_instances()["DBInstances"]}
    db_password = "Pw-" + "h7Q" * 4 + "!z"
    catalog_password = "Cat" + "9vL" * 4 + "#"
    planted += [db_password, catalog_password]

    # Lambda: admin key pair (fires high), inactive key pair (decoy), no credential (decoy).
    lam = session.client("lambda", region_name=REGION)
    import io
    import zipfile
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as z:
        z.writestr("index.py", "def handler(e, c):\n    return 1\n")
    code = buf.getvalue()
    fn_role = iam.create_role(RoleName="fn", AssumeRolePolicyDocument=ASSUME_EC2)["Role"]["Arn"]
    functions = {}
    for name, env in (("orders-api", {"AWS_ACCESS_KEY_ID": deployer[0], "AWS_SECRET_ACCESS_KEY": deployer[1]}),
                      ("orders-old", {"AWS_ACCESS_KEY_ID": retired[0], "AWS_SECRET_ACCESS_KEY": retired[1]}),
                      ("orders-plain", {"LOG_LEVEL": "debug", "TABLE": "orders", "DB_PASSWORD": _ref("DB_PASS")})):
        functions[name] = lam.create_function(FunctionName=name, Runtime="python3.12", Role=fn_role,
                                              Handler="index.handler", Code={"ZipFile": code},
                                              Environment={"Variables": env})["FunctionArn"]

    # EC2 user data: a password with the classified database's host (fires high); a decoy without.
    ec2 = session.client("ec2", region_name=REGION)
    image = ec2.describe_images(Owners=["amazon"])["Images"][0]["ImageId"]
    script = (f"#!/bin/bash\nexport DB_HOST={endpoint['payments']}\nexport DB_USER=app\n"
              f"export DB_PASSWORD='{db_password}'\n./start.sh\n")
    plain = "#!/bin/bash\nexport DB_HOST=localhost\nyum install -y nginx\n"
    instances = {}
    for name, data in (("payments-worker", script), ("web-plain", plain)):
        iid = ec2.run_instances(ImageId=image, MinCount=1, MaxCount=1, InstanceType="t3.micro", UserData=data,
                                TagSpecifications=[{"ResourceType": "instance",
                                                    "Tags": [{"Key": "Name", "Value": name}]}])["Instances"][0]["InstanceId"]
        instances[name] = f"arn:aws:ec2:{REGION}:{ACCOUNT}:instance/{iid}"

    # SSM: a Slack token in a String (unknown owner, medium); a deleted user's key pair (decoy);
    # a SecureString with the admin key pair (never read).
    ssm = session.client("ssm", region_name=REGION)
    slack = "xoxb-" + "1234567890" + "-" + "AbCdEfGhIjKlMnOp" + "qrst"
    planted.append(slack)
    ssm.put_parameter(Name="/app/slack", Type="String", Value=slack)
    ssm.put_parameter(Name="/app/ghost", Type="StringList", Value=f"{ghost[0]},{ghost[1]}")
    ssm.put_parameter(Name="/app/admin-key", Type="SecureString", Value=f"{deployer[0]} {deployer[1]}")
    ssm.put_parameter(Name="/app/region", Type="String", Value="eu-west-1")

    # ECS: a connection string to the unclassified database (medium); a decoy without.
    ecs = session.client("ecs", region_name=REGION)
    conn = f"postgres://app:{catalog_password}@{endpoint['catalog']}:5432/catalog"
    ecs.register_task_definition(family="catalog", taskRoleArn=role, containerDefinitions=[
        {"name": "api", "image": "nginx:1", "memory": 128, "environment": [{"name": "DATABASE_URL", "value": conn}]}])
    ecs.register_task_definition(family="static", taskRoleArn=role, containerDefinitions=[
        {"name": "web", "image": "nginx:1", "memory": 128, "environment": [{"name": "PORT", "value": "8080"}]}])

    # CodeBuild: a GitHub token as PLAINTEXT (medium); the same name as PARAMETER_STORE (a reference: decoy).
    cb = session.client("codebuild", region_name=REGION)
    github = "ghp_" + "Zq8" * 12
    planted.append(github)
    for name, var in (("release", {"name": "GITHUB_TOKEN", "value": github, "type": "PLAINTEXT"}),
                      ("nightly", {"name": "GITHUB_TOKEN", "value": "/ci/github", "type": "PARAMETER_STORE"})):
        cb.create_project(name=name, source={"type": "S3", "location": "artifacts/src.zip"},
                          artifacts={"type": "NO_ARTIFACTS"}, serviceRole=role,
                          environment={"type": "LINUX_CONTAINER", "image": "aws/codebuild/standard:7.0",
                                       "computeType": "BUILD_GENERAL1_SMALL", "environmentVariables": [var]})

    # CloudFormation: the admin key pair as an output (high); a NoEcho parameter holding a password (decoy).
    cfn = session.client("cloudformation", region_name=REGION)
    template = {"Parameters": {"Secret": {"Type": "String", "NoEcho": True}, "Stage": {"Type": "String"}},
                "Resources": {"Topic": {"Type": "AWS::SNS::Topic"}},
                "Outputs": {"KeyId": {"Value": deployer[0]}, "SecretAccessKey": {"Value": deployer[1]}}}
    stack = cfn.create_stack(StackName="keys", TemplateBody=json.dumps(template), Parameters=[
        {"ParameterKey": "Secret", "ParameterValue": "Np-" + "w4R" * 4}, {"ParameterKey": "Stage", "ParameterValue": "prod"}])
    noecho = dict(template, Outputs={})
    quiet = cfn.create_stack(StackName="quiet", TemplateBody=json.dumps(noecho), Parameters=[
        {"ParameterKey": "Secret", "ParameterValue": "Qp-" + "w4R" * 4}, {"ParameterKey": "Stage", "ParameterValue": "prod"}])
    planted += ["Np-" + "w4R" * 4, "Qp-" + "w4R" * 4]

    # Launch template: a private key in user data (unknown owner, medium); a decoy without.
    body = "MIIEow" + "IBAAKCAQEA" + "q7Zr" * 16
    pem = "-----BEGIN RSA " + "PRIVATE KEY-----\n" + body + "\n-----END RSA " + "PRIVATE KEY-----\n"
    planted.append(body)
    templates = {}
    for name, data in (("bastion", f"#!/bin/bash\ncat > /root/.ssh/id_rsa <<EOF\n{pem}EOF\n"), ("plain", plain)):
        lt = ec2.create_launch_template(LaunchTemplateName=name, LaunchTemplateData={
            "ImageId": image, "UserData": base64.b64encode(data.encode()).decode()})["LaunchTemplate"]
        templates[name] = f"arn:aws:ec2:{REGION}:{ACCOUNT}:launch-template/{lt['LaunchTemplateId']}"

    # Elastic Beanstalk: moto has no DescribeConfigurationSettings, so the loader can only report the skip.
    eb = session.client("elasticbeanstalk", region_name=REGION)
    eb.create_application(ApplicationName="shop")
    eb.create_environment(ApplicationName="shop", EnvironmentName="shop-prod",
                          SolutionStackName="64bit Amazon Linux 2023 v4.0.0 running Python 3.11")

    return {"planted": planted, "functions": functions, "instances": instances, "templates": templates,
            "stack": stack["StackId"], "quiet": quiet["StackId"], "deployer_key": deployer[0],
            "retired_key": retired[0], "ghost_key": ghost[0]}


@pytest.fixture(scope="module")
def loaded(_session_graph, neo4j_env):
    mp = moto_env(REGION)
    graph = _session_graph
    wipe(graph)
    records: list[logging.LogRecord] = []
    handler = logging.Handler(level=logging.INFO)   # what a server logs; cloudmap's own loggers at DEBUG
    handler.emit = records.append
    root, ours = logging.getLogger(), logging.getLogger("cloudmap")
    root.addHandler(handler)
    ours.addHandler(handler)
    old_level = ours.level
    ours.setLevel(logging.DEBUG)
    try:
        with mock_aws():
            session = boto3.Session(region_name=REGION)
            estate = build(session)
            sync = load_account(graph, session, regions=[REGION])
            summary = run_analysis(graph)
            fingerprints = _fingerprints(graph)
            reload = load_account(graph, session, regions=[REGION])
            summary2 = run_analysis(graph)
    finally:
        root.removeHandler(handler)
        ours.removeHandler(handler)
        ours.setLevel(old_level)
        mp.undo()
    yield {"graph": graph, "estate": estate, "sync": sync, "reload": reload, "summary": summary,
           "summary2": summary2, "fingerprints": fingerprints, "logs": [r.getMessage() for r in records]}


def _fingerprints(graph) -> set[tuple]:
    return {(r["h"], r["c"], r["f"]) for r in graph.read(
        "MATCH (h)-[:HOLDS_CREDENTIAL]->(c:Credential) RETURN h.id AS h, c.id AS c, c.fingerprint AS f")}


def _findings(graph) -> dict[tuple[str, str], str]:
    return {(r["entry"], r["target"]): r["level"] for r in graph.read(
        "MATCH (f:Finding {rule_id: $rule, status: 'open'}) RETURN f.entry_id AS entry, f.target_id AS target, "
        "f.level AS level", rule=RULE)}


def test_findings_and_levels(loaded):
    graph, e = loaded["graph"], loaded["estate"]
    user = f"arn:aws:iam::{ACCOUNT}:user/deployer"
    dbs = {r["name"]: r["id"] for r in graph.read("MATCH (d:Database) RETURN d.name AS name, d.id AS id")}
    credential = {r["h"]: r["c"] for r in graph.read("MATCH (h)-[:HOLDS_CREDENTIAL]->(c:Credential) "
                                                     "RETURN h.id AS h, c.id AS c")}
    expected = {
        (e["functions"]["orders-api"], user): "high",                       # admin key in Lambda env
        (e["stack"], user): "high",                                          # same key in stack outputs
        (e["instances"]["payments-worker"], dbs["payments"]): "high",       # password to classified data
        (next(t for t in graph.read("MATCH (t:AWSECSTaskDefinition {family: 'catalog'}) RETURN t.id AS id"))["id"],
         dbs["catalog"]): "medium",                                           # connection string, unclassified
        (f"arn:aws:ssm:{REGION}:{ACCOUNT}:parameter/app/slack",
         credential[f"arn:aws:ssm:{REGION}:{ACCOUNT}:parameter/app/slack"]): "medium",   # unknown owner
        (e["templates"]["bastion"], credential[e["templates"]["bastion"]]): "medium",   # private key
    }
    release = graph.read("MATCH (p:AWSCodeBuildProject {name: 'release'}) RETURN p.id AS id")[0]["id"]
    expected[(release, credential[release])] = "medium"
    assert _findings(graph) == expected
    # the decoys: inactive key, deleted user's key, SecureString, NoEcho parameter, references, plain config
    held = {r["h"] for r in graph.read("MATCH (h)-[:HOLDS_CREDENTIAL]->() RETURN DISTINCT h.id AS h")}
    for decoy in (e["functions"]["orders-plain"], e["instances"]["web-plain"], e["templates"]["plain"], e["quiet"],
                  f"arn:aws:ssm:{REGION}:{ACCOUNT}:parameter/app/admin-key",
                  f"arn:aws:ssm:{REGION}:{ACCOUNT}:parameter/app/region"):
        assert decoy not in held, decoy
    # found but opening nothing: the inactive key and the deleted user's key
    assert e["functions"]["orders-old"] in held
    assert graph.read("MATCH (h {id: $id})-[:EXPOSES_CREDENTIAL]->() RETURN h", id=e["functions"]["orders-old"]) == []
    assert graph.read("MATCH (:AWSSSMParameter {name: '/app/ghost'})-[:EXPOSES_CREDENTIAL]->() RETURN 1") == []
    keys = {r["k"] for r in graph.read("MATCH (c:Credential) RETURN c.access_key_id AS k")}
    assert {e["deployer_key"], e["retired_key"], e["ghost_key"]} <= keys


def test_who_can_use_the_credentials(loaded):
    graph, e = loaded["graph"], loaded["estate"]
    user = f"arn:aws:iam::{ACCOUNT}:user/deployer"
    auditor = f"arn:aws:iam::{ACCOUNT}:user/auditor"
    rows = graph.read("MATCH (s)-[r:CAN_AUTHENTICATE_AS {derived_by: 'config-credentials'}]->(u {id: $u}) "
                      "RETURN s.id AS s, r.via AS via, r.evidence[0] AS holder", u=user)
    pairs = {(r["s"], r["holder"]) for r in rows}
    assert (auditor, e["functions"]["orders-api"]) in pairs          # lambda:GetFunctionConfiguration
    assert (e["functions"]["orders-api"], e["functions"]["orders-api"]) in pairs   # the function itself
    # the auditor cannot DescribeStacks, so the stack output reaches the user only for admins
    assert (auditor, e["stack"]) not in pairs
    db = graph.read("MATCH (w {id: $w})-[r:CAN_ACCESS {derived_by: 'config-credentials'}]->(d:Database) "
                    "RETURN d.name AS name, r.level AS level", w=e["instances"]["payments-worker"])
    assert db == [{"name": "payments", "level": "write"}]
    assert loaded["summary"]["engine"]["status"] == "ok"


def test_beanstalk_settings_are_reported_skipped_under_moto(loaded):
    assert any("elasticbeanstalk: skipped, DescribeConfigurationSettings not available" in w
               for w in loaded["sync"].warnings), loaded["sync"].warnings


def test_no_planted_value_anywhere(loaded, neo4j_settings, neo4j_env, neo4j_logs):
    graph, planted = loaded["graph"], loaded["estate"]["planted"]
    dump = graph_text(graph)
    client, headers = api_client(graph, neo4j_settings)
    api = client.get("/api/v1/findings", params={"view": "full", "limit": 200, "rule": RULE}, headers=headers["reader"])
    assert api.status_code == 200
    env = {k: v for k, v in os.environ.items() if not k.startswith(("NEO4J_", "CLOUDMAP_"))}
    env.update(neo4j_env)
    cli = json.dumps(cli_json(env, "findings", "--rule", RULE, "--format", "json"))
    assert RULE in api.text and RULE in cli
    assert_nowhere(planted, graph=dump, logs="\n".join(loaded["logs"]), api=api.text, cli=cli,
                   server_logs=neo4j_logs() if neo4j_logs else "")


def test_reload_keeps_fingerprints(loaded):
    assert loaded["fingerprints"] and _fingerprints(loaded["graph"]) == loaded["fingerprints"]
    assert _findings(loaded["graph"]) and loaded["summary2"]["findings"]["new"] == 0
    # one credential in two places (Lambda env and stack output) is one Credential node
    graph, e = loaded["graph"], loaded["estate"]
    shared = graph.read("MATCH (a {id: $a})-[:HOLDS_CREDENTIAL]->(c)<-[:HOLDS_CREDENTIAL]-(b {id: $b}) RETURN c.id AS c",
                        a=e["functions"]["orders-api"], b=e["stack"])
    assert len(shared) == 1
    assert stat.S_IMODE(key_path().stat().st_mode) == 0o600
