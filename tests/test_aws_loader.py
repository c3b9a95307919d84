"""The AWS loader against moto (in-process, and once through moto's server with the real CLI) and a real Neo4j."""

from __future__ import annotations

import json

import boto3
import pytest
import requests
from botocore.exceptions import ClientError
from cloudmap.loaders.aws import iam as iam_mod
from cloudmap.loaders.aws import load, signals
from cloudmap.loaders.aws.context import Ctx
from cloudmap.loaders.kit import classify_tags
from moto import mock_aws

from cloudmap.graph.ingest import POLICY, SyncPolicy
from cloudmap.graph.kinds.common import STORES
from tests.aws_estate import ACCOUNT, LOGIN_PASSWORD, OTHER_REGION, REGION, SECRET_VALUE, build_estate
from tests.helpers import moto_env, run_cli

REGIONS = [REGION, OTHER_REGION]
ACCOUNT_ARN = f"arn:aws:iam::{ACCOUNT}:root"


def ec2_arn(kind: str, ident: str, region: str = REGION) -> str:
    return f"arn:aws:ec2:{region}:{ACCOUNT}:{kind}/{ident}"


@pytest.fixture(scope="module")
def aws_env():
    mp = moto_env(REGION)
    yield
    mp.undo()


@pytest.fixture(scope="module")
def estate(aws_env):
    """One in-process moto estate for the module (the last test changes it)."""
    with mock_aws():
        session = boto3.Session(region_name=REGION)
        yield session, build_estate(session)


def one(graph, query: str, **params):
    rows = graph.read(query, **params)
    assert len(rows) == 1, (query, rows)
    return rows[0]


def count(graph, query: str, **params) -> int:
    return graph.read(query, **params)[0]["n"]


# -- pure transforms --------------------------------------------------------------------------------

def test_tag_conventions():
    props, infos = classify_tags({"Criticality": "High", "data-classification": "PCI, phi,unknown",
                                  "sensitivity": "pci"})
    assert props == {"critical": True, "criticality": "high"}
    assert [i["id"] for i in infos] == ["pci:tagged", "phi:tagged"]
    assert infos[0] == {"id": "pci:tagged", "name": "credit-card-data", "category": "pci"}
    assert classify_tags({"criticality": "low"}) == ({}, [])


def test_macie_findings_become_sensitive_info_types():
    finding = {  # shaped like macie2 GetFindings
        "type": "SensitiveData:S3Object/Multiple", "category": "CLASSIFICATION",
        "resourcesAffected": {"s3Bucket": {"arn": "arn:aws:s3:::crown-data", "name": "crown-data"},
                              "s3Object": {"key": "cards.csv"}},
        "classificationDetails": {"result": {"sensitiveData": [
            {"category": "FINANCIAL_INFORMATION", "totalCount": 12,
             "detections": [{"type": "CREDIT_CARD_NUMBER", "count": 12}]},
            {"category": "PERSONAL_INFORMATION", "totalCount": 5,
             "detections": [{"type": "USA_SOCIAL_SECURITY_NUMBER", "count": 3},
                            {"type": "USA_HEALTH_INSURANCE_CLAIM_NUMBER", "count": 2}]},
            {"category": "CREDENTIALS", "totalCount": 1, "detections": [{"type": "AWS_CREDENTIALS", "count": 1}]}]}}}
    policy_finding = {"type": "Policy:IAMUser/S3BucketPublic", "resourcesAffected": finding["resourcesAffected"]}
    out = signals.transform_macie({"findings": [finding, finding, policy_finding]}, Ctx(None, ACCOUNT, REGION))
    stores = {(r["target"], r["props"]["count"]) for r in out.links(STORES)}
    assert stores == {("pci:credit-card-number", 24), ("pii:usa-social-security-number", 6),
                      ("phi:usa-health-insurance-claim-number", 4), ("secrets:aws-credentials", 2)}
    assert all(r["props"]["source"] == "macie" and r["source"] == "arn:aws:s3:::crown-data"
               for r in out.links(STORES))


