"""The account itself (global scope): STS identity, IAM alias, the account-level S3 public access block."""

from __future__ import annotations

from cloudmap.loaders.aws.context import Ctx, Out, optional

from cloudmap.graph.kinds import aws as k


def fetch(ctx: Ctx) -> dict:
    aliases = ctx.client("iam").list_account_aliases().get("AccountAliases", [])
    block = optional(ctx.client("s3control").get_public_access_block, "NoSuchPublicAccessBlockConfiguration",
                     AccountId=ctx.account_id)
    return {"alias": aliases[0] if aliases else None,
            "public_access_block": (block or {}).get("PublicAccessBlockConfiguration", {})}


def public_access_block(config: dict) -> dict:
    """The four S3 public access block flags (absent = false, as AWS evaluates them)."""
    return {"block_public_acls": bool(config.get("BlockPublicAcls")),
            "ignore_public_acls": bool(config.get("IgnorePublicAcls")),
            "block_public_policy": bool(config.get("BlockPublicPolicy")),
            "restrict_public_buckets": bool(config.get("RestrictPublicBuckets"))}


def transform(raw: dict, ctx: Ctx, regions: list[str]) -> Out:
    out = Out(ctx)
    out.asset(k.ACCOUNT, ctx.account_arn, raw["alias"] or ctx.account_id, region="global", alias=raw["alias"],
              regions=regions, **public_access_block(raw["public_access_block"]))
    return out
