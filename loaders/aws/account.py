"""The account itself (global scope): STS identity and IAM alias; the account-level S3 public access block in
a scope of its own (s3control), so a denied s3control call keeps the flags loaded before and not the account."""

from __future__ import annotations

from cloudmap.loaders.aws.context import Ctx, Out, optional

from cloudmap.graph.kinds import aws as k


def fetch(ctx: Ctx) -> dict:
    aliases = ctx.client("iam").list_account_aliases().get("AccountAliases", [])
    return {"alias": aliases[0] if aliases else None}


def fetch_public_access_block(ctx: Ctx) -> dict:
    block = optional(ctx.client("s3control").get_public_access_block, "NoSuchPublicAccessBlockConfiguration",
                     AccountId=ctx.account_id)
    return (block or {}).get("PublicAccessBlockConfiguration", {})


def public_access_block(config: dict) -> dict:
    """The four S3 public access block flags (absent = false, as AWS evaluates them)."""
    return {"block_public_acls": bool(config.get("BlockPublicAcls")),
            "ignore_public_acls": bool(config.get("IgnorePublicAcls")),
            "block_public_policy": bool(config.get("BlockPublicPolicy")),
            "restrict_public_buckets": bool(config.get("RestrictPublicBuckets"))}


def transform(raw: dict, ctx: Ctx, regions: list[str]) -> Out:
    out = Out(ctx)
    out.asset(k.ACCOUNT, ctx.account_arn, raw["alias"] or ctx.account_id, region="global", alias=raw["alias"],
              regions=regions)
    return out


def transform_public_access_block(raw: dict, ctx: Ctx) -> Out:
    out = Out(ctx)
    out.node(k.ACCOUNT, {"id": ctx.account_arn, **public_access_block(raw)})
    return out
