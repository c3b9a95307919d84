"""Attack paths that start on the internet, built through real EC2, ELB, Lambda, RDS, S3 and IAM calls in
moto: one estate holds every scenario and its twin decoy side by side (distinct names), each decoy
differing from its scenario in the one fact that breaks the path."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from cloudmap.rules import load_rules
from cloudmap.rules.runner import run_rule
from tests.attack_paths.scenario import (
    allow,
    assert_decoy,
    assert_finding,
    assert_no_finding,
    aws_estate,
    chain,
    chain_types,
    doc,
    findings,
    lambda_zip,
    reached,
    service_trust,
    tags,
    trust,
)
from tests.helpers import cli_json, run_cli

REGION = "eu-west-1"
AMI = "ami-03cf127a"
E2E = Path(__file__).resolve().parents[1] / "fixtures" / "e2e"


def build(session) -> dict:
    ec2, iam, s3 = session.client("ec2"), session.client("iam"), session.client("s3")
    account = session.client("sts").get_caller_identity()["Account"]
    ids: dict = {}

    def arn(kind, ident):
        return f"arn:aws:ec2:{REGION}:{account}:{kind}/{ident}"

    # -- network: VPC A with public and private subnets in two zones, B peered (active), C peering rejected
    vpc = ec2.create_vpc(CidrBlock="10.0.0.0/16")["Vpc"]["VpcId"]
    subnet = {name: ec2.create_subnet(VpcId=vpc, CidrBlock=cidr, AvailabilityZone=az)["Subnet"]["SubnetId"]
              for name, cidr, az in (("public-a", "10.0.1.0/24", "eu-west-1a"), ("private-a", "10.0.2.0/24", "eu-west-1a"),
                                     ("public-b", "10.0.3.0/24", "eu-west-1b"), ("private-b", "10.0.4.0/24", "eu-west-1b"),
                                     ("edge", "10.0.5.0/24", "eu-west-1a"))}
    igw = ec2.create_internet_gateway()["InternetGateway"]["InternetGatewayId"]
    ec2.attach_internet_gateway(InternetGatewayId=igw, VpcId=vpc)
    rt = ec2.create_route_table(VpcId=vpc)["RouteTable"]["RouteTableId"]
    ec2.create_route(RouteTableId=rt, DestinationCidrBlock="0.0.0.0/0", GatewayId=igw)
    for name in ("public-a", "public-b", "edge"):
        ec2.associate_route_table(RouteTableId=rt, SubnetId=subnet[name])
    peers = {}
    for name, cidr in (("b", "10.1.0.0/16"), ("c", "10.2.0.0/16")):
        peer_vpc = ec2.create_vpc(CidrBlock=cidr)["Vpc"]["VpcId"]
        subnet[f"vpc-{name}"] = ec2.create_subnet(VpcId=peer_vpc, CidrBlock=cidr.replace("0.0/16", "1.0/24"),
                                                  AvailabilityZone="eu-west-1a")["Subnet"]["SubnetId"]
        pcx = ec2.create_vpc_peering_connection(VpcId=vpc, PeerVpcId=peer_vpc)["VpcPeeringConnection"]
        peers[name] = (peer_vpc, pcx["VpcPeeringConnectionId"])
    ec2.accept_vpc_peering_connection(VpcPeeringConnectionId=peers["b"][1])
    ec2.reject_vpc_peering_connection(VpcPeeringConnectionId=peers["c"][1])   # decoy: the peering never came up
    def isolated_vpc(name, octet):
        """A VPC with one public subnet behind its own internet gateway, no peering."""
        vpc_id = ec2.create_vpc(CidrBlock=f"10.{octet}.0.0/16")["Vpc"]["VpcId"]
        subnet[f"public-{name}"] = ec2.create_subnet(VpcId=vpc_id, CidrBlock=f"10.{octet}.1.0/24",
                                                     AvailabilityZone="eu-west-1a")["Subnet"]["SubnetId"]
        gw = ec2.create_internet_gateway()["InternetGateway"]["InternetGatewayId"]
        ec2.attach_internet_gateway(InternetGatewayId=gw, VpcId=vpc_id)
        table = ec2.create_route_table(VpcId=vpc_id)["RouteTable"]["RouteTableId"]
        ec2.create_route(RouteTableId=table, DestinationCidrBlock="0.0.0.0/0", GatewayId=gw)
        ec2.associate_route_table(RouteTableId=table, SubnetId=subnet[f"public-{name}"])
        return vpc_id

    # VPC D holds the decoys that must not reach their twin's instance sideways (0.0.0.0/0 admits every
    # neighbour too); VPC E holds the admin instance alone: no neighbour may reach it and inherit its role.
    vpc_d = isolated_vpc("d", 3)
    vpc_e = isolated_vpc("e", 4)

    def sg(name, vpc_id=vpc, *rules):
        gid = ec2.create_security_group(GroupName=name, Description=name, VpcId=vpc_id)["GroupId"]
        if rules:
            ec2.authorize_security_group_ingress(GroupId=gid, IpPermissions=list(rules))
        return gid

    def tcp(port, cidr=None, group=None):
        perm = {"IpProtocol": "tcp", "FromPort": port, "ToPort": port}
        if cidr:
            perm["IpRanges"] = [{"CidrIp": cidr}]
        if group:
            perm["UserIdGroupPairs"] = [{"GroupId": group}]
        return perm

    web_open = sg("web-open", vpc, tcp(443, "0.0.0.0/0"))
    web_open_d = sg("web-open-d", vpc_d, tcp(443, "0.0.0.0/0"))
    web_open_e = sg("web-open-e", vpc_e, tcp(443, "0.0.0.0/0"))
    ssh_open = sg("ssh-open", vpc, tcp(22, "0.0.0.0/0"))
    ssh_open_b = sg("ssh-open-b", vpc, tcp(22, "0.0.0.0/0"))
    batch = sg("batch", vpc)
    db_from_bastion = sg("db-from-bastion", vpc, tcp(5432, group=ssh_open))
    db_from_batch = sg("db-from-batch", vpc, tcp(5432, group=batch))        # decoy: admits another group
    alb_open = sg("alb-open", vpc, tcp(443, "0.0.0.0/0"))
    alb_closed = sg("alb-closed", vpc, tcp(443, "10.0.0.0/8"))              # decoy: no internet source
    shop = sg("shop", vpc, tcp(8080, group=alb_open), tcp(8080, group=alb_closed))
    analytics_sg = sg("analytics", peers["b"][0])                           # nothing comes in over the network
    reports_sg = sg("reports", peers["b"][0], tcp(8443, "10.0.5.0/24"))
    reports_c_sg = sg("reports-c", peers["c"][0], tcp(8443, "10.0.5.0/24"))

    # -- identities and data ----------------------------------------------------------------------
    def bucket(name, classification=None):
        s3.create_bucket(Bucket=name, CreateBucketConfiguration={"LocationConstraint": REGION})
        if classification:
            s3.put_bucket_tagging(Bucket=name, Tagging={"TagSet": tags(data_classification=classification)})
        ids[name] = f"arn:aws:s3:::{name}"
        return ids[name]

    def role(name, policy=None, trust_doc=service_trust("ec2.amazonaws.com"), profile=True):
        ids[name] = iam.create_role(RoleName=name, AssumeRolePolicyDocument=trust_doc)["Role"]["Arn"]
        if policy:
            iam.put_role_policy(RoleName=name, PolicyName=f"{name}-policy", PolicyDocument=policy)
        if profile:
            iam.create_instance_profile(InstanceProfileName=name)
            iam.add_role_to_instance_profile(InstanceProfileName=name, RoleName=name)
        return ids[name]

    def reads(*buckets):
        return doc(allow(["s3:GetObject", "s3:ListBucket"], [r for b in buckets for r in (b, f"{b}/*")]))

    role("web-role", reads(bucket("cards-imds", "pci")))
    role("front-role", None)
    role("front-b-role", None)
    role("data-role", reads(bucket("pii-chain", "pii")), trust_doc=trust({"AWS": ids["front-role"]}), profile=False)
    for name in ("front-role", "front-b-role"):     # both may call AssumeRole; only front-role is trusted
        iam.put_role_policy(RoleName=name, PolicyName="assume", PolicyDocument=doc(allow("sts:AssumeRole", ids["data-role"])))
    role("analytics-role", reads(bucket("pii-analytics", "pii")))
    for name, team in (("jump-role", "data"), ("jump-b-role", "ops")):   # decoy: a tag the instance does not carry
        role(name, doc(allow("ssm:StartSession", f"arn:aws:ec2:{REGION}:{account}:instance/*",
                             Condition={"StringEquals": {"aws:ResourceTag/team": team}})))
    role("shop-role", reads(bucket("cards-shop", "pci")))
    role("reports-role", reads(bucket("pii-reports", "pii")))
    role("reports-c-role", reads(bucket("pii-reports-c", "pii")))
    role("cve-role", reads(bucket("cards-cve", "pci")))
    role("jewel-role", reads(bucket("ledger-archive")))
    role("jewel-b-role", reads(bucket("ledger-archive-b")))
    for name, criticality in (("ledger-archive", "critical"), ("ledger-archive-b", "low")):   # decoy: not a jewel
        s3.put_bucket_tagging(Bucket=name, Tagging={"TagSet": tags(criticality=criticality)})
    # an admin role reads everything: its chain ends at the account (one finding), not at each store; the
    # twin's role reads the one bucket
    role("admin-web-role", doc(allow("*")))
    role("admin-web-b-role", reads(bucket("cards-admin", "pci")))
    role("bp-role")
    role("bp-b-role")
    bucket("pii-bp", "pii")
    s3.put_bucket_policy(Bucket="pii-bp", Policy=doc(
        {"Effect": "Allow", "Principal": {"AWS": ids["bp-role"]}, "Action": "s3:GetObject", "Resource": f"{ids['pii-bp']}/*"}))

    # -- instances --------------------------------------------------------------------------------
    def instance(name, subnet_name, groups, profile=None, imds_v1=True, public=True, **extra_tags):
        kw = {"IamInstanceProfile": {"Name": profile}} if profile else {}
        inst = ec2.run_instances(
            ImageId=AMI, MinCount=1, MaxCount=1, InstanceType="t3.micro",
            NetworkInterfaces=[{"DeviceIndex": 0, "SubnetId": subnet[subnet_name], "Groups": groups,
                                "AssociatePublicIpAddress": public}],
            MetadataOptions={"HttpTokens": "optional" if imds_v1 else "required", "HttpEndpoint": "enabled"},
            TagSpecifications=[{"ResourceType": "instance", "Tags": tags(Name=name, **extra_tags)}], **kw)["Instances"][0]
        ids[name] = arn("instance", inst["InstanceId"])
        ids[f"{name}:id"] = inst["InstanceId"]
        return inst["InstanceId"]

    instance("web-imds", "public-a", [web_open], "web-role")
    instance("web-imds-v2", "public-d", [web_open_d], "web-role", imds_v1=False)      # decoy: IMDSv2 required
    instance("app-chain", "public-a", [web_open], "front-role")
    instance("app-chain-b", "public-d", [web_open_d], "front-b-role")                 # decoy: not trusted by data-role
    instance("bastion", "public-a", [ssh_open], imds_v1=False)
    instance("bastion-b", "public-a", [ssh_open_b], imds_v1=False)
    instance("jump", "public-a", [web_open], "jump-role")
    instance("jump-b", "public-d", [web_open_d], "jump-b-role")
    instance("analytics", "vpc-b", [analytics_sg], "analytics-role", public=False, team="data")
    instance("shop", "private-a", [shop], "shop-role", public=False)
    instance("shop-b", "private-a", [shop], "shop-role", public=False)               # decoy: behind the closed ALB
    instance("edge", "edge", [ssh_open], imds_v1=False)
    instance("edge-c", "edge", [ssh_open], imds_v1=False)
    instance("reports", "vpc-b", [reports_sg], "reports-role", public=False)
    instance("reports-c", "vpc-c", [reports_c_sg], "reports-c-role", public=False)  # decoy: across the rejected peering
    instance("web-cve", "public-a", [web_open], "cve-role", imds_v1=False)
    instance("web-nocve", "public-d", [web_open_d], "cve-role", imds_v1=False)         # decoy: no vulnerability
    instance("web-jewel", "public-a", [web_open], "jewel-role")
    instance("web-jewel-b", "public-d", [web_open_d], "jewel-b-role")
    instance("web-admin", "public-e", [web_open_e], "admin-web-role")
    instance("web-admin-b", "public-d", [web_open_d], "admin-web-b-role")
    instance("web-bp", "public-a", [web_open], "bp-role")
    instance("web-bp-b", "public-d", [web_open_d], "bp-b-role")                        # decoy: not named by the bucket

    # -- databases: reached from the bastion's group only -----------------------------------------
    rds = session.client("rds")
    rds.create_db_subnet_group(DBSubnetGroupName="private", DBSubnetGroupDescription="private",
                               SubnetIds=[subnet["private-a"], subnet["private-b"]])
    for name, group in (("customers-db", db_from_bastion), ("ledger-db", db_from_batch)):
        ids[name] = rds.create_db_instance(
            DBInstanceIdentifier=name, Engine="postgres", DBInstanceClass="db.t3.micro", MasterUsername="app",
            MasterUserPassword="not-a-real-password-1", AllocatedStorage=20, PubliclyAccessible=False,
            VpcSecurityGroupIds=[group], DBSubnetGroupName="private", Port=5432,
            Tags=tags(data_classification="pii"))["DBInstance"]["DBInstanceArn"]

    # -- the internet-facing ALB in front of shop, and its closed twin in front of shop-b ---------
    elb = session.client("elbv2")
    for name, group, target in (("shop-alb", alb_open, "shop"), ("shop-b-alb", alb_closed, "shop-b")):
        lb = elb.create_load_balancer(Name=name, Subnets=[subnet["public-a"], subnet["public-b"]], SecurityGroups=[group],
                                      Scheme="internet-facing", Type="application")["LoadBalancers"][0]["LoadBalancerArn"]
        tg = elb.create_target_group(Name=f"{name}-tg", Protocol="HTTP", Port=8080, VpcId=vpc,
                                     TargetType="instance")["TargetGroups"][0]["TargetGroupArn"]
        elb.register_targets(TargetGroupArn=tg, Targets=[{"Id": ids[f"{target}:id"], "Port": 8080}])
        elb.create_listener(LoadBalancerArn=lb, Protocol="HTTPS", Port=443,
                            DefaultActions=[{"Type": "forward", "TargetGroupArn": tg}])
        ids[name] = lb

    # -- a function URL without auth, whose role reads a secret; its twin requires IAM auth -------
    sm = session.client("secretsmanager")
    ids["prod/payments"] = sm.create_secret(Name="prod/payments", SecretString="not-a-real-secret",
                                            Tags=tags(data_classification="secrets"))["ARN"]
    role("fn-role", doc(allow("secretsmanager:GetSecretValue", ids["prod/payments"])),
         trust_doc=service_trust("lambda.amazonaws.com"), profile=False)
    lam = session.client("lambda")
    for name, auth in (("public-api", "NONE"), ("private-api", "AWS_IAM")):
        ids[name] = lam.create_function(FunctionName=name, Runtime="python3.12", Role=ids["fn-role"],
                                        Handler="handler.handler", Code={"ZipFile": lambda_zip()})["FunctionArn"]
        lam.create_function_url_config(FunctionName=name, AuthType=auth)
    return ids


def trivy_log4shell(tmp):
    def load(graph, ids):
        from cloudmap.loaders.trivy.report import read_reports
        from cloudmap.loaders.vulns import load_files

        report = json.loads((E2E / "trivy-log4shell-host.json").read_text())
        instance = ids["web-cve:id"]
        report["ArtifactName"] = instance
        for result in report["Results"]:
            result["Target"] = result["Target"].replace("i-replaced-by-the-test", instance)
        path = tmp / f"{instance}.json"
        path.write_text(json.dumps(report))
        load_files(graph, "trivy", read_reports, [path], ids["web-cve"])
    return load


@pytest.fixture(scope="module")
def estate(_session_graph, tmp_path_factory):
    graph = _session_graph
    ids = aws_estate(graph, REGION, build, after_load=trivy_log4shell(tmp_path_factory.mktemp("trivy")))
    return graph, ids


# -- the engine derives each chain; its decoy breaks it ---------------------------------------------

def test_imdsv1_instance_role_reads_pci_bucket(estate):
    graph, ids = estate
    assert chain(graph, ids["web-imds"], ids["cards-imds"], internet=True) == 3
    assert chain_types(graph, ids["web-imds"], ids["cards-imds"], internet=True) == [
        "CAN_REACH", "CAN_AUTHENTICATE_AS", "CAN_ACCESS"]
    # decoy: IMDSv2 required; the chain exists, but compromise must be assumed
    assert graph.read("MATCH (i {id: $id}) RETURN i.imds_v1_enabled AS v", id=ids["web-imds-v2"]) == [{"v": False}]


def test_instance_role_assumes_another_role_to_bucket(estate):
    graph, ids = estate
    assert chain(graph, ids["app-chain"], ids["pii-chain"], internet=True) == 4
    assert chain(graph, ids["app-chain-b"], ids["pii-chain"], internet=True) is None


def test_lateral_through_security_group_reference_to_classified_database(estate):
    graph, ids = estate
    assert chain_types(graph, ids["bastion"], ids["customers-db"], internet=True) == ["CAN_REACH", "CAN_CONNECT_TO"]
    assert chain(graph, ids["bastion-b"], ids["ledger-db"], internet=True) is None


def test_ssm_start_session_on_instance_in_peered_vpc_to_its_data(estate):
    graph, ids = estate
    assert chain_types(graph, ids["jump"], ids["pii-analytics"], internet=True) == [
        "CAN_REACH", "CAN_AUTHENTICATE_AS", "CAN_ESCALATE_TO", "CAN_ACCESS"]
    assert chain(graph, ids["jump-b"], ids["pii-analytics"], internet=True) is None


def test_instance_behind_internet_facing_alb_without_public_ip(estate):
    graph, ids = estate
    assert chain(graph, ids["shop"], ids["cards-shop"], internet=True) == 3
    assert reached(graph, ids["shop-alb"]) and not reached(graph, ids["shop-b-alb"])
    assert chain(graph, ids["shop-b"], ids["cards-shop"], internet=True) is None


def test_lateral_across_active_peering_to_instance_role_and_data(estate):
    graph, ids = estate
    assert chain_types(graph, ids["edge"], ids["pii-reports"], internet=True) == [
        "CAN_REACH", "CAN_CONNECT_TO", "CAN_AUTHENTICATE_AS", "CAN_ACCESS"]
    assert chain(graph, ids["edge-c"], ids["pii-reports-c"], internet=True) is None


def test_function_url_without_auth_reads_secret(estate):
    graph, ids = estate
    assert chain(graph, ids["public-api"], ids["prod/payments"], internet=True) == 3
    assert not reached(graph, ids["private-api"])


def test_imdsv2_instance_with_critical_cve_reaches_pci(estate):
    graph, ids = estate
    assert chain(graph, ids["web-cve"], ids["cards-cve"], internet=True) == 3
    cves = graph.read("MATCH (i {id: $id})-[:HAS_VULNERABILITY]->(v) RETURN v.id AS v", id=ids["web-cve"])
    assert [r["v"] for r in cves] == ["CVE-2021-44228"]
    assert not graph.read("MATCH (i {id: $id})-[:HAS_VULNERABILITY]->(v) RETURN v", id=ids["web-nocve"])


def test_bucket_policy_grants_the_instance_role(estate):
    graph, ids = estate
    assert chain(graph, ids["web-bp"], ids["pii-bp"], internet=True) == 3
    assert chain(graph, ids["web-bp-b"], ids["pii-bp"], internet=True) is None


def test_crown_jewel_bucket_without_classification(estate):
    graph, ids = estate
    assert chain(graph, ids["web-jewel"], ids["ledger-archive"], internet=True) == 3
    jewels = graph.read("MATCH (b:Bucket) WHERE b.id IN $ids RETURN b.id AS id, b.critical AS c",
                        ids=[ids["ledger-archive"], ids["ledger-archive-b"]])
    assert {r["id"]: r["c"] for r in jewels} == {ids["ledger-archive"]: True, ids["ledger-archive-b"]: None}


def test_an_admin_chain_ends_at_the_account(estate):
    """An exposed instance whose role is admin of its account: one finding for the account, none for each
    store the role can read; the twin whose role reads one pci bucket gets that bucket, not the account."""
    graph, ids = estate
    admin = assert_finding(graph, ids["web-admin"], ids["account"], "high", 3)
    assert admin["rule_id"] == "CM-PATH-002", admin
    for store in ("cards-admin", "cards-imds", "pii-chain", "ledger-archive", "prod/payments"):
        assert chain(graph, ids["web-admin"], ids[store], internet=True) == 3     # the engine derives the read
        generic = [r["f"]["rule_id"] for r in findings(graph, ids["web-admin"], ids[store])
                   if r["f"]["rule_id"].startswith("CM-PATH-")]
        assert generic == [], (store, generic)     # a template with its own title may still name the store
    assert_finding(graph, ids["web-admin-b"], ids["cards-admin"], "high", 3)
    assert_no_finding(graph, ids["web-admin-b"], ids["account"])


def test_an_asset_assumed_compromised_shows_its_blast_radius(estate, cli_env):
    """CM-PATH-006 from `cloudmap rules run`: an internal workload, a role and the admin instance named as
    compromised; the twin role may call AssumeRole too, but no trust policy admits it."""
    graph, ids = estate
    rule = {r.id: r for r in load_rules()[0]}["CM-PATH-006"]
    assert run_rule(graph, rule) == []       # nothing named: `cloudmap analyze` reports nothing for it
    named = ",".join(ids[n] for n in ("analytics", "front-role", "front-b-role", "web-admin"))
    rows = cli_json(cli_env, "rules", "run", "CM-PATH-006", "--param", f"compromised={named}", "--format", "json")
    got = {(r["entry"], r["target"]): (r["level"], r["hops"]) for r in rows}
    assert got[(ids["analytics"], ids["pii-analytics"])] == ("medium", 2)
    assert got[(ids["front-role"], ids["pii-chain"])] == ("medium", 2)
    assert got[(ids["web-admin"], ids["account"])] == ("high", 2)
    assert {t for e, t in got if e == ids["web-admin"]} == {ids["account"]}     # the admin's chain ends there
    assert not [t for e, t in got if e == ids["front-b-role"]]
    assert all(r["evidence"]["exposure"] == "compromised" for r in rows)


def test_rules_run_names_a_parameter_the_rule_does_not_have(cli_env):
    out = run_cli(cli_env, "rules", "run", "CM-PATH-006", "--param", "targets=x")
    assert out.returncode == 2 and "CM-PATH-006 has no such parameter (it has: compromised, max_hops)" in out.stderr


# -- the analysis reports each chain once, at its level; its decoy gets none or a lower one -----------

# (entry, target, level, hops, [(decoy entry, decoy target, the level it must stay below, or None: no finding)])
FINDINGS = {
    "imds-v1-role-pci": ("web-imds", "cards-imds", "high", 3, [("web-imds-v2", "cards-imds", "high")]),
    "assume-chain": ("app-chain", "pii-chain", "high", 4, [("app-chain-b", "pii-chain", None)]),
    "sg-reference-database": ("bastion", "customers-db", "high", 2, [("bastion-b", "ledger-db", None)]),
    "ssm-peered-vpc": ("jump", "pii-analytics", "high", 4, [("jump-b", "pii-analytics", None)]),
    "alb-target": ("shop", "cards-shop", "high", 3, [("shop-b", "cards-shop", None)]),
    "peering-lateral": ("edge", "pii-reports", "high", 4, [("edge-c", "pii-reports-c", None)]),
    "function-url-secret": ("public-api", "prod/payments", "high", 3, [("private-api", "prod/payments", None)]),
    "imds-v2-rce-cve": ("web-cve", "cards-cve", "critical", 3, [("web-nocve", "cards-cve", "high")]),
    "bucket-policy": ("web-bp", "pii-bp", "high", 3, [("web-bp-b", "pii-bp", None)]),
    "crown-jewel": ("web-jewel", "ledger-archive", "critical", 3, [("web-jewel-b", "ledger-archive-b", None)]),
}


@pytest.mark.parametrize("scenario", list(FINDINGS))
def test_finding(estate, scenario):
    graph, ids = estate
    entry, target, level, hops, decoys = FINDINGS[scenario]
    assert_finding(graph, ids[entry], ids[target], level, hops)
    for d_entry, d_target, below in decoys:
        assert_decoy(graph, ids[d_entry], ids[d_target], below)


def test_imds_v2_decoy_is_assumed_compromise(estate):
    """The same exposed instance and role with IMDSv2 required: compromise must be assumed (medium)."""
    graph, ids = estate
    assert_finding(graph, ids["web-imds-v2"], ids["cards-imds"], "medium", 3)
    assert_finding(graph, ids["web-nocve"], ids["cards-cve"], "medium", 3)
