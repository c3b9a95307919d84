"""From real inputs to the three seed levels, through the real CLI only.

A small AWS estate built with boto3 in moto's server, then `cloudmap load aws` → `load trivy` →
`load classification` → `analyze` → `findings --format json`:

* HIGH   web-cards: public subnet (IGW route), public IP, 22/443 open to 0.0.0.0/0 and everything to
  10.0.0.0/8, Log4Shell (CVSS 10) on the host, its role can s3:GetObject the card-data bucket;
* MEDIUM web-blog: exposed the same way with the same CVE, its role reads no data;
* LOW    worker: private subnet without an internet route, no public IP, its group admits only its
  own subnet (the exposed VMs are elsewhere), a vulnerable curl, no data access.

Then a second analysis keeps every id, and removing the bucket permission resolves the data finding.
"""

from __future__ import annotations

import json
import os
import sys
import time

import boto3
import pytest

from cloudmap.rules.scoring import level_rank
from tests.aws_estate import internet_vpc
from tests.conftest import FIXTURES, wipe
from tests.helpers import cli_json, run_cli

pytestmark = pytest.mark.neo4j

ACCOUNT, REGION = "123456789012", "us-east-1"
E2E = FIXTURES / "e2e"
CARD_BUCKET = "e2e-cardholder-data"
EC2_TRUST = json.dumps({"Version": "2012-10-17", "Statement": [
    {"Effect": "Allow", "Principal": {"Service": "ec2.amazonaws.com"}, "Action": "sts:AssumeRole"}]})


def _policy(actions: list[str], resources: list[str]) -> str:
    return json.dumps({"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Action": actions, "Resource": resources}]})


def _tcp(port_from: int, port_to: int, cidr: str) -> dict:
    return {"IpProtocol": "tcp", "FromPort": port_from, "ToPort": port_to, "IpRanges": [{"CidrIp": cidr}]}


def build_estate() -> dict[str, str]:
    """The three seed VMs in the moto server AWS_ENDPOINT_URL names; returns name -> instance ARN."""
    iam, ec2, s3 = (boto3.client(s, region_name=REGION) for s in ("iam", "ec2", "s3"))
    vpc, public, private, _, _ = internet_vpc(ec2)
    isolated_rt = ec2.create_route_table(VpcId=vpc)["RouteTable"]["RouteTableId"]  # the local route only
    ec2.associate_route_table(RouteTableId=isolated_rt, SubnetId=private)

    def group(name: str, rules: list[dict]) -> str:
        gid = ec2.create_security_group(GroupName=name, Description=name, VpcId=vpc)["GroupId"]
        ec2.authorize_security_group_ingress(GroupId=gid, IpPermissions=rules)
        return gid

    internet = [_tcp(22, 22, "0.0.0.0/0"), _tcp(443, 443, "0.0.0.0/0")]
    groups = {"web-cards": group("web-cards", internet + [_tcp(0, 65535, "10.0.0.0/8")]),
              "web-blog": group("web-blog", internet),
              "worker": group("worker", [_tcp(8080, 8080, "10.0.2.0/24")])}
    roles = {"web-cards": _policy(["s3:GetObject"], [f"arn:aws:s3:::{CARD_BUCKET}/*"]),
             "web-blog": _policy(["logs:CreateLogStream", "logs:PutLogEvents"], ["*"]),
             "worker": _policy(["logs:PutLogEvents"], ["*"])}
    for name, doc in roles.items():
        iam.create_role(RoleName=f"{name}-role", AssumeRolePolicyDocument=EC2_TRUST)
        iam.put_role_policy(RoleName=f"{name}-role", PolicyName="app", PolicyDocument=doc)
        iam.create_instance_profile(InstanceProfileName=f"{name}-role")
        iam.add_role_to_instance_profile(InstanceProfileName=f"{name}-role", RoleName=f"{name}-role")

    s3.create_bucket(Bucket=CARD_BUCKET)
    s3.put_public_access_block(Bucket=CARD_BUCKET, PublicAccessBlockConfiguration={
        "BlockPublicAcls": True, "IgnorePublicAcls": True, "BlockPublicPolicy": True, "RestrictPublicBuckets": True})

    arns = {}
    for name in ("web-cards", "web-blog", "worker"):
        exposed = name != "worker"
        instance = ec2.run_instances(
            ImageId="ami-03cf127a", InstanceType="t3.micro", MinCount=1, MaxCount=1,
            IamInstanceProfile={"Name": f"{name}-role"}, MetadataOptions={"HttpTokens": "required"},
            NetworkInterfaces=[{"DeviceIndex": 0, "SubnetId": public if exposed else private,
                                "Groups": [groups[name]], "AssociatePublicIpAddress": exposed}],
            TagSpecifications=[{"ResourceType": "instance", "Tags": [{"Key": "Name", "Value": name}]}],
        )["Instances"][0]["InstanceId"]
        arns[name] = f"arn:aws:ec2:{REGION}:{ACCOUNT}:instance/{instance}"
    return arns


