"""Which actions on a target mean read, write or admin access: the probe actions the engine asks the
policy evaluators about, per kind of target. A level is the highest one any allowed action has."""

from __future__ import annotations

LEVELS = ("read", "write", "admin")

# AWS: (label, provider) -> [(action, level, object-level?)]. Object-level actions are asked about
# "<arn>/*" (S3 objects) rather than the resource itself.
AWS_PROBES: dict[str, list[tuple[str, str, bool]]] = {
    "Bucket": [("s3:GetObject", "read", True), ("s3:ListBucket", "read", False),
               ("s3:PutObject", "write", True), ("s3:DeleteObject", "write", True),
               ("s3:PutBucketPolicy", "admin", False), ("s3:PutBucketAcl", "admin", False),
               ("s3:DeleteBucket", "admin", False)],
    "Secret": [("secretsmanager:GetSecretValue", "read", False), ("ssm:GetParameter", "read", False),
               ("secretsmanager:PutSecretValue", "write", False), ("ssm:PutParameter", "write", False),
               ("secretsmanager:PutResourcePolicy", "admin", False), ("secretsmanager:DeleteSecret", "admin", False)],
    "Key": [("kms:Decrypt", "read", False), ("kms:Encrypt", "write", False), ("kms:GenerateDataKey", "write", False),
            ("kms:PutKeyPolicy", "admin", False), ("kms:ScheduleKeyDeletion", "admin", False)],
    "Table": [("dynamodb:GetItem", "read", False), ("dynamodb:Scan", "read", False), ("dynamodb:Query", "read", False),
              ("dynamodb:PutItem", "write", False), ("dynamodb:DeleteItem", "write", False),
              ("dynamodb:DeleteTable", "admin", False)],
    "Database": [("rds-db:connect", "read", False), ("rds:ModifyDBInstance", "admin", False),
                 ("rds:DeleteDBInstance", "admin", False), ("rds:CreateDBSnapshot", "read", False)],
    "Snapshot": [("rds:RestoreDBInstanceFromDBSnapshot", "read", False), ("ec2:CreateVolume", "read", False),
                 ("rds:ModifyDBSnapshotAttribute", "admin", False)],
}
# Probe actions that give access only together with a second request on the resource they create:
# a DB instance restored from an RDS snapshot answers to a master password the caller does not know
# until rds:ModifyDBInstance resets it.
AWS_PROBE_NEEDS: dict[str, str] = {"rds:RestoreDBInstanceFromDBSnapshot": "rds:ModifyDBInstance"}
# Checked in this order: the first label a target has decides its probe list.
AWS_PROBE_ORDER = ("Bucket", "Secret", "Key", "Table", "Snapshot", "Database")

# Azure: label -> [(operation, is_data_action, level)].
AZURE_PROBES: dict[str, list[tuple[str, bool, str]]] = {
    "StorageAccount": [("Microsoft.Storage/storageAccounts/blobServices/containers/blobs/read", True, "read"),
                       ("Microsoft.Storage/storageAccounts/blobServices/containers/blobs/write", True, "write"),
                       ("Microsoft.Storage/storageAccounts/listKeys/action", False, "admin"),
                       ("Microsoft.Storage/storageAccounts/write", False, "admin")],
    "Bucket": [("Microsoft.Storage/storageAccounts/blobServices/containers/blobs/read", True, "read"),
               ("Microsoft.Storage/storageAccounts/blobServices/containers/blobs/write", True, "write"),
               ("Microsoft.Storage/storageAccounts/blobServices/containers/write", False, "admin")],
    "KeyVault": [("Microsoft.KeyVault/vaults/secrets/getSecret/action", True, "read"),
                 ("Microsoft.KeyVault/vaults/secrets/setSecret/action", True, "write"),
                 ("Microsoft.KeyVault/vaults/write", False, "admin")],
    "Secret": [("Microsoft.KeyVault/vaults/secrets/getSecret/action", True, "read"),
               ("Microsoft.KeyVault/vaults/secrets/setSecret/action", True, "write")],
    "Key": [("Microsoft.KeyVault/vaults/keys/decrypt/action", True, "read"),
            ("Microsoft.KeyVault/vaults/keys/encrypt/action", True, "write")],
    "Database": [("Microsoft.Sql/servers/databases/read", False, "read"),
                 ("Microsoft.Sql/servers/write", False, "admin"),
                 ("Microsoft.DocumentDB/databaseAccounts/listKeys/action", False, "admin")],
}
AZURE_PROBE_ORDER = ("Bucket", "StorageAccount", "KeyVault", "Secret", "Key", "Database")

MAX_ACTIONS = 10   # CAN_ACCESS.actions is a bounded sample; `level` summarises


def level_of(actions: list[str], levels: dict[str, str] | None = None) -> str:
    """The highest level among allowed actions; without a table, by the action verb."""
    best = 0
    for a in actions:
        lvl = levels.get(a) if levels else _guess(a)
        best = max(best, LEVELS.index(lvl or "read"))
    return LEVELS[best]


def access_edge(source: str, target: str, decided: list[tuple[str, str, object]]) -> dict | None:
    """The CAN_ACCESS row for the probes a principal passed: ``decided`` holds (action, level, decision)
    for each probe; None when none is allowed. Conditional only when every allowing decision is."""
    allowed = [(action, level, d) for action, level, d in decided if d.allowed]
    if not allowed:
        return None
    actions = [a for a, _, _ in allowed]
    return {"source": source, "target": target, "level": level_of(actions, {a: lvl for a, lvl, _ in allowed}),
            "actions": actions[:MAX_ACTIONS], "evidence": sorted({e for _, _, d in allowed for e in d.evidence}),
            "conditional": all(d.conditional for _, _, d in allowed)}


def _guess(action: str) -> str:
    verb = action.split(":")[-1].split("/")[-1].lower()
    if verb.startswith(("put", "delete", "write", "create", "update")):
        return "admin" if "acl" in verb or "policy" in verb else "write"
    return "read"


def S3_ACTIONS(bucket_arn: str) -> list[tuple[str, str]]:
    """The (action, resource) pairs asked about a bucket."""
    return [(a, f"{bucket_arn}/*" if obj else bucket_arn) for a, _, obj in AWS_PROBES["Bucket"]]