def test_iam_transform_keeps_only_used_aws_managed_policies():
    raw = {"UserDetailList": [{"UserName": "u", "Arn": "arn:aws:iam::1:user/u", "AttachedManagedPolicies": [
        {"PolicyName": "ReadOnlyAccess", "PolicyArn": "arn:aws:iam::aws:policy/ReadOnlyAccess"}]}],
        "GroupDetailList": [], "RoleDetailList": [], "users_extra": {},
        "Policies": [{"PolicyName": n, "Arn": f"arn:aws:iam::aws:policy/{n}", "DefaultVersionId": "v2",
                      "PolicyVersionList": [{"VersionId": "v1", "IsDefaultVersion": False, "Document": "%7B%7D"},
                                            {"VersionId": "v2", "IsDefaultVersion": True,
                                             "Document": "%7B%22Statement%22%3A%5B%5D%7D"}]}
                     for n in ("ReadOnlyAccess", "AdministratorAccess")]}
    out = iam_mod.transform(raw, Ctx(None, "1", "global"))
    policies = [row for kind, rows in out.nodes.items() if kind.name == "AWSPolicy" for _, row in rows.values()]
    assert [(p["id"], p["policy_type"], p["document"]) for p in policies] == [
        ("arn:aws:iam::aws:policy/ReadOnlyAccess", "aws-managed", {"Statement": []})]


# -- the whole estate -----------------------------------------------------------------------------

