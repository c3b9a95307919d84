"""Public data: ``(:Internet)-[:CAN_ACCESS {level, actions, evidence}]->(data store)``.

* S3 buckets whose policy allows ``Principal: *`` (unless ``block_public_policy`` /
  ``restrict_public_buckets`` on the bucket or its account), or whose ACL grants AllUsers /
  AuthenticatedUsers (unless ``ignore_public_acls`` on the bucket or its account);
* Azure blob containers with public access ``blob``/``container`` in an account that allows blob
  public access;
* snapshots restorable by anyone (``public: true``).
"""

from __future__ import annotations

import json
import logging
from collections.abc import Iterator

from cloudmap.engine import aws_policy
from cloudmap.engine.access_levels import S3_ACTIONS, level_of
from cloudmap.engine.writer import EdgeWriter, stream
from cloudmap.graph.driver import Graph
from cloudmap.graph.kinds import derived

DERIVATION = "public-data"
REL = derived.PUBLIC_ACCESS
ANONYMOUS = "arn:aws:iam::anonymous"   # a principal outside every account
PUBLIC_GRANTEES = ("http://acs.amazonaws.com/groups/global/AllUsers",
                   "http://acs.amazonaws.com/groups/global/AuthenticatedUsers", "AllUsers", "AuthenticatedUsers")
ACL_LEVEL = {"READ": ["s3:ListBucket"], "WRITE": ["s3:PutObject"], "READ_ACP": ["s3:GetBucketAcl"],
             "WRITE_ACP": ["s3:PutBucketAcl"], "FULL_CONTROL": ["s3:ListBucket", "s3:PutObject", "s3:PutBucketAcl"]}

log = logging.getLogger("cloudmap.engine")


def _flag(*values) -> bool:
    return any(v is True for v in values)


def s3_buckets(graph: Graph) -> Iterator[dict]:
    for b in stream(graph, """
            MATCH (b:Bucket) WHERE coalesce(b.provider, 'aws') = 'aws'
              AND (b.resource_policy IS NOT NULL OR b.acl_grants IS NOT NULL)
            OPTIONAL MATCH (a:Account) WHERE a.id = b.account_id OR a.account_id = b.account_id
            RETURN b{.id, .resource_policy, .acl_grants, .block_public_acls, .ignore_public_acls,
                     .block_public_policy, .restrict_public_buckets} AS b,
                   a{.block_public_acls, .ignore_public_acls, .block_public_policy, .restrict_public_buckets} AS a"""):
        bucket, acct = b["b"], b["a"] or {}
        actions, evidence = [], []
        policy_blocked = _flag(bucket.get("restrict_public_buckets"), acct.get("restrict_public_buckets"),
                               bucket.get("block_public_policy"), acct.get("block_public_policy"))
        if bucket.get("resource_policy") and not policy_blocked:
            try:
                stmts = aws_policy.parse_policy(bucket["resource_policy"], f"{bucket['id']}#bucket-policy")
            except aws_policy.PolicyError as exc:
                log.warning("%s", exc)
                stmts = ()
            for action, resource in S3_ACTIONS(bucket["id"]):
                d = aws_policy.evaluate(action, resource, resource_policy=stmts, principal=ANONYMOUS)
                if d.allowed and not d.conditional:
                    actions.append(action)
                    evidence += d.evidence
        if bucket.get("acl_grants") and not _flag(bucket.get("ignore_public_acls"), acct.get("ignore_public_acls")):
            for grant in _grants(bucket["acl_grants"]):
                grantee = grant.get("grantee") or grant.get("URI") or (grant.get("Grantee") or {}).get("URI") or ""
                if any(grantee.endswith(g) for g in PUBLIC_GRANTEES):
                    perm = (grant.get("permission") or grant.get("Permission") or "").upper()
                    actions += ACL_LEVEL.get(perm, [])
                    evidence.append(f"{bucket['id']}#acl:{grantee.rsplit('/', 1)[-1]}:{perm}")
        if actions:
            yield {"source": "internet", "target": bucket["id"], "level": level_of(actions),
                   "actions": sorted(set(actions)), "evidence": sorted(set(evidence))}


def _grants(raw) -> list[dict]:
    try:
        data = json.loads(raw) if isinstance(raw, str) else raw
    except json.JSONDecodeError:
        return []
    return [g for g in (data or []) if isinstance(g, dict)]


def azure_containers(graph: Graph) -> Iterator[dict]:
    for row in stream(graph, """
            MATCH (sa:StorageAccount)-[:CONTAINS]->(c:Bucket)
            WHERE sa.allow_blob_public_access = true AND c.public_access IN ['blob', 'container']
            RETURN c.id AS id, c.public_access AS access, sa.id AS account"""):
        actions = ["Microsoft.Storage/storageAccounts/blobServices/containers/blobs/read"]
        if row["access"] == "container":
            actions.append("Microsoft.Storage/storageAccounts/blobServices/containers/read")
        yield {"source": "internet", "target": row["id"], "level": "read", "actions": actions,
               "evidence": [f"{row['id']}#public_access:{row['access']}", f"{row['account']}#allow_blob_public_access"]}


def public_snapshots(graph: Graph) -> Iterator[dict]:
    for row in stream(graph, "MATCH (s:Snapshot) WHERE s.public = true RETURN s.id AS id"):
        yield {"source": "internet", "target": row["id"], "level": "read", "actions": ["restore"],
               "evidence": [f"{row['id']}#public"]}


def derive_public_data(graph: Graph, writer: EdgeWriter) -> None:
    rows = [*s3_buckets(graph), *azure_containers(graph), *public_snapshots(graph)]
    writer.write(DERIVATION, REL, rows)
    writer.sweep(DERIVATION, REL)
