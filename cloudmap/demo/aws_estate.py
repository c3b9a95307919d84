"""Builds the demo's two AWS accounts with boto3 against moto.

Account ``PROD`` (moto's default account) holds the three seed cases and most of the story:

* HIGH   ``payments-web``: public subnet with an internet-gateway route, public IP, security group
  open to 0.0.0.0/0, Log4Shell on the host (Trivy report), instance-profile role that can read
  the bucket of card data (classification file).
* MEDIUM ``marketing-blog``: exposed the same way, same CVE, its role reads only public assets.
* LOW    ``batch-worker``: private subnet, no public IP, vulnerable OS packages (OpenSSL, curl; not in
  KEV), reachable only from its own subnet, no sensitive access.
* lateral movement: the exposed ``bastion`` whose group is allowed into the private ``orders-db``;
* a chained path: the exposed ``reporting-api`` (IMDSv1) runs as a role that may assume
  ``analytics-reader``, which reads the customer exports (pii);
* privilege escalation: ``ci-deployer`` (iam:CreatePolicyVersion on its own policy) and ``dev-alice``
  (iam:PassRole + ec2:RunInstances); a public bucket ``acme-public-assets``.

Account ``SHARED`` is reached through an assumed role (moto files resources under the account of
the role's credentials), as a real organisation's member account would be. Both accounts carry
noise — hundreds of instances, groups, roles and buckets across regions — so ranking matters.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field

import boto3

PROD = "123456789012"
SHARED = "210987654321"
ACCOUNT_NAMES = {PROD: "acme-prod", SHARED: "acme-shared-services"}
CROSS_ACCOUNT_ROLE = "OrganizationAccountAccessRole"
AUDIT_ROLE = "cloudmap-audit"
PRIMARY_REGION = "us-east-1"
NOISE_REGIONS = ("us-east-1", "eu-west-1", "ap-southeast-2")

CARD_BUCKET = "acme-payments-cardholder-data"
PUBLIC_BUCKET = "acme-public-assets"
EXPORTS_BUCKET = "acme-customer-exports"
AMI = "ami-0123456789abcdef0"

# The three seed cases (instances of PROD) and what each shows, as the demo names them at the end.
SEED_CASES = (("payments-web", "exposed, Log4Shell, its role reads card data"),
              ("marketing-blog", "exposed the same way, reads only public assets"),
              ("batch-worker", "private, vulnerable packages, no sensitive access"))


@dataclass
class Built:
    """What the builder made that later steps (scanner reports, the guide) refer to."""
    instances: dict[str, str] = field(default_factory=dict)   # Name tag -> instance ARN
    counts: dict[str, int] = field(default_factory=dict)

    def add(self, what: str, n: int = 1) -> None:
        self.counts[what] = self.counts.get(what, 0) + n


def _tags(name: str, **extra: str) -> list[dict]:
    return [{"Key": "Name", "Value": name}] + [{"Key": k, "Value": v} for k, v in extra.items()]


def _policy(*statements: dict) -> str:
    return json.dumps({"Version": "2012-10-17", "Statement": list(statements)})


def _allow(actions: list[str] | str, resources: list[str] | str) -> dict:
    return {"Effect": "Allow", "Action": actions, "Resource": resources}


EC2_TRUST = _policy({"Effect": "Allow", "Principal": {"Service": "ec2.amazonaws.com"}, "Action": "sts:AssumeRole"})


def _account_trust(account: str) -> str:
    return _policy({"Effect": "Allow", "Principal": {"AWS": f"arn:aws:iam::{account}:root"},
                    "Action": "sts:AssumeRole"})


class AccountBuilder:
    """boto3 clients for one account (default credentials, or those of an assumed role)."""

    def __init__(self, account: str, session: boto3.Session, built: Built):
        self.account, self.session, self.built = account, session, built
        self.iam = session.client("iam")

    def ec2(self, region: str = PRIMARY_REGION):
        return self.session.client("ec2", region_name=region)

    # -- identity ----------------------------------------------------------------------------------
    def role(self, name: str, trust: str, inline: dict[str, str] | None = None, profile: bool = False,
             managed: list[str] = ()) -> str:
        arn = self.iam.create_role(RoleName=name, AssumeRolePolicyDocument=trust)["Role"]["Arn"]
        for pname, doc in (inline or {}).items():
            self.iam.put_role_policy(RoleName=name, PolicyName=pname, PolicyDocument=doc)
        for policy_arn in managed:
            self.iam.attach_role_policy(RoleName=name, PolicyArn=policy_arn)
        if profile:
            self.iam.create_instance_profile(InstanceProfileName=name)
            self.iam.add_role_to_instance_profile(InstanceProfileName=name, RoleName=name)
        self.built.add("roles")
        return arn

    def user(self, name: str, inline: dict[str, str], groups: list[str] = ()) -> None:
        self.iam.create_user(UserName=name)
        for pname, doc in inline.items():
            self.iam.put_user_policy(UserName=name, PolicyName=pname, PolicyDocument=doc)
        for group in groups:
            self.iam.add_user_to_group(GroupName=group, UserName=name)
        self.built.add("users")

    def managed_policy(self, name: str, doc: str) -> str:
        arn = self.iam.create_policy(PolicyName=name, PolicyDocument=doc)["Policy"]["Arn"]
        self.built.add("policies")
        return arn

    # -- network -----------------------------------------------------------------------------------
    def vpc(self, region: str, name: str, cidr: str, public: bool = True) -> dict:
        """A VPC with a public subnet (route to an internet gateway) and a private one."""
        ec2 = self.ec2(region)
        vpc_id = ec2.create_vpc(CidrBlock=cidr, TagSpecifications=[
            {"ResourceType": "vpc", "Tags": _tags(name)}])["Vpc"]["VpcId"]
        base = cidr.rsplit(".", 2)[0]
        azs = [f"{region}a", f"{region}b"]
        subnets = {}
        for i, kind in enumerate(("public", "private")):
            subnets[kind] = ec2.create_subnet(VpcId=vpc_id, CidrBlock=f"{base}.{i + 1}.0/24", AvailabilityZone=azs[i],
                                              TagSpecifications=[{"ResourceType": "subnet",
                                                                  "Tags": _tags(f"{name}-{kind}")}])["Subnet"]["SubnetId"]
        subnets["private-b"] = ec2.create_subnet(VpcId=vpc_id, CidrBlock=f"{base}.3.0/24", AvailabilityZone=azs[0],
                                                 TagSpecifications=[{"ResourceType": "subnet",
                                                                     "Tags": _tags(f"{name}-private-b")}])["Subnet"]["SubnetId"]
        if public:
            igw = ec2.create_internet_gateway(TagSpecifications=[
                {"ResourceType": "internet-gateway", "Tags": _tags(f"{name}-igw")}])["InternetGateway"]["InternetGatewayId"]
            ec2.attach_internet_gateway(InternetGatewayId=igw, VpcId=vpc_id)
            rt = ec2.create_route_table(VpcId=vpc_id, TagSpecifications=[
                {"ResourceType": "route-table", "Tags": _tags(f"{name}-public-rt")}])["RouteTable"]["RouteTableId"]
            ec2.create_route(RouteTableId=rt, DestinationCidrBlock="0.0.0.0/0", GatewayId=igw)
            ec2.associate_route_table(RouteTableId=rt, SubnetId=subnets["public"])
            ec2.modify_subnet_attribute(SubnetId=subnets["public"], MapPublicIpOnLaunch={"Value": True})
        self.built.add("vpcs")
        return {"vpc": vpc_id, **subnets}

    def sg(self, region: str, vpc_id: str, name: str, ingress: list[dict]) -> str:
        ec2 = self.ec2(region)
        gid = ec2.create_security_group(GroupName=name, Description=f"{name} group", VpcId=vpc_id,
                                        TagSpecifications=[{"ResourceType": "security-group",
                                                            "Tags": _tags(name)}])["GroupId"]
        if ingress:
            ec2.authorize_security_group_ingress(GroupId=gid, IpPermissions=ingress)
        self.built.add("security_groups")
        return gid

    def instances(self, region: str, name: str, subnet: str, sgs: list[str], count: int = 1,
                  profile: str | None = None, public_ip: bool = False, tags: dict[str, str] | None = None) -> list[str]:
        ec2 = self.ec2(region)
        kw = {}
        if profile:
            kw["IamInstanceProfile"] = {"Name": profile}
        resp = ec2.run_instances(
            ImageId=AMI, InstanceType="t3.medium", MinCount=count, MaxCount=count,
            NetworkInterfaces=[{"DeviceIndex": 0, "SubnetId": subnet, "Groups": sgs,
                                "AssociatePublicIpAddress": public_ip}],
            MetadataOptions={"HttpTokens": "optional" if public_ip else "required"},
            TagSpecifications=[{"ResourceType": "instance", "Tags": _tags(name, **(tags or {}))}], **kw)
        ids = [i["InstanceId"] for i in resp["Instances"]]
        if public_ip:  # an Elastic IP too: the address stays when the instance restarts, as in production
            alloc = ec2.allocate_address(Domain="vpc", TagSpecifications=[
                {"ResourceType": "elastic-ip", "Tags": _tags(f"{name}-eip")}])["AllocationId"]
            ec2.associate_address(AllocationId=alloc, InstanceId=ids[0])
        if count == 1:
            self.built.instances[name] = f"arn:aws:ec2:{region}:{self.account}:instance/{ids[0]}"
        self.built.add("instances", count)
        return ids

    def bucket(self, name: str, region: str = PRIMARY_REGION, policy: str | None = None,
               block_public: bool = True, tags: dict[str, str] | None = None) -> None:
        s3 = self.session.client("s3", region_name=region)
        kw = {} if region == "us-east-1" else {"CreateBucketConfiguration": {"LocationConstraint": region}}
        s3.create_bucket(Bucket=name, **kw)
        if block_public:
            s3.put_public_access_block(Bucket=name, PublicAccessBlockConfiguration={
                "BlockPublicAcls": True, "IgnorePublicAcls": True, "BlockPublicPolicy": True,
                "RestrictPublicBuckets": True})
        if policy:
            s3.put_bucket_policy(Bucket=name, Policy=policy)
        if tags:
            s3.put_bucket_tagging(Bucket=name, Tagging={"TagSet": [{"Key": k, "Value": v} for k, v in tags.items()]})
        self.built.add("buckets")


def _web_ingress(*ports: int, cidr: str = "0.0.0.0/0") -> list[dict]:
    return [{"IpProtocol": "tcp", "FromPort": p, "ToPort": p, "IpRanges": [{"CidrIp": cidr}]} for p in ports]


def build_prod(b: AccountBuilder, noise: bool = True) -> None:
    """The seed cases and the interesting paths."""
    r = PRIMARY_REGION
    net = b.vpc(r, "prod-vpc", "10.10.0.0/16")
    web_sg = b.sg(r, net["vpc"], "payments-web-public", _web_ingress(443, 80, 22))
    blog_sg = b.sg(r, net["vpc"], "marketing-blog-public", _web_ingress(80, 443))
    bastion_sg = b.sg(r, net["vpc"], "bastion-ssh", _web_ingress(22))
    # Only the private subnet may call the worker: nothing exposed can reach it.
    worker_sg = b.sg(r, net["vpc"], "batch-worker-internal", _web_ingress(8080, cidr="10.10.2.0/24"))
    db_sg = b.sg(r, net["vpc"], "orders-db-private", [
        {"IpProtocol": "tcp", "FromPort": 5432, "ToPort": 5432, "UserIdGroupPairs": [{"GroupId": bastion_sg}]}])

    # Identities of the three seed VMs.
    b.role("payments-web-role", EC2_TRUST, profile=True, inline={"read-cardholder-data": _policy(
        _allow(["s3:GetObject", "s3:ListBucket"], [f"arn:aws:s3:::{CARD_BUCKET}", f"arn:aws:s3:::{CARD_BUCKET}/*"]))})
    b.role("marketing-blog-role", EC2_TRUST, profile=True, inline={"read-public-assets": _policy(
        _allow(["s3:GetObject"], [f"arn:aws:s3:::{PUBLIC_BUCKET}/*"]))})
    b.role("batch-worker-role", EC2_TRUST, profile=True, inline={"cloudwatch-logs": _policy(
        _allow(["logs:CreateLogStream", "logs:PutLogEvents"], "*"))})
    b.role("bastion-role", EC2_TRUST, profile=True, inline={"ssm": _policy(_allow(["ssm:UpdateInstanceInformation"], "*"))})

    b.instances(r, "payments-web", net["public"], [web_sg], profile="payments-web-role", public_ip=True,
                tags={"env": "prod", "app": "payments"})
    b.instances(r, "marketing-blog", net["public"], [blog_sg], profile="marketing-blog-role", public_ip=True,
                tags={"env": "prod", "app": "blog"})
    b.instances(r, "batch-worker", net["private"], [worker_sg], profile="batch-worker-role",
                tags={"env": "prod", "app": "batch"})
    b.instances(r, "bastion", net["public"], [bastion_sg], profile="bastion-role", public_ip=True,
                tags={"env": "prod", "app": "ops"})

    # A chained path: the exposed reporting API (IMDSv1) runs as a role that may assume the analytics role,
    # which reads the customer exports.
    b.role("reporting-api-role", EC2_TRUST, profile=True, inline={"assume-analytics": _policy(
        _allow("sts:AssumeRole", f"arn:aws:iam::{PROD}:role/analytics-reader"))})
    b.role("analytics-reader", _policy({"Effect": "Allow", "Action": "sts:AssumeRole",
                                        "Principal": {"AWS": f"arn:aws:iam::{PROD}:role/reporting-api-role"}}),
           inline={"read-exports": _policy(_allow(["s3:GetObject"], f"arn:aws:s3:::{EXPORTS_BUCKET}/*"))})
    b.instances(r, "reporting-api", net["public"], [blog_sg], profile="reporting-api-role", public_ip=True,
                tags={"env": "prod", "app": "reporting"})
    b.bucket(EXPORTS_BUCKET, tags={"env": "prod", "data-classification": "pii"})

    rds = b.session.client("rds", region_name=r)
    rds.create_db_subnet_group(DBSubnetGroupName="orders-db-subnets", DBSubnetGroupDescription="private",
                               SubnetIds=[net["private"], net["private-b"]])
    rds.create_db_instance(DBInstanceIdentifier="orders-db", DBInstanceClass="db.t3.medium", Engine="postgres",
                           MasterUsername="orders", MasterUserPassword="demo-only-not-a-secret",
                           AllocatedStorage=20, DBSubnetGroupName="orders-db-subnets",
                           VpcSecurityGroupIds=[db_sg], PubliclyAccessible=False,
                           Tags=[{"Key": "env", "Value": "prod"}, {"Key": "data", "Value": "orders"}])
    b.built.add("databases")

    b.bucket(CARD_BUCKET, tags={"env": "prod", "data": "cardholder"})
    b.bucket(PUBLIC_BUCKET, block_public=False, policy=_policy(
        {"Effect": "Allow", "Principal": "*", "Action": "s3:GetObject", "Resource": f"arn:aws:s3:::{PUBLIC_BUCKET}/*"}))

    # Privilege escalation.
    # The CI user may rewrite its own managed deploy policy: it can grant itself anything.
    deploy = f"arn:aws:iam::{PROD}:policy/ci-deploy"
    b.user("ci-deployer", {})
    b.managed_policy("ci-deploy", _policy(_allow(["iam:CreatePolicyVersion", "iam:ListPolicies"], deploy)))
    b.iam.attach_user_policy(UserName="ci-deployer", PolicyArn=deploy)
    b.user("dev-alice", {"launch": _policy(_allow(["iam:PassRole", "ec2:RunInstances", "ec2:Describe*"], "*"))})
    admin = b.managed_policy("ops-full-admin", _policy(_allow("*", "*")))
    b.role("ops-admin", _account_trust(PROD), managed=[admin])
    # An admin instance profile kept for maintenance: whoever may pass it to a new instance is admin.
    b.role("ops-maintenance", EC2_TRUST, profile=True, managed=[admin])
    b.user("readonly-bob", {"view": _policy(_allow(["ec2:Describe*", "s3:ListAllMyBuckets"], "*"))})

    if noise:
        build_noise(b, prefix="prod", instances_per_region=60, roles=40, buckets=40)


def build_shared(b: AccountBuilder, noise: bool = True) -> None:
    r = PRIMARY_REGION
    net = b.vpc(r, "shared-vpc", "10.20.0.0/16")
    ci_sg = b.sg(r, net["vpc"], "ci-runners", _web_ingress(443, cidr="10.20.0.0/16"))
    b.role("ci-runner-role", EC2_TRUST, profile=True, inline={"artifacts": _policy(
        _allow(["s3:GetObject", "s3:PutObject"], "arn:aws:s3:::acme-shared-artifacts/*"))})
    b.instances(r, "ci-runner", net["private"], [ci_sg], count=6, profile="ci-runner-role", tags={"env": "shared"})
    b.bucket("acme-shared-artifacts", tags={"env": "shared"})
    b.bucket("acme-shared-logs", tags={"env": "shared"})
    if noise:
        build_noise(b, prefix="shared", instances_per_region=30, roles=25, buckets=20)


def build_noise(b: AccountBuilder, prefix: str, instances_per_region: int, roles: int, buckets: int) -> None:
    """Ordinary, unremarkable assets: private instances, internal groups, narrow roles, private buckets."""
    for ri, region in enumerate(NOISE_REGIONS):
        net = b.vpc(region, f"{prefix}-{region}-apps", f"10.{100 + ri + (50 if prefix == 'shared' else 0)}.0.0/16")
        groups = [b.sg(region, net["vpc"], f"{prefix}-{region}-svc-{i}", _web_ingress(8000 + i, cidr="10.0.0.0/8"))
                  for i in range(8)]
        per = instances_per_region // 4
        for i in range(4):
            b.instances(region, f"{prefix}-{region}-app-{i}", net["private"], [groups[i]], count=per,
                        tags={"env": "prod" if i % 2 else "staging", "team": f"team-{i}"})
    for i in range(roles):
        b.role(f"{prefix}-service-{i:02d}", EC2_TRUST, inline={"logs": _policy(
            _allow(["logs:PutLogEvents"], f"arn:aws:logs:*:{b.account}:log-group:/{prefix}/svc-{i:02d}:*"))})
    for i in range(buckets):
        b.bucket(f"acme-{prefix}-data-{i:02d}", region=NOISE_REGIONS[i % len(NOISE_REGIONS)], tags={"env": "prod"})


def assume_session(role_arn: str, region: str = PRIMARY_REGION) -> boto3.Session:
    creds = boto3.client("sts", region_name=region).assume_role(
        RoleArn=role_arn, RoleSessionName="cloudmap-demo-builder")["Credentials"]
    return boto3.Session(aws_access_key_id=creds["AccessKeyId"], aws_secret_access_key=creds["SecretAccessKey"],
                         aws_session_token=creds["SessionToken"], region_name=region)


def cross_account_role_arn(account: str = SHARED) -> str:
    return f"arn:aws:iam::{account}:role/{CROSS_ACCOUNT_ROLE}"


def build_estate(noise: bool = True) -> Built:
    """Create both accounts in the moto server that AWS_ENDPOINT_URL points to; ``noise=False`` leaves
    out the background assets (a quick look, the tests)."""
    built = Built()
    prod = AccountBuilder(PROD, boto3.Session(region_name=PRIMARY_REGION), built)
    build_prod(prod, noise)
    shared = AccountBuilder(SHARED, assume_session(cross_account_role_arn()), built)
    # The member account's admin role trusts the management account, as AWS Organizations sets it up.
    shared.role(CROSS_ACCOUNT_ROLE, _account_trust(PROD),
                managed=[shared.managed_policy("org-full-admin", _policy(_allow("*", "*")))])
    build_shared(shared, noise)
    return built
