"""Data stores: S3 buckets (global scope), and per region RDS instances, clusters and snapshots,
DynamoDB tables, Secrets Manager secrets (metadata only, never values), KMS keys."""

from __future__ import annotations

from cloudmap.loaders.aws.account import public_access_block
from cloudmap.loaders.aws.context import Ctx, Out, optional, pages, tag_dict
from cloudmap.loaders.aws.iam import document

from cloudmap.graph.kinds import aws as k


def kms_key_arn(ctx: Ctx, key: str | None, region: str | None = None) -> str | None:
    """A KMS key reference (ARN, key id; not an alias) as the key's ARN."""
    if not key or "alias/" in key:
        return None
    return key if key.startswith("arn:") else ctx.arn("kms", f"key/{key}", region)


# -- S3 --------------------------------------------------------------------------------------------

S3_OPTIONAL = {
    "policy": ("get_bucket_policy", ("NoSuchBucketPolicy",)),
    "acl": ("get_bucket_acl", ()),
    "public_access_block": ("get_public_access_block", ("NoSuchPublicAccessBlockConfiguration",)),
    "encryption": ("get_bucket_encryption", ("ServerSideEncryptionConfigurationNotFoundError",)),
    "replication": ("get_bucket_replication", ("ReplicationConfigurationNotFoundError",)),
    "versioning": ("get_bucket_versioning", ()),
    "tagging": ("get_bucket_tagging", ("NoSuchTagSet", "NoSuchTagSetError")),
}


def fetch_s3(ctx: Ctx) -> dict:
    s3 = ctx.client("s3")
    buckets = s3.list_buckets().get("Buckets", [])

    def settings(bucket: dict) -> None:
        name = bucket["Name"]
        location = s3.get_bucket_location(Bucket=name).get("LocationConstraint")
        bucket["_region"] = {None: "us-east-1", "": "us-east-1", "EU": "eu-west-1"}.get(location, location)
        for key, (operation, missing) in S3_OPTIONAL.items():
            bucket[f"_{key}"] = optional(getattr(s3, operation), *missing, Bucket=name) or {}
    ctx.map(settings, buckets)
    return {"buckets": buckets}


def transform_s3(raw: dict, ctx: Ctx) -> Out:
    out = Out(ctx)
    for b in raw["buckets"]:
        arn = f"arn:{ctx.partition}:s3:::{b['Name']}"
        sse = next(iter((b["_encryption"].get("ServerSideEncryptionConfiguration") or {}).get("Rules", [])), {})
        sse = sse.get("ApplyServerSideEncryptionByDefault") or {}
        key_arn = kms_key_arn(ctx, sse.get("KMSMasterKeyID"), b["_region"])
        out.asset(k.BUCKET, arn, b["Name"], tag_dict(b["_tagging"].get("TagSet")), region=b["_region"],
                  resource_policy=document(b["_policy"].get("Policy")), acl_grants=b["_acl"].get("Grants", []),
                  **public_access_block(b["_public_access_block"].get("PublicAccessBlockConfiguration", {})),
                  encryption=sse.get("SSEAlgorithm", "none"), kms_key_id=sse.get("KMSMasterKeyID"),
                  versioning=b["_versioning"].get("Status", "Disabled"), creation_date=b.get("CreationDate"))
        out.rel(k.ENCRYPTED_WITH, arn, key_arn)
        for rule in (b["_replication"].get("ReplicationConfiguration") or {}).get("Rules", []):
            if rule.get("Status", "Enabled") == "Enabled":
                out.rel(k.REPLICATES_TO, arn, (rule.get("Destination") or {}).get("Bucket"), rule_id=rule.get("ID"))
    return out


# -- RDS -------------------------------------------------------------------------------------------

