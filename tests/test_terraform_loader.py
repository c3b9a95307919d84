"""The Terraform loader: a state yields the same graph shape as the live AWS loader for the same estate
(built with boto3 in moto), plans get synthetic ids and `planned`, Azure states map onto the Azure
kinds, unknown types are counted, bad files are one error and leave the graph alone."""

from __future__ import annotations

import json
import re

import boto3
import pytest
from cloudmap.loaders import aws
from cloudmap.loaders.terraform import state
from cloudmap.loaders.terraform.load import load
from moto import mock_aws

from tests.conftest import FIXTURES, wipe
from tests.helpers import run_cli

TF = FIXTURES / "terraform"
REGION = "eu-west-1"
TRUST = {"Version": "2012-10-17", "Statement": [
    {"Effect": "Allow", "Principal": {"Service": "ec2.amazonaws.com"}, "Action": "sts:AssumeRole"}]}
READ = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "s3:GetObject", "Resource": "*"}]}

def shape(graph, default_vpc: str = "") -> set[tuple]:
    """(labels, type, labels) of the relationships between the estate's own resources (not moto's
    default VPC, its default security groups, or route tables and ACLs the state does not declare)."""
    rows = graph.read(
        "MATCH (a)-[r]->(b) WHERE NOT any(n IN [a, b] WHERE n:RouteTable OR n:NetworkAcl OR n:AWSNetworkAclRule) "
        "AND NOT any(n IN [a, b] WHERE coalesce(n.is_default OR n.vpc_id = $dv OR n.name = 'default' "
        "OR n.name STARTS WITH 'default ', false) OR n:AWSAccessKey) "
        "RETURN labels(a) AS a, type(r) AS t, labels(b) AS b", dv=default_vpc)
    return {(tuple(sorted(r["a"])), r["t"], tuple(sorted(r["b"]))) for r in rows}


def build_moto_estate(session: boto3.Session) -> str:
    """VPC, subnet, security group, instance with a profile, role with policies, bucket: like aws-state.json."""
    ec2, iam, s3 = (session.client(s, region_name=REGION) for s in ("ec2", "iam", "s3"))
    default_vpc = ec2.describe_vpcs(Filters=[{"Name": "isDefault", "Values": ["true"]}])["Vpcs"][0]["VpcId"]
    vpc = ec2.create_vpc(CidrBlock="10.0.0.0/16")["Vpc"]["VpcId"]
    subnet = ec2.create_subnet(VpcId=vpc, CidrBlock="10.0.1.0/24")["Subnet"]["SubnetId"]
    sg = ec2.create_security_group(GroupName="web", Description="web", VpcId=vpc)["GroupId"]
    ec2.authorize_security_group_ingress(GroupId=sg, IpPermissions=[
        {"IpProtocol": "tcp", "FromPort": 22, "ToPort": 22, "IpRanges": [{"CidrIp": "0.0.0.0/0"}]}])
    iam.create_role(RoleName="app-role", AssumeRolePolicyDocument=json.dumps(TRUST),
                    Tags=[{"Key": "criticality", "Value": "high"}])
    iam.put_role_policy(RoleName="app-role", PolicyName="read-data", PolicyDocument=json.dumps(READ))
    audit = iam.create_policy(PolicyName="audit", PolicyDocument=json.dumps(READ))["Policy"]["Arn"]
    iam.attach_role_policy(RoleName="app-role", PolicyArn=audit)
    iam.create_instance_profile(InstanceProfileName="app-profile")
    iam.add_role_to_instance_profile(InstanceProfileName="app-profile", RoleName="app-role")
    ec2.run_instances(ImageId="ami-03cf127a", MinCount=1, MaxCount=1, InstanceType="t3.micro", SubnetId=subnet,
                      SecurityGroupIds=[sg], IamInstanceProfile={"Name": "app-profile"})
    s3.create_bucket(Bucket="tf-data-bucket", CreateBucketConfiguration={"LocationConstraint": REGION})
    s3.put_bucket_tagging(Bucket="tf-data-bucket", Tagging={"TagSet": [{"Key": "data-classification", "Value": "pii"}]})
    s3.put_public_access_block(Bucket="tf-data-bucket", PublicAccessBlockConfiguration={
        "BlockPublicAcls": True, "IgnorePublicAcls": True, "BlockPublicPolicy": False, "RestrictPublicBuckets": False})
    return default_vpc


@pytest.fixture
def aws_creds(monkeypatch):
    for var in ("AWS_PROFILE", "AWS_ENDPOINT_URL"):
        monkeypatch.delenv(var, raising=False)
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    monkeypatch.setenv("AWS_DEFAULT_REGION", REGION)


