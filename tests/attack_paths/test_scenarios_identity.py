"""Attack paths that start from an assumed-breach identity (an IAM user with an active access key or a
console password) or from a principal outside the account that a trust or resource policy admits, built through real IAM, STS-trust, Lambda, ECS, RDS, KMS, Secrets Manager and S3
calls in moto: one estate holds every scenario and its twin decoy side by side, each decoy differing
in the one fact that breaks the path."""

from __future__ import annotations

import json

import pytest

from tests.attack_paths.scenario import (
    allow,
    assert_finding,
    assert_no_finding,
    aws_estate,
    chain,
    chain_types,
    deny,
    doc,
    service_trust,
    tags,
    trust,
)

REGION = "eu-west-1"


def build(session) -> dict:
    iam, s3 = session.client("iam"), session.client("s3")
    account = session.client("sts").get_caller_identity()["Account"]
    ids: dict = {}
    admin = doc(allow("*"))

    def user(name, key="Active", password=False, boundary=None):
        ids[name] = iam.create_user(UserName=name, **({"PermissionsBoundary": boundary} if boundary else {}))["User"]["Arn"]
        if key:
            key_id = iam.create_access_key(UserName=name)["AccessKey"]["AccessKeyId"]
            if key == "Inactive":
                iam.update_access_key(UserName=name, AccessKeyId=key_id, Status="Inactive")
        if password:
            iam.create_login_profile(UserName=name, Password="Not-a-real-Pa55word")
        return ids[name]

    def inline(kind, name, policy):
        getattr(iam, f"put_{kind}_policy")(**{f"{kind.capitalize()}Name": name, "PolicyName": f"{name}-inline",
                                              "PolicyDocument": policy})

    def role(name, trust_doc, policy=None):
        ids[name] = iam.create_role(RoleName=name, AssumeRolePolicyDocument=trust_doc)["Role"]["Arn"]
        if policy:
            inline("role", name, policy)
        return ids[name]

    def bucket(name, classification):
        s3.create_bucket(Bucket=name, CreateBucketConfiguration={"LocationConstraint": REGION})
        s3.put_bucket_tagging(Bucket=name, Tagging={"TagSet": tags(data_classification=classification)})
        ids[name] = f"arn:aws:s3:::{name}"
        return ids[name]

    # leaked keys -> assume deployer -> PassRole + Lambda CreateFunction/InvokeFunction -> an admin role
    user("ci-bot")
    user("ci-bot-old", key="Inactive")                      # decoy: its only key is inactive
    role("deployer", trust({"AWS": [ids["ci-bot"], ids["ci-bot-old"]]}), doc(
        allow(["lambda:CreateFunction", "lambda:InvokeFunction"]),
        allow("iam:PassRole", f"arn:aws:iam::{account}:role/lambda-*")))
    role("lambda-admin", service_trust("lambda.amazonaws.com"), admin)
    for name in ("ci-bot", "ci-bot-old"):
        inline("user", name, doc(allow("sts:AssumeRole", ids["deployer"])))
    # decoy: the same deployer permissions under a permission boundary that leaves out iam:PassRole
    cap = iam.create_policy(PolicyName="deploy-boundary", PolicyDocument=doc(allow("lambda:*")))["Policy"]["Arn"]
    user("ci-bot-capped")
    ids["deployer-capped"] = iam.create_role(
        RoleName="deployer-capped", AssumeRolePolicyDocument=trust({"AWS": ids["ci-bot-capped"]}),
        PermissionsBoundary=cap)["Role"]["Arn"]
    inline("role", "deployer-capped", doc(allow(["lambda:CreateFunction", "lambda:InvokeFunction"]),
                                          allow("iam:PassRole", f"arn:aws:iam::{account}:role/lambda-*")))
    inline("user", "ci-bot-capped", doc(allow("sts:AssumeRole", ids["deployer-capped"])))

    # CreatePolicyVersion on one's own managed policy; the decoy's grant holds only for another user name
    for name, condition in (("dev", {}), ("dev-b", {"Condition": {"StringEquals": {"aws:username": "release-bot"}}})):
        user(name)
        pol = iam.create_policy(PolicyName=f"{name}-self", PolicyDocument=doc(
            allow(["iam:CreatePolicyVersion", "iam:GetPolicy"], f"arn:aws:iam::{account}:policy/{name}-self", **condition)))
        iam.attach_user_policy(UserName=name, PolicyArn=pol["Policy"]["Arn"])

    # AddUserToGroup into an admin group; the decoy's grant asks for a tag the user does not carry
    iam.create_group(GroupName="admins")
    inline("group", "admins", admin)
    ids["admins"] = f"arn:aws:iam::{account}:group/admins"
    user("helpdesk")
    inline("user", "helpdesk", doc(allow("iam:AddUserToGroup", ids["admins"])))
    user("helpdesk-b")
    inline("user", "helpdesk-b", doc(allow("iam:AddUserToGroup", ids["admins"],
                                           Condition={"StringEquals": {"aws:PrincipalTag/duty": "lead"}})))

    # a console user -> assume audit-a -> assume audit-b -> a secret; audit-b2's trust asks audit-a for a tag
    sm = session.client("secretsmanager")
    for name in ("prod/db-creds", "prod/db-creds-2"):
        ids[name] = sm.create_secret(Name=name, SecretString="not-a-real-secret")["ARN"]
    user("auditor", key=None, password=True)
    role("audit-a", trust({"AWS": ids["auditor"]}), doc(allow("sts:AssumeRole", "*")))
    inline("user", "auditor", doc(allow("sts:AssumeRole", ids["audit-a"])))
    role("audit-b", trust({"AWS": ids["audit-a"]}), doc(allow("secretsmanager:GetSecretValue", ids["prod/db-creds"])))
    role("audit-b2", trust({"AWS": ids["audit-a"]}, Condition={"StringEquals": {"aws:PrincipalTag/clearance": "secret"}}),
         doc(allow("secretsmanager:GetSecretValue", ids["prod/db-creds-2"])))

    # group membership -> the group's policy lets its members assume a role -> a pii bucket; the decoy
    # member also holds a Deny on everything but IAM
    bucket("pii-analyst", "pii")
    role("analyst-role", trust({"AWS": f"arn:aws:iam::{account}:root"}),
         doc(allow(["s3:GetObject", "s3:ListBucket"], [ids["pii-analyst"], f"{ids['pii-analyst']}/*"])))
    iam.create_group(GroupName="analysts")
    inline("group", "analysts", doc(allow("sts:AssumeRole", ids["analyst-role"])))
    for name in ("analyst", "analyst-b"):
        user(name)
        iam.add_user_to_group(GroupName="analysts", UserName=name)
    inline("user", "analyst-b", doc({"Effect": "Deny", "NotAction": "iam:*", "Resource": "*"}))

    # KMS through a role: the default key policy delegates to IAM; the decoy key's policy admits only its
    # own admin role
    kms = session.client("kms")
    role("vault-admin", trust({"AWS": f"arn:aws:iam::{account}:root"}))
    ids["payments-key"] = kms.create_key(Description="payments", Tags=[
        {"TagKey": "data-classification", "TagValue": "pci"}])["KeyMetadata"]["Arn"]
    ids["vault-key"] = kms.create_key(Description="vault", Policy=doc(
        {"Effect": "Allow", "Principal": {"AWS": ids["vault-admin"]}, "Action": "kms:*", "Resource": "*"}), Tags=[
        {"TagKey": "data-classification", "TagValue": "pci"}])["KeyMetadata"]["Arn"]
    user("crypto")
    role("crypto-role", trust({"AWS": ids["crypto"]}), doc(allow(["kms:Decrypt", "kms:DescribeKey"])))
    inline("user", "crypto", doc(allow("sts:AssumeRole", ids["crypto-role"])))

    # ECS Exec into a running task -> its task role -> a pci bucket; the decoy holds an explicit deny
    bucket("cards-ecs", "pci")
    role("task-role", service_trust("ecs-tasks.amazonaws.com"),
         doc(allow("s3:GetObject", f"{ids['cards-ecs']}/*")))
    ecs = session.client("ecs")
    ec2 = session.client("ec2")
    cluster = ecs.create_cluster(clusterName="payments")["cluster"]["clusterArn"]
    ecs.register_task_definition(family="payments-api", taskRoleArn=ids["task-role"], networkMode="bridge",
                                 containerDefinitions=[{"name": "api", "image": "nginx:1.25", "memory": 128}])
    vpc = ec2.create_vpc(CidrBlock="10.9.0.0/16")["Vpc"]["VpcId"]
    sub = ec2.create_subnet(VpcId=vpc, CidrBlock="10.9.1.0/24")["Subnet"]["SubnetId"]
    host = ec2.run_instances(ImageId="ami-03cf127a", MinCount=1, MaxCount=1, SubnetId=sub,
                             MetadataOptions={"HttpTokens": "required"})["Instances"][0]
    identity = json.dumps({"availabilityZone": host["Placement"]["AvailabilityZone"], "region": REGION,
                           "instanceId": host["InstanceId"], "instanceType": host["InstanceType"],
                           "privateIp": host["PrivateIpAddress"], "imageId": host["ImageId"], "accountId": account,
                           "architecture": "x86_64", "version": "2017-09-30"})
    ecs.register_container_instance(cluster="payments", instanceIdentityDocument=identity)
    ids["task"] = ecs.run_task(cluster="payments", taskDefinition="payments-api", count=1,
                               enableExecuteCommand=True)["tasks"][0]["taskArn"]
    ids["cluster"] = cluster
    for name in ("ops", "ops-b"):
        user(name)
        inline("user", name, doc(allow(["ecs:ExecuteCommand", "ecs:DescribeTasks"])))
    iam.put_user_policy(UserName="ops-b", PolicyName="no-exec", PolicyDocument=doc(deny("ecs:ExecuteCommand")))

    # RDS: restore the snapshot into a new instance and reset its master password
    rds = session.client("rds")
    rds.create_db_instance(DBInstanceIdentifier="orders", Engine="postgres", DBInstanceClass="db.t3.micro",
                           MasterUsername="app", MasterUserPassword="not-a-real-password-1", AllocatedStorage=20)
    ids["orders-snap"] = rds.create_db_snapshot(DBSnapshotIdentifier="orders-snap", DBInstanceIdentifier="orders",
                                                )["DBSnapshot"]["DBSnapshotArn"]
    for name, statements in (
            ("dba", [allow(["rds:RestoreDBInstanceFromDBSnapshot", "rds:ModifyDBInstance", "rds:DescribeDBSnapshots"])]),
            # decoy: may restore, but never set the new instance's password
            ("dba-b", [allow(["rds:RestoreDBInstanceFromDBSnapshot", "rds:DescribeDBSnapshots"]),
                       deny("rds:ModifyDBInstance")])):
        user(name)
        role(f"{name}-role", trust({"AWS": ids[name]}), doc(*statements))
        inline("user", name, doc(allow("sts:AssumeRole", ids[f"{name}-role"])))

    external_principals(session, ids, role, bucket, account)
    return ids