def trivy_report(tmp, fixture: str, arn: str) -> str:
    """The fixture report as Trivy writes it for this instance (`trivy vm` names the instance id)."""
    report = json.loads((E2E / fixture).read_text())
    instance = arn.rsplit("/", 1)[1]
    report["ArtifactName"] = instance
    for result in report["Results"]:
        result["Target"] = result["Target"].replace("i-replaced-by-the-test", instance)
    path = tmp / f"{instance}.json"
    path.write_text(json.dumps(report))
    return str(path)


def ok(env: dict, *args: str) -> None:
    t = time.monotonic()
    proc = run_cli(env, *args)
    print(f"cloudmap {' '.join(args[:2])}: {time.monotonic() - t:.1f} s", file=sys.stderr)
    assert proc.returncode == 0, f"cloudmap {' '.join(args)}:\n{proc.stderr[-3000:]}{proc.stdout[-2000:]}"


def all_findings(env: dict, status: str = "open") -> list[dict]:
    return cli_json(env, "findings", "--format", "json", "--status", status)


def top_level(findings: list[dict], arn: str) -> str:
    levels = [f["level"] for f in findings if arn in (f["entry"]["id"], f["target"]["id"])]
    return max(levels, key=level_rank) if levels else "none"


@pytest.fixture(scope="module")
def e2e(_session_graph, neo4j_env, tmp_path_factory):
    """The estate loaded and analysed once for the module: (cli env, name -> ARN, first findings)."""
    from cloudmap.demo.moto_server import moto_server

    wipe(_session_graph)
    tmp = tmp_path_factory.mktemp("e2e")
    t0 = time.monotonic()
    with moto_server():  # sets AWS_ENDPOINT_URL and dummy credentials in os.environ for boto3 and the CLI
        env = {k: v for k, v in os.environ.items() if not k.startswith(("NEO4J_", "CLOUDMAP_"))}
        env.update(neo4j_env, CLOUDMAP_CONFIG=str(tmp / "config.toml"), NO_COLOR="1", COLUMNS="200")
        arns = build_estate()
        timings = {"build": time.monotonic() - t0}
        ok(env, "load", "aws", "--region", REGION, "--format", "json")
        ok(env, "load", "trivy", trivy_report(tmp, "trivy-log4shell-host.json", arns["web-cards"]),
           trivy_report(tmp, "trivy-log4shell-host.json", arns["web-blog"]),
           trivy_report(tmp, "trivy-curl-host.json", arns["worker"]), "--format", "json")
        ok(env, "load", "classification", str(E2E / "classification.yaml"), "--format", "json")
        ok(env, "analyze", "--format", "json")
        timings["build+load+analyze"] = time.monotonic() - t0
        print(f"e2e timings: {timings}", file=sys.stderr)
        yield env, arns, all_findings(env)
    wipe(_session_graph)