def test_state_has_the_same_shape_as_the_live_aws_loader(graph, aws_creds):
    with mock_aws():
        session = boto3.Session(region_name=REGION)
        default_vpc = build_moto_estate(session)
        aws.load(graph, session, regions=[REGION])
    live = shape(graph, default_vpc)
    wipe(graph)
    summary = load(graph, state.read(TF / "aws-state.json"), "aws-state")
    assert summary.status == "success", summary
    planned = shape(graph)
    assert planned == live, (f"only from terraform: {sorted(planned - live)}\n"
                             f"only from the live loader: {sorted(live - planned)}")
    # the expected links are really there (not two empty sets)
    expected = {(("AWSInstance", "Asset", "VirtualMachine"), "USES_IDENTITY", ("AWSRole", "Asset", "Identity", "Role")),
                (("AWSNetworkInterface", "Asset", "NetworkInterface"), "IN_SUBNET", ("AWSSubnet", "Asset", "Subnet")),
                (("AWSSecurityGroup", "Asset", "SecurityGroup"), "HAS_RULE",
                 ("AWSSecurityGroupRule", "Asset", "FirewallRule"))}
    assert {(tuple(sorted(a)), t, tuple(sorted(b))) for a, t, b in expected} <= planned


def test_state_through_the_cli_ids_markers_and_unknown_types(graph, cli_env):
    proc = run_cli(cli_env, "load", "terraform", str(TF / "aws-state.json"), "--format", "json")
    assert proc.returncode == 0, proc.stderr
    summary = json.loads(proc.stdout)
    assert summary["unknown_types"] == {"aws_sqs_queue": 1, "random_pet": 1}
    assert summary["scopes_failed"] == [] and summary["warnings"] == 0
    inst = graph.read("MATCH (i:VirtualMachine)-[:USES_IDENTITY {via: 'instance-profile'}]->(r:Role) "
                      "RETURN i.id AS i, i.provider AS p, i.source AS s, i.planned AS pl, i.scope AS scope, "
                      "i.terraform_address AS addr, r.id AS r, r.trust_policy AS trust")[0]
    assert inst["i"] == "arn:aws:ec2:eu-west-1:123456789012:instance/i-0d4" and inst["p"] == "aws"
    assert (inst["s"], inst["pl"], inst["scope"], inst["addr"]) == ("terraform", False, "terraform/aws-state",
                                                                    "aws_instance.web")
    assert inst["r"] == "arn:aws:iam::123456789012:role/app-role"
    assert json.loads(inst["trust"])["Statement"][0]["Principal"] == {"Service": "ec2.amazonaws.com"}
    bucket = graph.read("MATCH (b:Bucket)-[:STORES]->(s:SensitiveInfoType) RETURN b.block_public_acls AS bpa, "
                        "b.block_public_policy AS bpp, s.id AS s")
    assert bucket == [{"bpa": True, "bpp": False, "s": "pii:tagged"}]
    rule = graph.read("MATCH (:SecurityGroup {name: 'web'})-[:HAS_RULE]->(f:FirewallRule {direction: 'inbound'}) "
                      "RETURN f.id AS id, f.ports AS ports, f.sources AS src, f.protocol AS proto")
    assert rule == [{"id": "aws:sg-rule:sg-0c3:in:0", "ports": ["22"], "src": ["0.0.0.0/0"], "proto": "tcp"}]
    # child module resources are read too
    assert graph.read("MATCH (:Role)-[:HAS_POLICY]->(p:Policy) RETURN p.terraform_address AS a ORDER BY a") == [
        {"a": "aws_iam_role.app"}, {"a": "module.extra.aws_iam_policy.audit"}]


def test_plan_gets_synthetic_ids_linked_by_configuration_references(graph):
    summary = load(graph, state.read(TF / "aws-plan.json"), "plan")
    assert summary.status == "success" and summary.details["document"] == "plan"
    rows = graph.read("MATCH (n:Asset) WHERE n.source = 'terraform' AND n.terraform_address STARTS WITH 'aws_' "
                      "RETURN n.id AS id, n.planned AS planned ORDER BY id")
    assert rows == [{"id": "arn:aws:iam::123456789012:role/existing", "planned": False},
                    {"id": "aws:sg-rule:terraform:aws_security_group.new:in:0", "planned": True},
                    {"id": "terraform:aws_instance.new", "planned": True},
                    {"id": "terraform:aws_security_group.new", "planned": True},
                    {"id": "terraform:aws_subnet.new", "planned": True},
                    {"id": "terraform:aws_vpc.new", "planned": True}]
    links = graph.read("MATCH (:Network {id: 'terraform:aws_vpc.new'})-[:CONTAINS]->(s:Subnet)"
                       "<-[:IN_SUBNET]-(i:VirtualMachine)<-[:APPLIES_TO]-(g:SecurityGroup) RETURN i.id AS i, g.id AS g")
    assert links == [{"i": "terraform:aws_instance.new", "g": "terraform:aws_security_group.new"}]