def test_loads_every_kind_with_its_facts(graph, estate):
    session, e = estate
    sync = load(graph, session, REGIONS)
    assert sync.status == "success", sync.errors
    assert f"aws/{ACCOUNT}/{REGION}/ec2" in sync.scopes_completed
    assert f"aws/{ACCOUNT}/global/iam" in sync.scopes_completed
    assert any("macie2" in w and "skipped" in w for w in sync.warnings)  # moto has no macie2 ListFindings

    # Account: alias, account-level public access block, every asset contained.
    acct = one(graph, "MATCH (a:Asset:Account:AWSAccount {id: $id}) RETURN a", id=ACCOUNT_ARN)["a"]
    assert (acct["name"], acct["block_public_acls"], acct["block_public_policy"]) == ("acme-prod", True, False)
    assert acct["regions"] == REGIONS
    assert count(graph, "MATCH (n:Asset) WHERE n.provider = 'aws' AND NOT n:Account AND NOT n:ContainerImage "
                        "AND NOT (:AWSAccount)-[:CONTAINS]->(n) AND NOT n.id STARTS WITH 'arn:aws:iam::aws:' "
                        "AND NOT n.policy_type = 'scp' RETURN count(n) AS n") == 0
    ec2 = session.client("ec2", region_name=REGION)
    assert count(graph, "MATCH (n:Network:AWSVpc {region: $r}) RETURN count(n) AS n", r=REGION) == \
        len(ec2.describe_vpcs()["Vpcs"])

    # Network.
    vpc, sub = ec2_arn("vpc", e["vpc"]), ec2_arn("subnet", e["public_subnet"])
    one(graph, "MATCH (:Network {id: $v, name: 'prod'})-[:CONTAINS]->(:Subnet:AWSSubnet {id: $s, "
               "cidr_block: '10.0.1.0/24'}) RETURN 1", v=vpc, s=sub)
    route = one(graph, "MATCH (rt:RouteTable {id: $rt})-[r:ROUTES_TO]->(g:Gateway {gateway_type: 'internet'}) "
                       "MATCH (rt)-[:ASSOCIATED_WITH]->(:Subnet {id: $s}) RETURN properties(r) AS r, g.id AS g",
                rt=ec2_arn("route-table", e["route_table"]), s=sub)
    assert route["g"] == ec2_arn("internet-gateway", e["igw"])
    assert (route["r"]["destination"], route["r"]["destinations"]) == ("0.0.0.0/0", ["0.0.0.0/0", "::/0"])
    one(graph, "MATCH (:RouteTable {id: $rt})-[:ROUTES_TO {destination: '0.0.0.0/0'}]->(:Gateway:AWSNatGateway "
               "{id: $nat, gateway_type: 'nat'})<-[:ATTACHED_TO]-(:PublicIP {id: $eip}) RETURN 1",
        rt=ec2_arn("route-table", e["private_route_table"]), nat=ec2_arn("natgateway", e["nat"]), eip=e["nat_eip"])
    one(graph, "MATCH (rt:RouteTable {main: true})-[:ASSOCIATED_WITH {main: true}]->(:Network {id: $v}) RETURN 1", v=vpc)
    one(graph, "MATCH (:Network {id: $a})-[p:PEERED_WITH {peering_id: $p}]->(:Network {id: $b}) RETURN 1",
        a=vpc, b=ec2_arn("vpc", e["peer_vpc"]), p=e["peering"])
    acl_rules = graph.read("MATCH (:Subnet {id: $s})<-[:APPLIES_TO]-(:NetworkAcl {id: $a})-[:HAS_RULE]->(r:FirewallRule) "
                           "WHERE r.direction = 'inbound' RETURN r.priority AS p, r.action AS a, r.protocol AS proto, "
                           "r.ports AS ports, r.sources AS src ORDER BY p",
                           s=ec2_arn("subnet", e["private_subnet"]), a=ec2_arn("network-acl", e["acl"]))
    assert acl_rules[:2] == [{"p": 100, "a": "allow", "proto": "tcp", "ports": ["443"], "src": ["0.0.0.0/0"]},
                             {"p": 200, "a": "deny", "proto": "*", "ports": ["*"], "src": ["10.9.0.0/16"]}]
    rules = graph.read("MATCH (:SecurityGroup {id: $sg})-[:HAS_RULE]->(r:FirewallRule:AWSSecurityGroupRule "
                       "{direction: 'inbound'}) RETURN r.id AS id, r.ports AS ports, r.sources AS src, "
                       "r.protocol AS proto, r.action AS action ORDER BY id", sg=ec2_arn("security-group", e["web_sg"]))
    assert rules == [
        {"id": f"aws:sg-rule:{e['web_sg']}:in:0", "ports": ["22"], "src": ["0.0.0.0/0"], "proto": "tcp", "action": "allow"},
        {"id": f"aws:sg-rule:{e['web_sg']}:in:1", "ports": ["443"], "src": ["0.0.0.0/0", "::/0"], "proto": "tcp",
         "action": "allow"}]
    one(graph, "MATCH (:SecurityGroup {id: $app})-[:HAS_RULE]->(r:FirewallRule {ports: ['8080']})-[:ALLOWS_FROM]->"
               "(:SecurityGroup {id: $web}) RETURN 1",
        app=ec2_arn("security-group", e["app_sg"]), web=ec2_arn("security-group", e["web_sg"]))

    # Compute: instance, ENI, SG on ENI, Elastic IP, instance profile -> role.
    web = one(graph, "MATCH (i:Asset:VirtualMachine:AWSInstance {id: $i}) RETURN i", i=ec2_arn("instance", e["web"]))["i"]
    assert (web["name"], web["state"], web["imds_v1_enabled"], web["critical"], web["criticality"]) == \
        ("web-1", "running", True, True, "critical")
    assert "criticality=critical" in web["tags"] and web["provider"] == "aws" and web["region"] == REGION
    one(graph, "MATCH (:PublicIP {id: $eip, ip: $ip})-[:ATTACHED_TO]->(eni:NetworkInterface {id: $eni})"
               "-[:ATTACHED_TO]->(:AWSInstance {id: $i}), (eni)-[:IN_SUBNET]->(:Subnet {id: $s}), "
               "(:SecurityGroup {id: $sg})-[:APPLIES_TO]->(eni) RETURN 1",
        eip=e["eip"], ip=e["eip_ip"], eni=ec2_arn("network-interface", e["web_eni"]), i=ec2_arn("instance", e["web"]),
        s=sub, sg=ec2_arn("security-group", e["web_sg"]))
    one(graph, "MATCH (:AWSInstance {id: $i})-[:USES_IDENTITY {via: 'instance-profile'}]->(:Role {id: $r}), "
               "(:InstanceProfile {id: $p})-[:ATTACHED_TO]->(:AWSInstance {id: $i}), "
               "(:InstanceProfile {id: $p})-[:HAS_ROLE]->(:Role {id: $r}) RETURN 1",
        i=ec2_arn("instance", e["web"]), r=e["app_role"], p=e["profile"])
    assert one(graph, "MATCH (i:AWSInstance {id: $i}) RETURN i.imds_v1_enabled AS v",
               i=ec2_arn("instance", e["worker"]))["v"] is False
    fn = one(graph, "MATCH (f:Function:AWSLambdaFunction {id: $f})-[:USES_IDENTITY {via: 'lambda-role'}]->"
                    "(:Role {id: $r}) MATCH (f)-[:IN_SUBNET]->(:Subnet {id: $s}) "
                    "MATCH (:SecurityGroup {id: $sg})-[:APPLIES_TO]->(f) RETURN f",
             f=e["function"], r=e["lambda_role"], s=ec2_arn("subnet", e["private_subnet"]),
             sg=ec2_arn("security-group", e["app_sg"]))["f"]
    assert (fn["has_url"], fn["url_auth_type"], fn["public"]) == (True, "NONE", True)
    cluster = one(graph, "MATCH (c:Cluster:AWSEKSCluster {id: $c}) RETURN c", c=e["cluster"])["c"]
    assert (cluster["endpoint_public"], cluster["public_cidrs"]) == (True, ["0.0.0.0/0"])
    images = graph.read("MATCH (t:AWSECSTaskDefinition {id: $t})-[:RUNS_IMAGE]->(i:ContainerImage) "
                        "MATCH (t)-[:USES_IDENTITY {via: 'task-role'}]->(:Role {id: $r}) RETURN i.id AS id ORDER BY id",
                        t=e["task_definition"], r=e["task_role"])
    assert [r["id"] for r in images] == ["nginx:1.25", e["image_digest"]]  # the ECR tag resolved to its digest
    one(graph, "MATCH (:AWSECRRepository {id: $repo})-[:CONTAINS]->(i:ContainerImage {id: $d}) "
               "WHERE $tag IN i.tags_list RETURN 1", repo=e["repository"], d=e["image_digest"],
        tag=f"{e['repository_uri']}:v1")

    # Load balancers.
    alb = one(graph, "MATCH (lb:LoadBalancer:AWSLoadBalancer {id: $lb}) RETURN lb", lb=e["alb"])["lb"]
    assert (alb["scheme"], alb["lb_type"], alb["listener_ports"]) == ("internet-facing", "application", ["80", "8000"])
    targets = graph.read("MATCH (:LoadBalancer {id: $lb})-[r:ROUTES_TO]->(t) RETURN t.id AS t, r.ports AS p ORDER BY t",
                         lb=e["alb"])
    worker_eni = one(graph, "MATCH (n:NetworkInterface)-[:ATTACHED_TO]->(:AWSInstance {id: $i}) RETURN n.id AS id",
                     i=ec2_arn("instance", e["worker"]))["id"]
    assert sorted((r["t"], r["p"]) for r in targets) == sorted([(ec2_arn("instance", e["web"]), ["8080"]),
                                                                (worker_eni, ["9000"])])
    one(graph, "MATCH (:SecurityGroup {id: $sg})-[:APPLIES_TO]->(lb:LoadBalancer {id: $lb, lb_type: 'classic', "
               "listener_ports: ['22']})-[:ROUTES_TO {ports: ['22']}]->(:AWSInstance {id: $i}) RETURN 1",
        sg=ec2_arn("security-group", e["web_sg"]), lb=e["classic_elb"], i=ec2_arn("instance", e["worker"]))

    # Identity.
    alice = one(graph, "MATCH (u:Identity:User:AWSUser {name: 'alice'})-[:MEMBER_OF]->(:Group {name: 'devs'})"
                       "-[:HAS_POLICY]->(:Policy {id: $p, policy_type: 'managed'}) RETURN u", p=e["read_policy"])["u"]
    assert (alice["has_console_password"], alice["mfa_enabled"]) == (True, False)
    assert one(graph, "MATCH (u:AWSUser {name: 'bob'}) RETURN u.mfa_enabled AS m")["m"] is True
    key = one(graph, "MATCH (:AWSUser {name: 'alice'})-[:HAS_KEY]->(k:AccessKey) RETURN k", )["k"]
    assert (key["id"], key["status"]) == (e["access_key"]["AccessKeyId"], "Active")
    inline = one(graph, "MATCH (:AWSUser {name: 'alice'})-[:HAS_POLICY]->(p:Policy {policy_type: 'inline'}) RETURN p")["p"]
    assert json.loads(inline["document"])["Statement"][0]["Action"] == "s3:*"
    role = one(graph, "MATCH (r:Role {id: $r})-[:HAS_PERMISSION_BOUNDARY]->(:Policy {id: $b}) RETURN r",
               r=e["app_role"], b=e["boundary_policy"])["r"]
    assert json.loads(role["trust_policy"])["Statement"][0]["Principal"] == {"Service": "ec2.amazonaws.com"}
    assert count(graph, "MATCH (:Role {id: $r})-[:HAS_POLICY]->(p:Policy) RETURN count(p) AS n", r=e["app_role"]) == 2
    scp = one(graph, "MATCH (p:Policy {id: $p, policy_type: 'scp'})-[:APPLIES_TO]->(:Account {id: $a}) RETURN p",
              p=e["scp"], a=ACCOUNT_ARN)["p"]
    assert json.loads(scp["document"])["Statement"][0]["Effect"] == "Deny"
    levels = one(graph, "MATCH (:Policy {id: $p})-[r:APPLIES_TO]->(:Account) RETURN r.targets AS t", p=e["scp"])["t"]
    assert len(levels) == 1 and levels[0].startswith("r-")   # attached at the root: one level of the tree

    # Data.
    bucket = one(graph, "MATCH (b:DataStore:Bucket:AWSS3Bucket {id: 'arn:aws:s3:::crown-data'})"
                        "-[:ENCRYPTED_WITH]->(:Key:AWSKMSKey {id: $k}) "
                        "MATCH (b)-[:REPLICATES_TO]->(:Bucket {id: 'arn:aws:s3:::crown-replica'}) RETURN b", k=e["key"])["b"]
    assert json.loads(bucket["resource_policy"])["Statement"][0]["Principal"] == "*"
    assert (bucket["block_public_acls"], bucket["encryption"], bucket["criticality"]) == (False, "aws:kms", "high")
    tagged = graph.read("MATCH (:Bucket {name: 'crown-data'})-[r:STORES {source: 'tag'}]->(t:SensitiveInfoType) "
                        "RETURN t.id AS id, t.name AS name ORDER BY id")
    assert tagged == [{"id": "pci:tagged", "name": "credit-card-data"}, {"id": "phi:tagged", "name": "health-data"}]
    logs = one(graph, "MATCH (b:Bucket {name: 'eu-logs'}) RETURN b")["b"]
    assert logs["region"] == OTHER_REGION
    assert any(g["Grantee"].get("URI", "").endswith("AllUsers") for g in json.loads(logs["acl_grants"]))
    db = one(graph, "MATCH (:SecurityGroup {id: $sg})-[:APPLIES_TO]->(d:Database:AWSRDSInstance {id: $db})"
                    "-[:STORES {source: 'tag'}]->(:SensitiveInfoType {id: 'pii:tagged'}) RETURN d",
             sg=ec2_arn("security-group", e["app_sg"]), db=e["db"])["d"]
    assert (db["publicly_accessible"], db["password_auth"], db["iam_auth"], db["engine"], db["port"]) == \
        (True, True, True, "postgres", 5432)
    assert one(graph, "MATCH (s:Snapshot {id: $s})-[:SNAPSHOT_OF]->(:Database {id: $db}) RETURN s.public AS p",
               s=e["snapshot"], db=e["db"])["p"] is True
    one(graph, "MATCH (:AWSRDSCluster {id: $c})-[:CONTAINS]->(:AWSRDSInstance {id: $m}) RETURN 1",
        c=e["db_cluster"], m=e["cluster_member"])
    one(graph, "MATCH (:Table:AWSDynamoDBTable {id: $t})-[:STORES]->(:SensitiveInfoType {id: 'pii:tagged'}) RETURN 1",
        t=e["table"])
    secret = one(graph, "MATCH (s:Secret:AWSSecret {id: $s})-[:ENCRYPTED_WITH]->(:Key {id: $k}) RETURN s",
                 s=e["secret"], k=e["key"])["s"]
    assert json.loads(secret["resource_policy"])["Statement"][0]["Principal"] == {"AWS": e["app_role"]}
    key_node = one(graph, "MATCH (k:AWSKMSKey {id: $k}) RETURN k", k=e["key"])["k"]
    assert key_node["name"] == "alias/data" and "Statement" in json.loads(key_node["resource_policy"])

    # Signals: Inspector2 findings on the instance and on the ECR image.
    vulns = graph.read("MATCH (a)-[r:HAS_VULNERABILITY {source: 'inspector2'}]->(v:Vulnerability) "
                       "RETURN a.id AS a, v.id AS v, v.severity AS sev, v.cvss_score AS cvss, r.package AS pkg, "
                       "r.installed_version AS iv, r.fixed_version AS fv ORDER BY v")
    assert vulns == [
        {"a": ec2_arn("instance", e["web"]), "v": "CVE-2021-44228", "sev": "critical", "cvss": 10.0,
         "pkg": "log4j-core", "iv": "2.14.1", "fv": "2.15.0"},
        {"a": e["image_digest"], "v": "CVE-2023-38545", "sev": "high", "cvss": 9.8, "pkg": "curl",
         "iv": "7.88.1-10+deb12u1", "fv": "7.88.1-10+deb12u4"}]

    # Secrets never reach the graph: not the secret's value, the console password or the key secret.
    everything = json.dumps(graph.read("MATCH (n) OPTIONAL MATCH (n)-[r]->() RETURN properties(n) AS n, "
                                       "collect(properties(r)) AS r"), default=str)
    assert e["app_role"] in everything  # the dump holds the graph
    for secret in (SECRET_VALUE, LOGIN_PASSWORD, e["access_key"]["SecretAccessKey"]):
        assert secret not in everything


