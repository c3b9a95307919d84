"""IAM (global scope) from one call family, get_account_authorization_details: users, groups, roles,
instance profiles, managed/AWS-managed/inline policies with their documents, permission boundaries;
plus per-user console password, MFA and access key metadata. Organizations SCPs have their own scope."""

from __future__ import annotations

import json
from urllib.parse import unquote

from cloudmap.loaders.aws.context import Ctx, Out, Skipped, error_code, optional, pages, tag_dict

from cloudmap.graph.kinds import aws as k

DETAIL_KEYS = ("UserDetailList", "GroupDetailList", "RoleDetailList", "Policies")


def fetch(ctx: Ctx) -> dict:
    iam = ctx.client("iam")
    raw: dict = {key: [] for key in DETAIL_KEYS}
    for page in iam.get_paginator("get_account_authorization_details").paginate():
        for key in DETAIL_KEYS:
            raw[key].extend(page.get(key, []))

    def extra(name: str) -> dict:
        keys = iam.list_access_keys(UserName=name).get("AccessKeyMetadata", [])
        for key in keys:  # AccessKeyMetadata never holds the secret; last use is metadata too
            used = iam.get_access_key_last_used(AccessKeyId=key["AccessKeyId"]).get("AccessKeyLastUsed", {})
            key["LastUsed"], key["LastUsedService"] = used.get("LastUsedDate"), used.get("ServiceName")
        return {"console": optional(iam.get_login_profile, "NoSuchEntity", UserName=name) is not None,
                "mfa": bool(iam.list_mfa_devices(UserName=name).get("MFADevices")),
                "keys": keys}
    names = [user["UserName"] for user in raw["UserDetailList"]]
    # In the call pool: IAM is written first, so every other scope's write waits for these calls.
    raw["users_extra"] = dict(zip(names, ctx.map(extra, names), strict=True))
    return raw


def document(value) -> dict | None:
    """Policy documents come URL-encoded JSON strings from the raw API, dicts through boto3."""
    if value is None or isinstance(value, dict):
        return value
    return json.loads(unquote(value))


def transform(raw: dict, ctx: Ctx) -> Out:
    out = Out(ctx)
    referenced = _referenced_policy_arns(raw)
    for pol in raw["Policies"]:
        aws_managed = pol["Arn"].split(":")[4] == "aws"
        if aws_managed and pol["Arn"] not in referenced:
            continue  # hundreds of AWS-managed policies exist; keep the ones this account uses
        default = next((v for v in pol.get("PolicyVersionList", []) if v.get("IsDefaultVersion")), {})
        out.asset(k.POLICY, pol["Arn"], pol.get("PolicyName") or pol["Arn"].rsplit("/", 1)[-1], region="global", in_account=not aws_managed,
                  arn=pol["Arn"], document=document(default.get("Document")),
                  policy_type="aws-managed" if aws_managed else "managed",
                  default_version_id=pol.get("DefaultVersionId"), attachment_count=pol.get("AttachmentCount"),
                  description=pol.get("Description"))
    for group in raw["GroupDetailList"]:
        out.asset(k.GROUP, group["Arn"], group["GroupName"], region="global", **_identity(group, "GroupId"))
        _policies(out, group, "GroupPolicyList")
    for user in raw["UserDetailList"]:
        extra = raw["users_extra"].get(user["UserName"], {})
        out.asset(k.USER, user["Arn"], user["UserName"], tag_dict(user.get("Tags")), region="global",
                  **_identity(user, "UserId"), mfa_enabled=extra.get("mfa", False),
                  has_console_password=extra.get("console", False), password_last_used=user.get("PasswordLastUsed"))
        _policies(out, user, "UserPolicyList")
        for name in user.get("GroupList", []):
            out.rel(k.MEMBER_OF, user["Arn"], _group_arn(raw, name))
        for key in extra.get("keys", []):
            out.asset(k.ACCESS_KEY, key["AccessKeyId"], key["AccessKeyId"], region="global", status=key.get("Status"),
                      create_date=key.get("CreateDate"), last_used=key.get("LastUsed"),
                      last_used_service=key.get("LastUsedService"))
            out.rel(k.HAS_KEY, user["Arn"], key["AccessKeyId"])
    for role in raw["RoleDetailList"]:
        out.asset(k.ROLE, role["Arn"], role["RoleName"], tag_dict(role.get("Tags")), region="global",
                  **_identity(role, "RoleId"), trust_policy=document(role.get("AssumeRolePolicyDocument")),
                  max_session_duration=role.get("MaxSessionDuration"),
                  last_used=(role.get("RoleLastUsed") or {}).get("LastUsedDate"))
        _policies(out, role, "RolePolicyList")
        for profile in role.get("InstanceProfileList", []):
            out.asset(k.INSTANCE_PROFILE, profile["Arn"], profile["InstanceProfileName"], region="global",
                      arn=profile["Arn"], path=profile.get("Path"))
            for member in profile.get("Roles", []):
                out.rel(k.HAS_ROLE, profile["Arn"], member["Arn"])
    return out


