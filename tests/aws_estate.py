"""A small AWS estate built through boto3 (against moto), with one or more of every kind the AWS loader
maps. Reused by the loader tests, the engine tests and the demo: ``build_estate(session)`` returns the
ids a test needs. Works in-process under ``moto.mock_aws`` and against a moto server (AWS_ENDPOINT_URL)."""

from __future__ import annotations

import io
import json
import zipfile

import boto3
import requests

ACCOUNT = "123456789012"
REGION, OTHER_REGION = "us-east-1", "eu-west-1"
SECRET_VALUE = "s3cr3t-VALUE-never-in-the-graph"
LOGIN_PASSWORD = "Alice-Pa55word-never-in-the-graph"
MOTO_API = "http://motoapi.amazonaws.com"
AMI = "ami-03cf127a"  # one of moto's default images, present in every region

TRUST_EC2 = {"Version": "2012-10-17", "Statement": [
    {"Effect": "Allow", "Principal": {"Service": "ec2.amazonaws.com"}, "Action": "sts:AssumeRole"}]}
TRUST_LAMBDA = {"Version": "2012-10-17", "Statement": [
    {"Effect": "Allow", "Principal": {"Service": "lambda.amazonaws.com"}, "Action": "sts:AssumeRole"}]}
TRUST_ECS = {"Version": "2012-10-17", "Statement": [
    {"Effect": "Allow", "Principal": {"Service": "ecs-tasks.amazonaws.com"}, "Action": "sts:AssumeRole"}]}
READ_DATA = {"Version": "2012-10-17", "Statement": [
    {"Effect": "Allow", "Action": ["s3:GetObject", "s3:ListBucket"], "Resource": "*"}]}
BOUNDARY = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "s3:*", "Resource": "*"}]}
DENY_LEAVE = {"Version": "2012-10-17", "Statement": [
    {"Effect": "Deny", "Action": "organizations:LeaveOrganization", "Resource": "*"}]}

# Inspector2 findings shaped like the real ListFindings response.
def inspector_findings(instance_id: str, image_digest: str) -> list[dict]:
    return [
        {"awsAccountId": ACCOUNT, "type": "PACKAGE_VULNERABILITY", "severity": "CRITICAL", "status": "ACTIVE",
         "findingArn": f"arn:aws:inspector2:{REGION}:{ACCOUNT}:finding/f1", "title": "CVE-2021-44228 - log4j-core",
         "description": "Apache Log4j2 JNDI features do not protect against attacker controlled LDAP endpoints.",
         "epss": {"score": 0.975},
         "packageVulnerabilityDetails": {
             "vulnerabilityId": "CVE-2021-44228", "source": "NVD", "referenceUrls": ["https://nvd.nist.gov/vuln/detail/CVE-2021-44228"],
             "cvss": [{"baseScore": 10.0, "scoringVector": "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:C/C:H/I:H/A:H",
                       "version": "3.1", "source": "NVD"}],
             "vulnerablePackages": [{"name": "log4j-core", "version": "2.14.1", "fixedInVersion": "2.15.0",
                                     "packageManager": "JAR", "epoch": 0}]},
         "resources": [{"type": "AWS_EC2_INSTANCE", "id": instance_id, "region": REGION, "partition": "aws"}]},
        {"awsAccountId": ACCOUNT, "type": "PACKAGE_VULNERABILITY", "severity": "HIGH", "status": "ACTIVE",
         "findingArn": f"arn:aws:inspector2:{REGION}:{ACCOUNT}:finding/f2", "title": "CVE-2023-38545 - curl",
         "packageVulnerabilityDetails": {
             "vulnerabilityId": "CVE-2023-38545", "source": "DEBIAN_CVE",
             "cvss": [{"baseScore": 9.8, "scoringVector": "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H",
                       "version": "3.1", "source": "NVD"}],
             "vulnerablePackages": [{"name": "curl", "version": "7.88.1", "release": "10+deb12u1",
                                     "fixedInVersion": "7.88.1-10+deb12u4", "packageManager": "OS"}]},
         "resources": [{"type": "AWS_ECR_CONTAINER_IMAGE", "region": REGION,
                        "id": f"arn:aws:ecr:{REGION}:{ACCOUNT}:repository/app/{image_digest}",
                        "details": {"awsEcrContainerImage": {"imageHash": image_digest, "repositoryName": "app",
                                                             "registry": ACCOUNT}}}]},
    ]