def test_denied_region_keeps_its_data_and_completed_scopes_drop_what_is_gone(graph, estate):
    """Runs last: it deletes resources from the module's estate."""
    session, e = estate
    first = load(graph, session, REGIONS)
    assert first.status == "success"
    eu_instance = ec2_arn("instance", e["eu_instance"], OTHER_REGION)
    assert count(graph, "MATCH (i:AWSInstance {id: $i}) RETURN count(i) AS n", i=eu_instance) == 1

    # Gone from AWS: a DynamoDB table, a secret, a user's group membership, the eu instance (whose region will
    # answer AccessDenied, so it must stay).
    session.client("dynamodb", region_name=REGION).delete_table(TableName="customers")
    session.client("secretsmanager", region_name=REGION).delete_secret(SecretId="prod/db",
                                                                       ForceDeleteWithoutRecovery=True)
    session.client("iam").remove_user_from_group(GroupName="devs", UserName="alice")
    session.client("ec2", region_name=OTHER_REGION).terminate_instances(InstanceIds=[e["eu_instance"]])

    real_client = boto3.Session.client

    def denying_client(self, service, *args, **kwargs):
        client = real_client(self, service, *args, **kwargs)
        if service == "ec2" and kwargs.get("region_name") == OTHER_REGION:
            def denied(**_):
                raise ClientError({"Error": {"Code": "UnauthorizedOperation", "Message": "not for you"}},
                                  "DescribeVpcs")
            client.describe_vpcs = denied
        return client

    # the operator confirms the deletions: a scope left empty is otherwise kept as suspect
    confirmed = POLICY.set(SyncPolicy(force_cleanup=True))
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(boto3.Session, "client", denying_client)
        second = load(graph, session, REGIONS)
    POLICY.reset(confirmed)
    failed_scope = f"aws/{ACCOUNT}/{OTHER_REGION}/ec2"
    assert second.status == "partial" and second.scopes_failed == [failed_scope]
    assert any(failed_scope in err and "UnauthorizedOperation" in err for err in second.errors)
    record = one(graph, "MATCH (s:Sync {id: $id}) RETURN s.scopes_failed AS f, s.status AS st", id=second.sync_id)
    assert record == {"f": [failed_scope], "st": "partial"}
    # The denied region kept everything, including what is gone from AWS.
    kept = one(graph, "MATCH (i:AWSInstance {id: $i})<-[:ATTACHED_TO]-(:NetworkInterface)-[:IN_SUBNET]->(s:Subnet) "
                      "RETURN i.sync_id AS sync, count(s) AS n", i=eu_instance)
    assert kept == {"sync": first.sync_id, "n": 1}
    assert count(graph, "MATCH (n:Asset {scope: $s}) WHERE n.sync_id <> $first RETURN count(n) AS n",
                 s=failed_scope, first=first.sync_id) == 0
    # The completed scopes dropped what is gone, and only that.
    assert count(graph, "MATCH (n) WHERE n.id IN [$t, $s] RETURN count(n) AS n", t=e["table"], s=e["secret"]) == 0
    assert count(graph, "MATCH (:AWSUser {name: 'alice'})-[r:MEMBER_OF]->() RETURN count(r) AS n") == 0
    assert count(graph, "MATCH (:AWSUser {name: 'alice'}) RETURN count(*) AS n") == 1
    assert count(graph, "MATCH (n:AWSInstance {id: $i}) RETURN count(n) AS n", i=ec2_arn("instance", e["web"])) == 1
    assert second.removed["nodes"] >= 2
    assert count(graph, "MATCH (:SensitiveInfoType {id: 'secrets:tagged'})<-[r:STORES]-() RETURN count(r) AS n") == 0