VENDOR, PARTNER = "999988887777", "444455556666"   # accounts outside the graph
GITHUB = "token.actions.githubusercontent.com"


def external_principals(session, ids, role, bucket, account):
    """Principals outside the account: a vendor account trusted without an sts:ExternalId (the decoy asks
    for one), any AWS account trusted (the decoy only one named by a condition), GitHub Actions tokens
    trusted for any repository (the decoy names one), a partner account named by a bucket policy (the
    decoy's policy names this account instead)."""
    iam, s3, sm = session.client("iam"), session.client("s3"), session.client("secretsmanager")
    s3_read = ["s3:GetObject", "s3:ListBucket"]
    for suffix, condition in (("", {}), ("-b", {"Condition": {"StringEquals": {"sts:ExternalId": "f00d-1234"}}})):
        bucket(f"vendor-exports{suffix}", "pci")
        role(f"vendor-audit{suffix}", trust({"AWS": f"arn:aws:iam::{VENDOR}:root"}, **condition),
             doc(allow(s3_read, [ids[f"vendor-exports{suffix}"], f"{ids[f'vendor-exports{suffix}']}/*"])))
    for suffix, condition in (("", {}), ("-b", {"Condition": {"StringEquals": {"aws:PrincipalAccount": "111122223333"}}})):
        name = f"board-minutes{suffix}"
        s3.create_bucket(Bucket=name, CreateBucketConfiguration={"LocationConstraint": REGION})
        s3.put_bucket_tagging(Bucket=name, Tagging={"TagSet": tags(criticality="critical")})
        ids[name] = f"arn:aws:s3:::{name}"
        role(f"open-role{suffix}", trust({"AWS": "*"}, **condition), doc(allow(s3_read, [ids[name], f"{ids[name]}/*"])))
    provider = iam.create_open_id_connect_provider(Url=f"https://{GITHUB}", ClientIDList=["sts.amazonaws.com"],
                                                   ThumbprintList=["a" * 40])["OpenIDConnectProviderArn"]
    ids["github"] = provider
    for suffix, subject in (("", {}), ("-b", {f"{GITHUB}:sub": "repo:acme/deploy:ref:refs/heads/main"})):
        ids[f"deploy-token{suffix}"] = sm.create_secret(Name=f"ci/deploy-token{suffix}",
                                                        SecretString="not-a-real-token")["ARN"]
        role(f"gha-deploy{suffix}", json.dumps({"Version": "2012-10-17", "Statement": [{
                 "Effect": "Allow", "Principal": {"Federated": provider},
                 "Action": "sts:AssumeRoleWithWebIdentity",
                 "Condition": {"StringEquals": {f"{GITHUB}:aud": "sts.amazonaws.com", **subject}}}]}),
             doc(allow("secretsmanager:GetSecretValue", ids[f"deploy-token{suffix}"])))
    for suffix, grantee in (("", PARTNER), ("-b", account)):
        name = f"partner-share{suffix}"
        bucket(name, "pii")
        s3.put_bucket_policy(Bucket=name, Policy=doc({"Effect": "Allow", "Principal": {"AWS": f"arn:aws:iam::{grantee}:root"},
                                                      "Action": "s3:GetObject", "Resource": f"{ids[name]}/*"}))
    ids["vendor"] = f"external:arn:aws:iam::{VENDOR}:root"
    ids["partner"] = f"external:arn:aws:iam::{PARTNER}:root"
    ids["anyone"] = "external:*"
    ids["github-users"] = f"external:{provider}"