def _zip() -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as z:
        z.writestr("handler.py", "def handler(event, context):\n    return {'ok': True}\n")
    return buf.getvalue()


def internet_vpc(ec2) -> tuple[str, str, str, str, str]:
    """10.0.0.0/16 with a public subnet 10.0.1.0/24 (route table sending 0.0.0.0/0 to an attached
    internet gateway) and a private 10.0.2.0/24 left on the main route table, both in us-east-1a.
    Returns (vpc, public subnet, private subnet, internet gateway, public route table) ids."""
    vpc = ec2.create_vpc(CidrBlock="10.0.0.0/16")["Vpc"]["VpcId"]
    public = ec2.create_subnet(VpcId=vpc, CidrBlock="10.0.1.0/24", AvailabilityZone="us-east-1a")["Subnet"]["SubnetId"]
    private = ec2.create_subnet(VpcId=vpc, CidrBlock="10.0.2.0/24", AvailabilityZone="us-east-1a")["Subnet"]["SubnetId"]
    igw = ec2.create_internet_gateway()["InternetGateway"]["InternetGatewayId"]
    ec2.attach_internet_gateway(InternetGatewayId=igw, VpcId=vpc)
    rt = ec2.create_route_table(VpcId=vpc)["RouteTable"]["RouteTableId"]
    ec2.create_route(RouteTableId=rt, DestinationCidrBlock="0.0.0.0/0", GatewayId=igw)
    ec2.associate_route_table(RouteTableId=rt, SubnetId=public)
    return vpc, public, private, igw, rt