def test_cli_loads_through_moto_server(graph, cli_env, aws_env):
    """The real `cloudmap load aws` against moto's server, reached through AWS_ENDPOINT_URL as boto3 reads it."""
    from moto.server import ThreadedMotoServer

    from cloudmap.db.server import free_port

    port = free_port()
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
    server.start()
    try:
        url = f"http://127.0.0.1:{port}"
        requests.post(f"{url}/moto-api/reset", timeout=30)  # the server shares moto's in-process state
        session = boto3.Session(region_name=REGION)
        ec2 = session.client("ec2", endpoint_url=url)
        vpc = ec2.create_vpc(CidrBlock="10.5.0.0/16")["Vpc"]["VpcId"]
        subnet = ec2.create_subnet(VpcId=vpc, CidrBlock="10.5.1.0/24")["Subnet"]["SubnetId"]
        inst = ec2.run_instances(ImageId="ami-03cf127a", MinCount=1, MaxCount=1, SubnetId=subnet)["Instances"][0]
        session.client("s3", endpoint_url=url).create_bucket(Bucket="server-bucket")
        session.client("iam", endpoint_url=url).create_role(RoleName="server-role", AssumeRolePolicyDocument="{}")
        env = {**cli_env, "AWS_ENDPOINT_URL": url, "AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing",
               "AWS_DEFAULT_REGION": REGION}
        proc = run_cli(env, "load", "aws", "--region", REGION, "--format", "json")
        assert proc.returncode == 0, proc.stderr + proc.stdout
        summary = json.loads(proc.stdout)
        # s3control answers at the configured host (its endpoint rules would put the account id in front
        # of it); moto's server answers HTTP 500 for the services it does not implement (App Runner,
        # Bedrock AgentCore).
        unserved = [f"aws/{ACCOUNT}/{REGION}/apprunner", f"aws/{ACCOUNT}/{REGION}/bedrock-agentcore"]
        assert len(summary) == 1 and summary[0]["status"] == "partial"
        assert summary[0]["scopes_failed"] == unserved
        assert f"2 scopes failed: {unserved[0]}: ClientError" in proc.stderr and "s3control" not in proc.stderr
        one(graph, "MATCH (a:Account {id: $a}) WHERE a.block_public_acls = false RETURN 1", a=ACCOUNT_ARN)
        assert summary[0]["written"]["AWSInstance"] == 1 and summary[0]["written"]["AWSS3Bucket"] == 1
        one(graph, "MATCH (:Network {id: $v})-[:CONTAINS]->(:Subnet)<-[:IN_SUBNET]-(:NetworkInterface)"
                   "-[:ATTACHED_TO]->(:AWSInstance {id: $i}) RETURN 1",
            v=ec2_arn("vpc", vpc), i=ec2_arn("instance", inst["InstanceId"]))
        one(graph, "MATCH (:Role {name: 'server-role'}) RETURN 1")
        one(graph, "MATCH (:Bucket {id: 'arn:aws:s3:::server-bucket'}) RETURN 1")
        # Bad credentials: one clear line, exit 1.
        bad = run_cli({**env, "AWS_ENDPOINT_URL": "http://127.0.0.1:1"}, "load", "aws", "--region", REGION)
        assert bad.returncode == 1 and "AWS credentials / STS" in bad.stderr
    finally:
        server.stop()