def classify_snapshot(tmp):
    """moto answers DescribeDBSnapshots without the snapshot's tags: its data is declared in a
    classification file, the other way sensitive data reaches the graph."""
    def load(graph, ids):
        from cloudmap.loaders.classification.file import load_classification

        path = tmp / "classification.yaml"
        path.write_text("version: 1\ndata:\n  - match: {name: orders-snap, label: Snapshot}\n"
                        "    stores:\n      - {name: customer-records, category: pii}\n")
        summary = load_classification(graph, path)
        assert summary.ok, summary
    return load


@pytest.fixture(scope="module")
def estate(_session_graph, tmp_path_factory):
    graph = _session_graph
    return graph, aws_estate(graph, REGION, build, after_load=classify_snapshot(tmp_path_factory.mktemp("classes")))


def key_status(graph, user):
    return [r["s"] for r in graph.read("MATCH ({id: $u})-[:HAS_KEY]->(k) RETURN k.status AS s", u=user)]


def test_leaked_keys_assume_role_pass_role_to_lambda_reach_admin(estate):
    graph, ids = estate
    assert chain_types(graph, ids["ci-bot"], ids["account"]) == ["CAN_ASSUME", "CAN_ESCALATE_TO", "CAN_ACCESS"]
    method = graph.read("MATCH ({id: $d})-[e:CAN_ESCALATE_TO]->({id: $r}) RETURN e.method AS m",
                        d=ids["deployer"], r=ids["lambda-admin"])
    assert [r["m"] for r in method] == ["iam:PassRole+lambda:CreateFunction+InvokeFunction"]
    assert key_status(graph, ids["ci-bot"]) == ["Active"]
    assert key_status(graph, ids["ci-bot-old"]) == ["Inactive"]    # decoy: the same chain, no usable credential
    assert chain(graph, ids["ci-bot-capped"], ids["account"]) is None   # decoy: the boundary leaves out PassRole