def _referenced_policy_arns(raw: dict) -> set[str]:
    arns = set()
    for key in ("UserDetailList", "GroupDetailList", "RoleDetailList"):
        for principal in raw[key]:
            arns.update(p["PolicyArn"] for p in principal.get("AttachedManagedPolicies", []))
            boundary = (principal.get("PermissionsBoundary") or {}).get("PermissionsBoundaryArn")
            if boundary:
                arns.add(boundary)
    return arns


def _identity(item: dict, id_key: str) -> dict:
    return {"arn": item["Arn"], "path": item.get("Path"), "create_date": item.get("CreateDate"),
            "principal_id": item.get(id_key)}


def _group_arn(raw: dict, name: str) -> str:
    return next((g["Arn"] for g in raw["GroupDetailList"] if g["GroupName"] == name), name)


def _policies(out: Out, principal: dict, inline_key: str) -> None:
    arn = principal["Arn"]
    for attached in principal.get("AttachedManagedPolicies", []):
        out.rel(k.HAS_POLICY, arn, attached["PolicyArn"])
    for inline in principal.get(inline_key, []):
        pid = f"aws:inline-policy:{arn}:{inline['PolicyName']}"
        out.asset(k.POLICY, pid, inline["PolicyName"], region="global", document=document(inline.get("PolicyDocument")),
                  policy_type="inline")
        out.rel(k.HAS_POLICY, arn, pid)
    boundary = (principal.get("PermissionsBoundary") or {}).get("PermissionsBoundaryArn")
    out.rel(k.HAS_PERMISSION_BOUNDARY, arn, boundary)


# -- Organizations service control policies --------------------------------------------------------

def fetch_scps(ctx: Ctx) -> dict:
    """The SCPs that apply to this account: attached to it, its OUs or the root."""
    org = ctx.client("organizations")
    try:
        targets = [ctx.account_id]
        child = ctx.account_id
        while True:
            parents = org.list_parents(ChildId=child).get("Parents", [])
            if not parents:
                break
            child = parents[0]["Id"]
            targets.append(child)
            if parents[0]["Type"] == "ROOT":
                break
        policies: dict[str, dict] = {}
        for target in targets:
            for summary in pages(org, "list_policies_for_target", "Policies", TargetId=target,
                                 Filter="SERVICE_CONTROL_POLICY"):
                if summary["Id"] not in policies:
                    detail = org.describe_policy(PolicyId=summary["Id"])["Policy"]
                    policies[summary["Id"]] = {**detail, "via": target, "targets": []}
                policies[summary["Id"]]["targets"].append(target)   # SCPs are evaluated per level
        return {"policies": list(policies.values())}
    except Exception as exc:
        code = error_code(exc)
        if code in ("AWSOrganizationsNotInUseException", "AccountNotFoundException", "AccessDeniedException",
                    "AccessDenied") or \
                isinstance(exc, NotImplementedError):
            raise Skipped(f"Organizations not readable ({code or type(exc).__name__})") from None
        raise


def transform_scps(raw: dict, ctx: Ctx) -> Out:
    out = Out(ctx)
    for pol in raw["policies"]:
        summary = pol["PolicySummary"]
        out.asset(k.POLICY, summary["Arn"], summary["Name"], region="global", in_account=False, arn=summary["Arn"],
                  document=json.loads(pol.get("Content") or "null"), policy_type="scp",
                  description=summary.get("Description"))
        out.rel(k.SCP_APPLIES_TO, summary["Arn"], ctx.account_arn, via=pol["via"], targets=pol.get("targets") or [pol["via"]])
    return out