def test_public_ip_named_only_on_the_interface_is_attached():
    """describe_network_interfaces may give an auto-assigned public IP only in the interface's own
    Association (moto does); the IP must still be attached, or the VM never looks exposed."""
    from cloudmap.loaders.aws.context import Ctx, Out
    from cloudmap.loaders.aws.ec2 import _interfaces

    from cloudmap.graph.kinds import aws as k

    ctx = Ctx(session=None, account_id=ACCOUNT, region=REGION)
    out = Out(ctx)
    _interfaces({"addresses": [], "interfaces": [{
        "NetworkInterfaceId": "eni-1", "SubnetId": "subnet-1", "Association": {"PublicIp": "54.0.0.1"},
        "PrivateIpAddresses": [{"PrivateIpAddress": "10.0.1.5", "Primary": True}]}]}, ctx, out)
    eni = f"arn:aws:ec2:{REGION}:{ACCOUNT}:network-interface/eni-1"
    assert [r["target"] for r in out.links(k.IP_ATTACHED_TO)] == [eni]
    assert [row["ip"] for row in out.rows_of(k.PUBLIC_IP)] == ["54.0.0.1"]


def test_each_vm_gets_its_seed_level(e2e):
    _, arns, findings = e2e
    levels = {name: top_level(findings, arn) for name, arn in arns.items()}
    print({name: sorted((f["rule_id"], f["level"], f["score"]) for f in findings
                        if arn in (f["entry"]["id"], f["target"]["id"])) for name, arn in arns.items()}, file=sys.stderr)
    assert levels["web-cards"] in ("high", "critical"), levels
    assert levels["web-blog"] == "medium", levels
    assert levels["worker"] == "low", levels
    # the high one is the path to the card data, through the role that reads it
    cards = next(f for f in findings if f["entry"]["id"] == arns["web-cards"] and CARD_BUCKET in f["target"]["id"])
    assert cards["rule_id"] == "CM-VM-003" and cards["level"] in ("high", "critical")
    assert {"sensitive-data", "critical-vulnerability", "rce"} <= set(cards["risk_factors"])
    assert "web-cards-role" in json.dumps(cards["path"]) and "CVE-2021-44228" in json.dumps(cards)
    assert max(findings, key=lambda f: f["score"])["id"] == cards["id"]
    # the isolated worker is nobody's target: not reachable from the internet nor from the exposed VMs
    assert not [f for f in findings if f["target"]["id"] == arns["worker"] and f["entry"]["id"] != arns["worker"]]


def test_second_analysis_keeps_ids_and_first_seen(e2e):
    env, _, first = e2e
    summary = cli_json(env, "analyze", "--format", "json")
    assert summary["findings"]["new"] == 0 and summary["findings"]["resolved"] == 0, summary
    again = all_findings(env)
    assert {f["id"]: f["first_seen"] for f in again} == {f["id"]: f["first_seen"] for f in first}


def test_removing_the_bucket_permission_resolves_the_data_finding(e2e):
    env, arns, first = e2e
    cards = next(f for f in first if f["entry"]["id"] == arns["web-cards"] and CARD_BUCKET in f["target"]["id"])
    exposure = next(f for f in first if f["entry"]["id"] == arns["web-cards"] and f["rule_id"] == "CM-VM-001")
    # the fix, in the still-running moto server (the fixture's environment points boto3 at it)
    boto3.client("iam", region_name=REGION).delete_role_policy(RoleName="web-cards-role", PolicyName="app")
    ok(env, "load", "aws", "--region", REGION, "--format", "json")
    summary = cli_json(env, "analyze", "--format", "json")
    assert summary["findings"]["resolved"] >= 1, summary

    resolved = {f["id"]: f for f in all_findings(env, "resolved")}
    assert cards["id"] in resolved and resolved[cards["id"]]["resolved_at"], resolved.keys()
    still_open = {f["id"]: f for f in all_findings(env)}
    assert exposure["id"] in still_open and still_open[exposure["id"]]["first_seen"] == exposure["first_seen"]
    assert not [f for f in still_open.values() if CARD_BUCKET in f["target"]["id"]]
    assert top_level(list(still_open.values()), arns["web-cards"]) == "medium"