def test_azure_state_maps_onto_the_azure_kinds(graph):
    summary = load(graph, state.read(TF / "azure-state.json"), "azure")
    assert summary.details["unknown_types"] == {"azurerm_log_analytics_workspace": 1}
    rg = "/subscriptions/00000000-0000-0000-0000-000000000001/resourcegroups/rg-app"
    path = graph.read(
        "MATCH (p:PublicIP)-[:ATTACHED_TO]->(n:NetworkInterface)-[:ATTACHED_TO]->(vm:VirtualMachine), "
        "(n)-[:IN_SUBNET]->(s:Subnet)<-[:APPLIES_TO]-(g:SecurityGroup)-[:HAS_RULE]->(f:FirewallRule), "
        "(:Network)-[:CONTAINS]->(s), (:ResourceGroup {id: $rg})-[:CONTAINS]->(vm) "
        "RETURN labels(vm) AS l, vm.id AS vm, vm.provider AS p, p.ip AS ip, f.ports AS ports, f.direction AS d",
        rg=rg)
    assert path == [{"l": ["Asset", "VirtualMachine", "AzureVM"], "vm": f"{rg}/providers/microsoft.compute/virtualmachines/vm-app",
                     "p": "azure", "ip": "20.1.2.3", "ports": ["22"], "d": "inbound"}]
    data = graph.read("MATCH (a:StorageAccount)-[:CONTAINS]->(c:Bucket) RETURN a.allow_blob_public_access AS pub, "
                      "c.public_access AS access, c.id AS id")
    assert data == [{"pub": True, "access": "blob",
                     "id": f"{rg}/providers/microsoft.storage/storageaccounts/stdata/blobservices/default/containers/public"}]
    assert graph.read("MATCH (k:KeyVault) RETURN k.rbac_authorization AS rbac") == [{"rbac": True}]
    # secrets in the state (VM admin password, storage account key) never reach the graph
    stored = json.dumps(graph.read("MATCH (n) RETURN properties(n) AS p"), default=str)
    assert "Sup3rSecret" not in stored and "c2VjcmV0" not in stored


@pytest.mark.parametrize("content, message", [
    ("{not json", "not valid JSON"),
    ('{"format_version": "1.0", "values": {"root_module": {"resources": [{"type": "aws_vpc", "name": "x"}]}}}',
     r"values.root_module.resources\[0\].address: expected a non-empty string"),
    (('{"format_version": "1.0", "values": {"root_module": {"resources": [{"address": "aws_vpc.x", "type": "aws_vpc", '
     '"name": "x", "values": []}]}}}'), r"values.root_module.resources\[0\].values: expected an object"),
    ('{"resources": []}', "not terraform show -json output"),
])
def test_malformed_file_is_one_error_and_graph_unchanged(graph, cli_env, tmp_path, content, message):
    load(graph, state.read(TF / "aws-state.json"), "bad")  # same scope name as the bad file
    before = graph.read("MATCH (n) WHERE NOT n:Sync RETURN count(n) AS n")
    bad = tmp_path / "bad.json"
    bad.write_text(content)
    proc = run_cli(cli_env, "load", "terraform", str(bad))
    lines = [line for line in proc.stderr.splitlines() if line.strip()]
    assert proc.returncode == 1 and len(lines) == 1 and lines[0].startswith(f"error: {bad}")
    assert re.search(message, lines[0]), lines[0]
    assert graph.read("MATCH (n) WHERE NOT n:Sync RETURN count(n) AS n") == before


def test_google_state_maps_onto_the_gcp_loaders_kinds_and_ids(graph):
    from tests.fixtures.gcp import build_exports as est

    summary = load(graph, state.read(TF / "gcp-state.json"), "gcp")
    assert summary.details["unknown_types"] == {"google_pubsub_topic": 1}
    path = graph.read(
        "MATCH (p:PublicIP)-[:ATTACHED_TO]->(vm:VirtualMachine)-[:IN_NETWORK]->(n:Network)-[:HAS_RULE]->(f:FirewallRule), "
        "(vm)-[:IN_SUBNET]->(s:Subnet)<-[:CONTAINS]-(n), (vm)-[:USES_IDENTITY]->(sa:Identity) "
        "RETURN labels(vm) AS l, vm.id AS vm, n.id AS net, f.id AS rule, f.target_tags AS tags, p.ip AS ip, sa.id AS sa")
    assert path == [{"l": ["Asset", "VirtualMachine", "GCPInstance"], "vm": est.VM["web-cards"], "net": est.NET,
                     "rule": f"{est.COMPUTE}/global/firewalls/allow-https", "tags": ["web"], "ip": "34.1.1.9",
                     "sa": est.sa_name(est.CARDS_SA)}]
    data = {r["id"]: r for r in graph.read("MATCH (d:DataStore {provider: 'gcp'}) RETURN d.id AS id, labels(d) AS l, "
                                           "d.publicly_accessible AS public, [(d)-[:STORES]->(s) | s.category] AS c")}
    assert data[est.PCI_BUCKET]["c"] == ["pci"] and "GCPBucket" in data[est.PCI_BUCKET]["l"]
    assert data[est.SQL]["public"] is True and "GCPSQLInstance" in data[est.SQL]["l"]