def test_create_policy_version_on_own_policy_reaches_admin(estate):
    graph, ids = estate
    assert chain_types(graph, ids["dev"], ids["account"]) == ["CAN_ESCALATE_TO"]
    assert chain(graph, ids["dev-b"], ids["account"]) is None


def test_add_user_to_admin_group_reaches_admin(estate):
    graph, ids = estate
    assert chain_types(graph, ids["helpdesk"], ids["account"]) == ["CAN_ESCALATE_TO", "CAN_ACCESS"]
    assert chain(graph, ids["helpdesk-b"], ids["account"]) is None


def test_console_user_chains_two_roles_to_secret(estate):
    graph, ids = estate
    assert chain_types(graph, ids["auditor"], ids["prod/db-creds"]) == ["CAN_ASSUME", "CAN_ASSUME", "CAN_ACCESS"]
    assert chain(graph, ids["auditor"], ids["prod/db-creds-2"]) is None


def test_group_membership_reads_pii_bucket(estate):
    graph, ids = estate
    assert chain_types(graph, ids["analyst"], ids["pii-analyst"]) == ["CAN_ASSUME", "CAN_ACCESS"]
    assert chain(graph, ids["analyst-b"], ids["pii-analyst"]) is None


def test_key_policy_decides_kms_access(estate):
    graph, ids = estate
    assert chain_types(graph, ids["crypto"], ids["payments-key"]) == ["CAN_ASSUME", "CAN_ACCESS"]
    assert chain(graph, ids["crypto"], ids["vault-key"]) is None