def fetch_rds(ctx: Ctx) -> dict:
    rds = ctx.client("rds")
    raw = {"instances": pages(rds, "describe_db_instances", "DBInstances"),
           "clusters": pages(rds, "describe_db_clusters", "DBClusters"),
           "snapshots": pages(rds, "describe_db_snapshots", "DBSnapshots"),
           "cluster_snapshots": pages(rds, "describe_db_cluster_snapshots", "DBClusterSnapshots")}
    for snap in raw["snapshots"]:
        if snap.get("SnapshotType") == "manual":  # only manual snapshots can be shared
            attrs = rds.describe_db_snapshot_attributes(DBSnapshotIdentifier=snap["DBSnapshotIdentifier"])
            snap["_attributes"] = attrs["DBSnapshotAttributesResult"].get("DBSnapshotAttributes", [])
    for snap in raw["cluster_snapshots"]:
        if snap.get("SnapshotType") == "manual":
            attrs = rds.describe_db_cluster_snapshot_attributes(
                DBClusterSnapshotIdentifier=snap["DBClusterSnapshotIdentifier"])
            snap["_attributes"] = attrs["DBClusterSnapshotAttributesResult"].get("DBClusterSnapshotAttributes", [])
    return raw


def _db_common(ctx: Ctx, db: dict) -> dict:
    return {"engine": db.get("Engine"), "engine_version": db.get("EngineVersion"),
            # the master user's password always works on RDS; IAM auth comes on top of it
            "password_auth": True, "iam_auth": bool(db.get("IAMDatabaseAuthenticationEnabled")),
            "storage_encrypted": bool(db.get("StorageEncrypted")), "kms_key_id": db.get("KmsKeyId"),
            "publicly_accessible": bool(db.get("PubliclyAccessible"))}


def _restore_with(snap: dict) -> list[str]:
    return next((a.get("AttributeValues", []) for a in snap.get("_attributes", []) if a["AttributeName"] == "restore"), [])


def transform_rds(raw: dict, ctx: Ctx) -> Out:
    out = Out(ctx)
    for db in raw["clusters"]:
        arn = db["DBClusterArn"]
        out.asset(k.RDS_CLUSTER, arn, db["DBClusterIdentifier"], tag_dict(db.get("TagList")), **_db_common(ctx, db),
                  port=db.get("Port"), endpoint=db.get("Endpoint"), status=db.get("Status"),
                  subnet_group=db.get("DBSubnetGroup"))
        out.placed(arn, security_groups=[sg.get("VpcSecurityGroupId") for sg in db.get("VpcSecurityGroups", [])])
        out.rel(k.ENCRYPTED_WITH, arn, kms_key_arn(ctx, db.get("KmsKeyId")))
    for db in raw["instances"]:
        arn = db["DBInstanceArn"]
        endpoint = db.get("Endpoint") or {}
        group = db.get("DBSubnetGroup") or {}
        out.asset(k.RDS_INSTANCE, arn, db["DBInstanceIdentifier"], tag_dict(db.get("TagList")), **_db_common(ctx, db),
                  port=endpoint.get("Port") or db.get("DbInstancePort"), endpoint=endpoint.get("Address"),
                  status=db.get("DBInstanceStatus"), subnet_group=group.get("DBSubnetGroupName"))
        out.placed(arn, [s.get("SubnetIdentifier") for s in group.get("Subnets", [])],
                   [sg.get("VpcSecurityGroupId") for sg in db.get("VpcSecurityGroups", [])])
        if db.get("DBClusterIdentifier"):
            out.rel(k.CLUSTER_CONTAINS_DB, ctx.arn("rds", f"cluster:{db['DBClusterIdentifier']}"), arn)
        out.rel(k.ENCRYPTED_WITH, arn, kms_key_arn(ctx, db.get("KmsKeyId")))
    for snaps, arn_key, id_key, of_key, of_kind in (
            (raw["snapshots"], "DBSnapshotArn", "DBSnapshotIdentifier", "DBInstanceIdentifier", "db"),
            (raw["cluster_snapshots"], "DBClusterSnapshotArn", "DBClusterSnapshotIdentifier", "DBClusterIdentifier",
             "cluster")):
        for snap in snaps:
            restore = _restore_with(snap)
            out.asset(k.RDS_SNAPSHOT, snap[arn_key], snap[id_key], tag_dict(snap.get("TagList")),
                      public="all" in restore, shared_with=[a for a in restore if a != "all"],
                      encrypted=bool(snap.get("Encrypted") or snap.get("StorageEncrypted")),
                      snapshot_type=snap.get("SnapshotType"), engine=snap.get("Engine"),
                      create_time=snap.get("SnapshotCreateTime"))
            out.rel(k.SNAPSHOT_OF, snap[arn_key], ctx.arn("rds", f"{of_kind}:{snap.get(of_key)}") if snap.get(of_key) else None)
    return out


