"""Four `cloudmap load aws` processes at once, one per account (cross-account roles in moto's server),
into one Neo4j: no deadlock, nothing lost or duplicated, and each account's cleanup removes exactly what
that account lost."""

from __future__ import annotations

import json
import subprocess
import sys

import boto3
import pytest

from tests.helpers import moto_env
from tests.reliability.snapshot import assets_by_scope

REGION = "us-east-1"
ACCOUNTS = ["111111111111", "222222222222", "333333333333", "444444444444"]
INSTANCES = 4
AMI = "ami-03cf127a"


def role(account: str) -> str:
    return f"arn:aws:iam::{account}:role/cloudmap-audit"


@pytest.fixture(scope="module")
def estate():
    """moto's server with four accounts, each reached through AssumeRole: a VPC, a subnet, a security
    group, instances, a bucket and a role of its own. Yields the endpoint and per account its EC2 client
    and instance ids."""
    from moto.server import ThreadedMotoServer

    from cloudmap.db.server import free_port

    mp = moto_env(REGION)
    port = free_port()
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
    server.start()
    endpoint = f"http://127.0.0.1:{port}"
    sts = boto3.client("sts", endpoint_url=endpoint, region_name=REGION)
    accounts = {}
    for account in ACCOUNTS:
        creds = sts.assume_role(RoleArn=role(account), RoleSessionName="build")["Credentials"]
        session = boto3.Session(aws_access_key_id=creds["AccessKeyId"], aws_secret_access_key=creds["SecretAccessKey"],
                                aws_session_token=creds["SessionToken"], region_name=REGION)
        ec2 = session.client("ec2", endpoint_url=endpoint)
        vpc = ec2.create_vpc(CidrBlock="10.1.0.0/16")["Vpc"]["VpcId"]
        subnet = ec2.create_subnet(VpcId=vpc, CidrBlock="10.1.1.0/24")["Subnet"]["SubnetId"]
        group = ec2.create_security_group(GroupName="web", Description="web", VpcId=vpc)["GroupId"]
        ids = [i["InstanceId"] for i in ec2.run_instances(ImageId=AMI, MinCount=INSTANCES, MaxCount=INSTANCES,
                                                           SubnetId=subnet, SecurityGroupIds=[group])["Instances"]]
        session.client("s3", endpoint_url=endpoint).create_bucket(Bucket=f"data-{account}")
        session.client("iam", endpoint_url=endpoint).create_role(RoleName=f"app-{account}",
                                                                 AssumeRolePolicyDocument="{}")
        accounts[account] = {"ec2": ec2, "instances": ids}
    yield {"endpoint": endpoint, "accounts": accounts}
    server.stop()
    mp.undo()


def load_all(cli_env, endpoint: str) -> dict[str, dict]:
    """Start the four loads at once; each one's summary once all have ended."""
    env = {**cli_env, "AWS_ENDPOINT_URL": endpoint, "AWS_ACCESS_KEY_ID": "testing",
           "AWS_SECRET_ACCESS_KEY": "testing", "AWS_DEFAULT_REGION": REGION}
    procs = {account: subprocess.Popen([sys.executable, "-m", "cloudmap", "load", "aws", "--region", REGION,
                                        "--role-arn", role(account), "--max-workers", "4", "--format", "json"],
                                       env=env, text=True, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
             for account in ACCOUNTS}
    out = {}
    for account, proc in procs.items():
        stdout, stderr = proc.communicate(timeout=240)  # a deadlock would hang here
        assert proc.returncode == 0, stderr + stdout
        [summary] = json.loads(stdout)
        assert summary["source"] == f"aws {account}" and not summary["scopes_suspect"], summary
        out[account] = summary
    return out


def instances(graph, account: str) -> list[str]:
    return sorted(r["id"] for r in graph.read("MATCH (n:AWSInstance {account_id: $a}) RETURN n.id AS id", a=account))


def arns(account: str, ids) -> list[str]:
    return sorted(f"arn:aws:ec2:{REGION}:{account}:instance/{i}" for i in ids)


def test_four_concurrent_loads_of_four_accounts(graph, cli_env, estate):
    first = load_all(cli_env, estate["endpoint"])
    snapshots = {}
    for account, data in estate["accounts"].items():
        assert instances(graph, account) == arns(account, data["instances"])
        snapshots[account] = assets_by_scope(graph, "n.account_id = $a", a=account)  # fails on a duplicated id
        assert f"aws/{account}/{REGION}/ec2" in snapshots[account] and f"aws/{account}/global/s3" in snapshots[account]
        assert first[account]["written"]["AWSInstance"] == INSTANCES
    # each account's assets are its own: no scope holds another account's
    for account, snap in snapshots.items():
        assert all(scope.startswith(f"aws/{account}/") for scope in snap if scope), snap.keys()
    total = graph.read("MATCH (n:Asset) RETURN count(n) AS n, count(DISTINCT n.id) AS d")[0]
    assert total["n"] == total["d"]

    # Round two: each account lost one instance, a different one; each load removes exactly its own.
    dropped = {}
    for k, (account, data) in enumerate(estate["accounts"].items()):
        dropped[account] = data["instances"][k % INSTANCES]
        data["ec2"].terminate_instances(InstanceIds=[dropped[account]])
    second = load_all(cli_env, estate["endpoint"])
    for account, data in estate["accounts"].items():
        kept = [i for i in data["instances"] if i != dropped[account]]
        assert instances(graph, account) == arns(account, kept)
        assert second[account]["removed"]["nodes"] >= 1
        after = assets_by_scope(graph, "n.account_id = $a", a=account)
        gone = {i for ids in snapshots[account].values() for i in ids} - {i for ids in after.values() for i in ids}
        assert arns(account, [dropped[account]])[0] in gone
        # what went besides the instance hung off it (its network interface, volume): all in its ec2 scope
        assert all(scope == f"aws/{account}/{REGION}/ec2"
                   for scope, ids in snapshots[account].items() for i in ids if i in gone), gone
        for scope, ids in after.items():  # every other scope is as it was
            if scope != f"aws/{account}/{REGION}/ec2":
                assert ids == snapshots[account][scope], scope
    assert graph.read("MATCH (s:Sync) WHERE s.status <> 'partial' AND s.status <> 'success' "
                      "RETURN count(s) AS n")[0]["n"] == 0
    assert graph.read("MATCH (s:Sync) RETURN count(s) AS n")[0]["n"] == 2 * len(ACCOUNTS)