def test_ecs_exec_into_task_uses_its_role_to_read_data(estate):
    graph, ids = estate
    assert chain_types(graph, ids["ops"], ids["cards-ecs"]) == ["CAN_ESCALATE_TO", "CAN_ACCESS"]
    assert chain(graph, ids["ops-b"], ids["cards-ecs"]) is None


def test_snapshot_restore_and_password_reset_reads_snapshot_data(estate):
    graph, ids = estate
    assert graph.read("MATCH ({id: $s})-[:STORES]->(t) RETURN t.category AS c", s=ids["orders-snap"]) == [{"c": "pii"}]
    assert chain_types(graph, ids["dba"], ids["orders-snap"]) == ["CAN_ASSUME", "CAN_ACCESS"]
    assert chain(graph, ids["dba-b"], ids["orders-snap"]) is None


def test_external_principals_are_the_ones_outside_the_account(estate):
    graph, ids = estate
    rows = graph.read("MATCH (x:ExternalPrincipal) RETURN x.id AS id, x.principal_type AS type, "
                      "x.external_account AS account ORDER BY id")
    assert rows == [{"id": ids["anyone"], "type": "anyone", "account": "*"},
                    {"id": ids["github-users"], "type": "federated", "account": None},
                    {"id": ids["partner"], "type": "account", "account": PARTNER},
                    {"id": ids["vendor"], "type": "account", "account": VENDOR}]   # never this account's root
    conditional = graph.read("MATCH (x:ExternalPrincipal)-[r:CAN_ASSUME]->(role) RETURN x.id AS x, role.id AS role, "
                             "r.conditional AS conditional ORDER BY role")
    assert {(r["x"], r["role"]): r["conditional"] for r in conditional} == {
        (ids["github-users"], ids["gha-deploy"]): False, (ids["github-users"], ids["gha-deploy-b"]): True,
        (ids["anyone"], ids["open-role"]): False, (ids["anyone"], ids["open-role-b"]): True,
        (ids["vendor"], ids["vendor-audit"]): False, (ids["vendor"], ids["vendor-audit-b"]): True}
    assert chain_types(graph, ids["partner"], ids["partner-share"]) == ["CAN_ACCESS"]
    assert chain(graph, ids["partner"], ids["partner-share-b"]) is None


# -- the analysis reports each chain once, at its level; its decoys get none ------------------------

# (entry, target, level, hops, [decoy (entry, target)])
FINDINGS = {
    "passrole-lambda-admin": ("ci-bot", "account", "high", 3, [("ci-bot-old", "account"), ("ci-bot-capped", "account")]),
    "create-policy-version": ("dev", "account", "high", 1, [("dev-b", "account")]),
    "add-user-to-admin-group": ("helpdesk", "account", "high", 2, [("helpdesk-b", "account")]),
    # assumed breach reaching data or a secret: medium (docs/scoring.md)
    "two-role-chain-secret": ("auditor", "prod/db-creds", "medium", 3, [("auditor", "prod/db-creds-2")]),
    "group-policy-data": ("analyst", "pii-analyst", "medium", 2, [("analyst-b", "pii-analyst")]),
    "kms-key-policy": ("crypto", "payments-key", "medium", 2, [("crypto", "vault-key")]),
    "ecs-exec-task-role": ("ops", "cards-ecs", "medium", 2, [("ops-b", "cards-ecs")]),
    "snapshot-restore": ("dba", "orders-snap", "medium", 2, [("dba-b", "orders-snap")]),
    # principals outside the account (CM-PATH-005): another account as an assumed breach; an open trust
    # (any account, any GitHub repository) as a weakness of an exposed entry
    "vendor-without-external-id": ("vendor", "vendor-exports", "medium", 2, [("vendor", "vendor-exports-b")]),
    "any-account-trust": ("anyone", "board-minutes", "critical", 2, [("anyone", "board-minutes-b")]),
    "github-any-repository": ("github-users", "deploy-token", "high", 2, [("github-users", "deploy-token-b")]),
    "partner-bucket-policy": ("partner", "partner-share", "medium", 1, []),
}


@pytest.mark.parametrize("scenario", list(FINDINGS))
def test_finding(estate, scenario):
    graph, ids = estate
    entry, target, level, hops, decoys = FINDINGS[scenario]
    assert_finding(graph, ids[entry], ids[target], level, hops)
    for d_entry, d_target in decoys:
        assert_no_finding(graph, ids[d_entry], ids[d_target])