# -- DynamoDB --------------------------------------------------------------------------------------

def fetch_dynamodb(ctx: Ctx) -> dict:
    ddb = ctx.client("dynamodb")
    tables = []
    for name in pages(ddb, "list_tables", "TableNames"):
        table = ddb.describe_table(TableName=name)["Table"]
        table["_tags"] = ddb.list_tags_of_resource(ResourceArn=table["TableArn"]).get("Tags", [])
        tables.append(table)
    return {"tables": tables}


def transform_dynamodb(raw: dict, ctx: Ctx) -> Out:
    out = Out(ctx)
    for t in raw["tables"]:
        sse = t.get("SSEDescription") or {}
        out.asset(k.DYNAMODB_TABLE, t["TableArn"], t["TableName"], tag_dict(t.get("_tags")), status=t.get("TableStatus"),
                  item_count=t.get("ItemCount"), size_bytes=t.get("TableSizeBytes"),
                  encryption=sse.get("SSEType") or "AWS_OWNED", kms_key_id=sse.get("KMSMasterKeyArn"),
                  stream_enabled=bool((t.get("StreamSpecification") or {}).get("StreamEnabled")))
        out.rel(k.ENCRYPTED_WITH, t["TableArn"], kms_key_arn(ctx, sse.get("KMSMasterKeyArn")))
    return out


# -- Secrets Manager -------------------------------------------------------------------------------

def fetch_secrets(ctx: Ctx) -> dict:
    sm = ctx.client("secretsmanager")
    secrets = pages(sm, "list_secrets", "SecretList")  # metadata only; values are never requested
    for secret in secrets:
        secret["_policy"] = (optional(sm.get_resource_policy, "ResourceNotFoundException",
                                      SecretId=secret["ARN"]) or {}).get("ResourcePolicy")
    return {"secrets": secrets}


def transform_secrets(raw: dict, ctx: Ctx) -> Out:
    out = Out(ctx)
    for s in raw["secrets"]:
        out.asset(k.SECRET, s["ARN"], s["Name"], tag_dict(s.get("Tags")), description=s.get("Description"),
                  resource_policy=document(s.get("_policy")), rotation_enabled=bool(s.get("RotationEnabled")),
                  kms_key_id=s.get("KmsKeyId"), last_changed=s.get("LastChangedDate"),
                  last_accessed=s.get("LastAccessedDate"))
        out.rel(k.ENCRYPTED_WITH, s["ARN"], kms_key_arn(ctx, s.get("KmsKeyId")))
    return out


# -- KMS -------------------------------------------------------------------------------------------

def fetch_kms(ctx: Ctx) -> dict:
    kms = ctx.client("kms")
    aliases = pages(kms, "list_aliases", "Aliases")
    keys = []
    for ref in pages(kms, "list_keys", "Keys"):
        meta = kms.describe_key(KeyId=ref["KeyId"])["KeyMetadata"]
        meta["_policy"] = kms.get_key_policy(KeyId=ref["KeyId"], PolicyName="default").get("Policy")
        meta["_aliases"] = [a["AliasName"] for a in aliases if a.get("TargetKeyId") == ref["KeyId"]]
        if meta.get("KeyManager") == "CUSTOMER":
            meta["_tags"] = kms.list_resource_tags(KeyId=ref["KeyId"]).get("Tags", [])
            if meta.get("KeySpec", "SYMMETRIC_DEFAULT") == "SYMMETRIC_DEFAULT" and meta.get("KeyState") == "Enabled":
                meta["_rotation"] = kms.get_key_rotation_status(KeyId=ref["KeyId"]).get("KeyRotationEnabled")
        keys.append(meta)
    return {"keys": keys}


def transform_kms(raw: dict, ctx: Ctx) -> Out:
    out = Out(ctx)
    for key in raw["keys"]:
        out.asset(k.KMS_KEY, key["Arn"], (key["_aliases"] or [key["KeyId"]])[0], tag_dict(key.get("_tags")),
                  resource_policy=document(key.get("_policy")), key_state=key.get("KeyState"),
                  key_manager=key.get("KeyManager"), key_usage=key.get("KeyUsage"), key_spec=key.get("KeySpec"),
                  rotation_enabled=key.get("_rotation"), description=key.get("Description"), aliases=key["_aliases"])
    return out