def build_estate(session: boto3.Session, moto_api: str = MOTO_API) -> dict:
    """Create the estate; returns the ids and names the tests assert on."""
    def c(service: str, region: str = REGION):
        return session.client(service, region_name=region)

    e: dict = {}
    iam, ec2 = c("iam"), c("ec2")
    # -- account and identity ----------------------------------------------------------------------
    iam.create_account_alias(AccountAlias="acme-prod")
    c("s3control").put_public_access_block(AccountId=ACCOUNT, PublicAccessBlockConfiguration={
        "BlockPublicAcls": True, "IgnorePublicAcls": False, "BlockPublicPolicy": False, "RestrictPublicBuckets": False})
    read = iam.create_policy(PolicyName="read-data", PolicyDocument=json.dumps(READ_DATA))["Policy"]["Arn"]
    boundary = iam.create_policy(PolicyName="boundary", PolicyDocument=json.dumps(BOUNDARY))["Policy"]["Arn"]
    iam.create_group(GroupName="devs")
    iam.attach_group_policy(GroupName="devs", PolicyArn=read)
    iam.create_user(UserName="alice", Tags=[{"Key": "team", "Value": "data"}])
    iam.add_user_to_group(GroupName="devs", UserName="alice")
    iam.create_login_profile(UserName="alice", Password=LOGIN_PASSWORD)
    e["access_key"] = iam.create_access_key(UserName="alice")["AccessKey"]
    iam.put_user_policy(UserName="alice", PolicyName="alice-inline", PolicyDocument=json.dumps(BOUNDARY))
    iam.create_user(UserName="bob")
    mfa = iam.create_virtual_mfa_device(VirtualMFADeviceName="bob-mfa")["VirtualMFADevice"]["SerialNumber"]
    iam.enable_mfa_device(UserName="bob", SerialNumber=mfa, AuthenticationCode1="123456", AuthenticationCode2="654321")
    e["app_role"] = iam.create_role(RoleName="app-role", AssumeRolePolicyDocument=json.dumps(TRUST_EC2),
                                    PermissionsBoundary=boundary)["Role"]["Arn"]
    iam.put_role_policy(RoleName="app-role", PolicyName="app-inline", PolicyDocument=json.dumps(READ_DATA))
    iam.attach_role_policy(RoleName="app-role", PolicyArn=read)
    e["profile"] = iam.create_instance_profile(InstanceProfileName="app-profile")["InstanceProfile"]["Arn"]
    iam.add_role_to_instance_profile(InstanceProfileName="app-profile", RoleName="app-role")
    e["lambda_role"] = iam.create_role(RoleName="lambda-role",
                                       AssumeRolePolicyDocument=json.dumps(TRUST_LAMBDA))["Role"]["Arn"]
    e["task_role"] = iam.create_role(RoleName="task-role", AssumeRolePolicyDocument=json.dumps(TRUST_ECS))["Role"]["Arn"]
    e.update(read_policy=read, boundary_policy=boundary)
    org = c("organizations")
    org.create_organization(FeatureSet="ALL")
    root = org.list_roots()["Roots"][0]["Id"]
    scp = org.create_policy(Name="deny-leave", Description="no leaving", Type="SERVICE_CONTROL_POLICY",
                            Content=json.dumps(DENY_LEAVE))["Policy"]["PolicySummary"]
    org.attach_policy(PolicyId=scp["Id"], TargetId=root)
    e["scp"] = scp["Arn"]

    # -- network -----------------------------------------------------------------------------------
    vpc, public, private, igw, rt = internet_vpc(ec2)
    ec2.create_tags(Resources=[vpc], Tags=[{"Key": "Name", "Value": "prod"}])
    public_b = ec2.create_subnet(VpcId=vpc, CidrBlock="10.0.3.0/24", AvailabilityZone="us-east-1b")["Subnet"]["SubnetId"]
    ec2.create_route(RouteTableId=rt, DestinationIpv6CidrBlock="::/0", GatewayId=igw)
    ec2.associate_route_table(RouteTableId=rt, SubnetId=public_b)
    nat_eip = ec2.allocate_address(Domain="vpc")["AllocationId"]
    nat = ec2.create_nat_gateway(SubnetId=public, AllocationId=nat_eip)["NatGateway"]["NatGatewayId"]
    private_rt = ec2.create_route_table(VpcId=vpc)["RouteTable"]["RouteTableId"]
    ec2.create_route(RouteTableId=private_rt, DestinationCidrBlock="0.0.0.0/0", NatGatewayId=nat)
    ec2.associate_route_table(RouteTableId=private_rt, SubnetId=private)
    peer_vpc = ec2.create_vpc(CidrBlock="10.1.0.0/16")["Vpc"]["VpcId"]
    pcx = ec2.create_vpc_peering_connection(VpcId=vpc, PeerVpcId=peer_vpc)["VpcPeeringConnection"]
    ec2.accept_vpc_peering_connection(VpcPeeringConnectionId=pcx["VpcPeeringConnectionId"])
    acl = ec2.create_network_acl(VpcId=vpc)["NetworkAcl"]["NetworkAclId"]
    ec2.create_network_acl_entry(NetworkAclId=acl, RuleNumber=100, Protocol="6", RuleAction="allow", Egress=False,
                                 CidrBlock="0.0.0.0/0", PortRange={"From": 443, "To": 443})
    ec2.create_network_acl_entry(NetworkAclId=acl, RuleNumber=200, Protocol="-1", RuleAction="deny", Egress=False,
                                 CidrBlock="10.9.0.0/16")
    ec2.replace_network_acl_association(
        AssociationId=next(a["NetworkAclAssociationId"] for a in ec2.describe_network_acls(
            Filters=[{"Name": "association.subnet-id", "Values": [private]}])["NetworkAcls"][0]["Associations"]
            if a["SubnetId"] == private), NetworkAclId=acl)
    app_sg = ec2.create_security_group(GroupName="app", Description="app tier", VpcId=vpc)["GroupId"]
    web_sg = ec2.create_security_group(GroupName="web", Description="web tier", VpcId=vpc)["GroupId"]
    ec2.authorize_security_group_ingress(GroupId=web_sg, IpPermissions=[
        {"IpProtocol": "tcp", "FromPort": 22, "ToPort": 22, "IpRanges": [{"CidrIp": "0.0.0.0/0"}]},
        {"IpProtocol": "tcp", "FromPort": 443, "ToPort": 443, "IpRanges": [{"CidrIp": "0.0.0.0/0"}],
         "Ipv6Ranges": [{"CidrIpv6": "::/0"}]},
    ])
    ec2.authorize_security_group_ingress(GroupId=app_sg, IpPermissions=[
        {"IpProtocol": "tcp", "FromPort": 8080, "ToPort": 8080, "UserIdGroupPairs": [{"GroupId": web_sg}]}])
    e.update(vpc=vpc, peer_vpc=peer_vpc, public_subnet=public, public_subnet_b=public_b, private_subnet=private, igw=igw,
             nat=nat, nat_eip=nat_eip, route_table=rt, private_route_table=private_rt, acl=acl, web_sg=web_sg,
             app_sg=app_sg, peering=pcx["VpcPeeringConnectionId"])

    # -- compute -----------------------------------------------------------------------------------
    web = ec2.run_instances(ImageId=AMI, MinCount=1, MaxCount=1, InstanceType="t3.micro", SubnetId=public,
                            SecurityGroupIds=[web_sg], IamInstanceProfile={"Arn": e["profile"]},
                            MetadataOptions={"HttpTokens": "optional", "HttpEndpoint": "enabled"},
                            TagSpecifications=[{"ResourceType": "instance", "Tags": [
                                {"Key": "Name", "Value": "web-1"}, {"Key": "criticality", "Value": "critical"}]}]
                            )["Instances"][0]
    worker = ec2.run_instances(ImageId=AMI, MinCount=1, MaxCount=1, InstanceType="t3.micro", SubnetId=private,
                               SecurityGroupIds=[app_sg], MetadataOptions={"HttpTokens": "required"},
                               TagSpecifications=[{"ResourceType": "instance", "Tags": [
                                   {"Key": "Name", "Value": "worker-1"}]}])["Instances"][0]
    eip = ec2.allocate_address(Domain="vpc")
    ec2.associate_address(AllocationId=eip["AllocationId"], InstanceId=web["InstanceId"])
    e.update(web=web["InstanceId"], worker=worker["InstanceId"], worker_ip=worker["PrivateIpAddress"],
             eip=eip["AllocationId"], eip_ip=eip["PublicIp"], web_eni=web["NetworkInterfaces"][0]["NetworkInterfaceId"])
    lam = c("lambda")
    fn = lam.create_function(FunctionName="api", Runtime="python3.12", Role=e["lambda_role"], Handler="handler.handler",
                             Code={"ZipFile": _zip()}, Tags={"env": "prod"},
                             VpcConfig={"SubnetIds": [private], "SecurityGroupIds": [app_sg]})
    lam.create_function_url_config(FunctionName="api", AuthType="NONE")
    e["function"] = fn["FunctionArn"]
    e["cluster"] = c("eks").create_cluster(name="prod-eks", roleArn=e["app_role"], resourcesVpcConfig={
        "subnetIds": [public, public_b], "securityGroupIds": [web_sg], "endpointPublicAccess": True,
        "endpointPrivateAccess": False, "publicAccessCidrs": ["0.0.0.0/0"]})["cluster"]["arn"]
    ecr = c("ecr")
    repo = ecr.create_repository(repositoryName="app", imageScanningConfiguration={"scanOnPush": True})["repository"]
    manifest = json.dumps({"schemaVersion": 2, "mediaType": "application/vnd.docker.distribution.manifest.v2+json",
                           "config": {"mediaType": "application/vnd.docker.container.image.v1+json", "size": 1,
                                      "digest": "sha256:" + "a" * 64}, "layers": []})
    image = ecr.put_image(repositoryName="app", imageManifest=manifest, imageTag="v1")["image"]
    e.update(repository=repo["repositoryArn"], repository_uri=repo["repositoryUri"], image_digest=image["imageId"]["imageDigest"])
    e["task_definition"] = c("ecs").register_task_definition(
        family="app", taskRoleArn=e["task_role"], networkMode="awsvpc", containerDefinitions=[
            {"name": "app", "image": f"{repo['repositoryUri']}:v1", "memory": 256},
            {"name": "proxy", "image": "nginx:1.25", "memory": 128}])["taskDefinition"]["taskDefinitionArn"]

    # -- load balancers ----------------------------------------------------------------------------
    elbv2 = c("elbv2")
    alb = elbv2.create_load_balancer(Name="web-alb", Subnets=[public, public_b], SecurityGroups=[web_sg],
                                     Scheme="internet-facing", Type="application")["LoadBalancers"][0]["LoadBalancerArn"]
    tg = elbv2.create_target_group(Name="web-tg", Protocol="HTTP", Port=8080, VpcId=vpc,
                                   TargetType="instance")["TargetGroups"][0]["TargetGroupArn"]
    elbv2.register_targets(TargetGroupArn=tg, Targets=[{"Id": web["InstanceId"], "Port": 8080}])
    elbv2.create_listener(LoadBalancerArn=alb, Protocol="HTTP", Port=80,
                          DefaultActions=[{"Type": "forward", "TargetGroupArn": tg}])
    ip_tg = elbv2.create_target_group(Name="worker-ip", Protocol="HTTP", Port=9000, VpcId=vpc,
                                      TargetType="ip")["TargetGroups"][0]["TargetGroupArn"]
    elbv2.register_targets(TargetGroupArn=ip_tg, Targets=[{"Id": worker["PrivateIpAddress"], "Port": 9000}])
    elbv2.create_listener(LoadBalancerArn=alb, Protocol="HTTP", Port=8000,
                          DefaultActions=[{"Type": "forward", "TargetGroupArn": ip_tg}])
    elb = c("elb")
    elb.create_load_balancer(LoadBalancerName="legacy", Listeners=[
        {"Protocol": "TCP", "LoadBalancerPort": 22, "InstancePort": 22}], Subnets=[public], SecurityGroups=[web_sg],
        Scheme="internet-facing")
    elb.register_instances_with_load_balancer(LoadBalancerName="legacy", Instances=[{"InstanceId": worker["InstanceId"]}])
    e.update(alb=alb, classic_elb=f"arn:aws:elasticloadbalancing:{REGION}:{ACCOUNT}:loadbalancer/legacy")

    # -- data --------------------------------------------------------------------------------------
    kms = c("kms")
    key = kms.create_key(Description="data key", Tags=[{"TagKey": "owner", "TagValue": "sec"}])["KeyMetadata"]
    kms.create_alias(AliasName="alias/data", TargetKeyId=key["KeyId"])
    e["key"] = key["Arn"]
    s3 = c("s3")
    s3.create_bucket(Bucket="crown-data")
    s3.create_bucket(Bucket="crown-replica")
    s3.create_bucket(Bucket="eu-logs", CreateBucketConfiguration={"LocationConstraint": OTHER_REGION})
    s3.put_bucket_tagging(Bucket="crown-data", Tagging={"TagSet": [
        {"Key": "criticality", "Value": "high"}, {"Key": "data-classification", "Value": "pci, phi"}]})
    s3.put_bucket_policy(Bucket="crown-data", Policy=json.dumps({"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Principal": "*", "Action": "s3:GetObject", "Resource": "arn:aws:s3:::crown-data/*"}]}))
    s3.put_public_access_block(Bucket="crown-data", PublicAccessBlockConfiguration={
        "BlockPublicAcls": False, "IgnorePublicAcls": False, "BlockPublicPolicy": False, "RestrictPublicBuckets": False})
    s3.put_bucket_encryption(Bucket="crown-data", ServerSideEncryptionConfiguration={"Rules": [
        {"ApplyServerSideEncryptionByDefault": {"SSEAlgorithm": "aws:kms", "KMSMasterKeyID": key["Arn"]}}]})
    for bucket in ("crown-data", "crown-replica"):
        s3.put_bucket_versioning(Bucket=bucket, VersioningConfiguration={"Status": "Enabled"})
    s3.put_bucket_replication(Bucket="crown-data", ReplicationConfiguration={"Role": e["app_role"], "Rules": [
        {"ID": "to-replica", "Status": "Enabled", "Priority": 1, "Filter": {"Prefix": ""},
         "DeleteMarkerReplication": {"Status": "Disabled"},
         "Destination": {"Bucket": "arn:aws:s3:::crown-replica"}}]})
    s3.put_bucket_acl(Bucket="eu-logs", ACL="public-read")
    rds = c("rds")
    rds.create_db_subnet_group(DBSubnetGroupName="db-subnets", DBSubnetGroupDescription="db",
                               SubnetIds=[private, public])
    db = rds.create_db_instance(DBInstanceIdentifier="orders", Engine="postgres", DBInstanceClass="db.t3.micro",
                                MasterUsername="admin", MasterUserPassword="db-Pa55word-never", AllocatedStorage=20,
                                PubliclyAccessible=True, VpcSecurityGroupIds=[app_sg], DBSubnetGroupName="db-subnets",
                                EnableIAMDatabaseAuthentication=True, Port=5432,
                                Tags=[{"Key": "data-classification", "Value": "pii"}])["DBInstance"]
    snap = rds.create_db_snapshot(DBSnapshotIdentifier="orders-snap", DBInstanceIdentifier="orders")["DBSnapshot"]
    rds.modify_db_snapshot_attribute(DBSnapshotIdentifier="orders-snap", AttributeName="restore", ValuesToAdd=["all"])
    cluster = rds.create_db_cluster(DBClusterIdentifier="analytics", Engine="aurora-postgresql",
                                    MasterUsername="admin", MasterUserPassword="db-Pa55word-never",
                                    VpcSecurityGroupIds=[app_sg])["DBCluster"]
    rds.create_db_instance(DBInstanceIdentifier="analytics-1", Engine="aurora-postgresql",
                           DBInstanceClass="db.t3.medium", DBClusterIdentifier="analytics")
    e.update(db=db["DBInstanceArn"], snapshot=snap["DBSnapshotArn"], db_cluster=cluster["DBClusterArn"],
             cluster_member=f"arn:aws:rds:{REGION}:{ACCOUNT}:db:analytics-1")
    e["table"] = c("dynamodb").create_table(
        TableName="customers", KeySchema=[{"AttributeName": "id", "KeyType": "HASH"}],
        AttributeDefinitions=[{"AttributeName": "id", "AttributeType": "S"}], BillingMode="PAY_PER_REQUEST",
        Tags=[{"Key": "sensitivity", "Value": "pii"}])["TableDescription"]["TableArn"]
    sm = c("secretsmanager")
    e["secret"] = sm.create_secret(Name="prod/db", SecretString=SECRET_VALUE, KmsKeyId=key["Arn"],
                                   Tags=[{"Key": "data-classification", "Value": "secrets"}])["ARN"]
    sm.put_resource_policy(SecretId="prod/db", ResourcePolicy=json.dumps({"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Principal": {"AWS": e["app_role"]}, "Action": "secretsmanager:GetSecretValue",
         "Resource": "*"}]}))

    # -- the second region -------------------------------------------------------------------------
    eu = c("ec2", OTHER_REGION)
    eu_vpc = eu.create_vpc(CidrBlock="10.20.0.0/16")["Vpc"]["VpcId"]
    eu_subnet = eu.create_subnet(VpcId=eu_vpc, CidrBlock="10.20.1.0/24")["Subnet"]["SubnetId"]
    e["eu_instance"] = eu.run_instances(ImageId=AMI, MinCount=1, MaxCount=1, SubnetId=eu_subnet)["Instances"][0]["InstanceId"]
    e.update(eu_vpc=eu_vpc, eu_subnet=eu_subnet)

    # -- security signals --------------------------------------------------------------------------
    requests.post(f"{moto_api}/moto-api/static/inspector2/findings-results", timeout=10, json={
        "results": [inspector_findings(web["InstanceId"], e["image_digest"])], "account_id": ACCOUNT, "region": REGION})
    return e
