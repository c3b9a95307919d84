"""The AWS policy evaluator and Azure RBAC matching: a table of policy / request / decision."""

from __future__ import annotations

import json

import pytest

from cloudmap.engine.aws_policy import PolicyError, evaluate, full_admin_statements, parse_policy
from cloudmap.engine.azure_rbac import RoleDefinition, scope_covers

USER = "arn:aws:iam::111111111111:user/alice"
BUCKET = "arn:aws:s3:::data"


def pol(*statements, pid="p"):
    return parse_policy(json.dumps({"Version": "2012-10-17", "Statement": list(statements)}), pid)


def allow(action="*", resource="*", **extra):
    return {"Effect": "Allow", "Action": action, "Resource": resource, **extra}


def deny(action="*", resource="*", **extra):
    return {"Effect": "Deny", "Action": action, "Resource": resource, **extra}


COND = {"Condition": {"Bool": {"aws:MultiFactorAuthPresent": "true"}}}

CASES = [
    # (name, identity statements, kwargs, action, resource, allowed, conditional)
    ("plain allow", [allow("s3:GetObject", BUCKET + "/*")], {}, "s3:GetObject", BUCKET + "/x", True, False),
    ("nothing allows", [], {}, "s3:GetObject", BUCKET + "/x", False, False),
    ("actions are case-insensitive", [allow("S3:getobject", BUCKET + "/*")], {}, "s3:GetObject", BUCKET + "/k", True, False),
    ("resources are case-sensitive", [allow("s3:GetObject", "arn:aws:s3:::DATA/*")], {}, "s3:GetObject", BUCKET + "/k", False, False),
    ("? matches one character", [allow("s3:Get?bject", "*")], {}, "s3:GetObject", BUCKET, True, False),
    ("wildcard service", [allow("s3:*")], {}, "s3:PutObject", BUCKET, True, False),
    ("wildcard does not cross services", [allow("s3:*")], {}, "kms:Decrypt", "*", False, False),
    ("deny wins", [allow(), deny("s3:*", BUCKET + "/*")], {}, "s3:GetObject", BUCKET + "/k", False, False),
    ("deny elsewhere does not", [allow(), deny("s3:*", "arn:aws:s3:::other/*")], {}, "s3:GetObject", BUCKET + "/k", True, False),
    ("undecided deny is not a deny, but leaves it conditional", [allow(), deny("s3:*", **COND)], {}, "s3:GetObject", BUCKET, True, True),
    ("conditional allow is conditional", [allow("s3:*", **COND)], {}, "s3:GetObject", BUCKET, True, True),
    ("NotAction allows the rest", [{"Effect": "Allow", "NotAction": "iam:*", "Resource": "*"}], {}, "s3:GetObject", BUCKET, True, False),
    ("NotAction excludes", [{"Effect": "Allow", "NotAction": "iam:*", "Resource": "*"}], {}, "iam:CreateUser", "*", False, False),
    ("NotResource excludes", [{"Effect": "Allow", "Action": "s3:*", "NotResource": BUCKET}], {}, "s3:ListBucket", BUCKET, False, False),
    ("NotResource allows others", [{"Effect": "Allow", "Action": "s3:*", "NotResource": BUCKET}], {}, "s3:ListBucket", "arn:aws:s3:::b2", True, False),
    ("deny NotAction denies the rest", [allow(), {"Effect": "Deny", "NotAction": "s3:*", "Resource": "*"}], {}, "iam:CreateUser", "*", False, False),
    ("boundary limits", [allow()], {"boundary": pol(allow("s3:*"), pid="b")}, "iam:CreateUser", "*", False, False),
    ("boundary passes", [allow()], {"boundary": pol(allow("s3:*"), pid="b")}, "s3:GetObject", BUCKET, True, False),
    ("boundary alone grants nothing", [], {"boundary": pol(allow(), pid="b")}, "s3:GetObject", BUCKET, False, False),
    ("scp must allow", [allow()], {"scps": pol(allow("ec2:*"), pid="scp")}, "s3:GetObject", BUCKET, False, False),
    ("scp deny wins", [allow()], {"scps": pol(allow(), deny("s3:*"), pid="scp")}, "s3:GetObject", BUCKET, False, False),
    ("scp allow passes", [allow()], {"scps": pol(allow(), pid="scp")}, "s3:GetObject", BUCKET, True, False),
    ("bucket policy grants the user", [], {"resource_policy": pol({**allow("s3:GetObject", BUCKET + "/*"), "Principal": {"AWS": USER}}, pid="bp")},
     "s3:GetObject", BUCKET + "/k", True, False),
    ("bucket policy for another user", [], {"resource_policy": pol({**allow("s3:GetObject", BUCKET + "/*"), "Principal": {"AWS": "arn:aws:iam::111111111111:user/bob"}}, pid="bp")},
     "s3:GetObject", BUCKET + "/k", False, False),
    ("bucket policy deny wins over identity", [allow()], {"resource_policy": pol({**deny("s3:*"), "Principal": "*"}, pid="bp")},
     "s3:GetObject", BUCKET + "/k", False, False),
    ("key policy must allow", [allow("kms:*")], {"resource_policy": pol({**allow("kms:Encrypt"), "Principal": {"AWS": "arn:aws:iam::111111111111:root"}}, pid="kp"), "resource_policy_required": True},
     "kms:Decrypt", "arn:aws:kms:eu-west-1:111111111111:key/k", False, False),
    ("key policy delegates to IAM", [allow("kms:*")], {"resource_policy": pol({**allow("kms:*"), "Principal": {"AWS": "arn:aws:iam::111111111111:root"}}, pid="kp"), "resource_policy_required": True},
     "kms:Decrypt", "arn:aws:kms:eu-west-1:111111111111:key/k", True, False),
    ("no key policy, no access", [allow("kms:*")], {"resource_policy": (), "resource_policy_required": True},
     "kms:Decrypt", "arn:aws:kms:eu-west-1:111111111111:key/k", False, False),
    ("trust policy must name the principal", [allow()], {"resource_policy": pol({**allow("sts:AssumeRole"), "Principal": {"Service": "ec2.amazonaws.com"}}, pid="trust"), "resource_policy_required": True},
     "sts:AssumeRole", "arn:aws:iam::111111111111:role/r", False, False),
    ("trust naming the user needs no identity allow", [], {"resource_policy": pol({**allow("sts:AssumeRole"), "Principal": {"AWS": USER}}, pid="trust"), "resource_policy_required": True},
     "sts:AssumeRole", "arn:aws:iam::111111111111:role/r", True, False),
    ("cross account needs both sides", [allow("s3:*")], {"resource_account": "222222222222"}, "s3:GetObject", BUCKET, False, False),
]


@pytest.mark.parametrize("name,statements,kwargs,action,resource,allowed,conditional", CASES, ids=[c[0] for c in CASES])
def test_aws_decisions(name, statements, kwargs, action, resource, allowed, conditional):
    d = evaluate(action, resource, pol(*statements) if statements else (), principal=USER, **kwargs)
    assert (d.allowed, d.conditional) == (allowed, conditional), d


def test_evidence_names_policies_and_ignored_denies():
    d = evaluate("s3:GetObject", BUCKET, pol(allow(), pid="admin") + pol(deny("s3:*", **COND), pid="mfa"), principal=USER)
    assert d.allowed and d.evidence == ["admin"] and d.ignored_denies == ["mfa"]
    d = evaluate("s3:GetObject", BUCKET, pol(allow(), pid="admin") + pol(deny("s3:*"), pid="guard"), principal=USER)
    assert not d.allowed and d.denied_by == ["guard"]


def test_full_admin_and_bad_documents():
    assert full_admin_statements(pol(allow("*", "*"), pid="AdministratorAccess"))
    assert not full_admin_statements(pol(allow("*", "*", **COND)))
    assert not full_admin_statements(pol(allow("iam:*", "*")))
    with pytest.raises(PolicyError, match="policy broken: document is not valid JSON"):
        parse_policy("{not json", "broken")
    with pytest.raises(PolicyError, match="policy odd: statement 0 needs Effect"):
        parse_policy('{"Statement": [{"Effect": "Maybe"}]}', "odd")


def test_azure_role_definitions_and_scopes():
    owner = RoleDefinition("owner", "Owner", ("*",))
    contributor = RoleDefinition("contrib", "Contributor", ("*",), ("Microsoft.Authorization/*/Write",
                                                                     "Microsoft.Authorization/*/Delete"))
    reader = RoleDefinition("blob-reader", "Storage Blob Data Reader", ("Microsoft.Storage/storageAccounts/blobServices/containers/read",),
                            (), ("Microsoft.Storage/storageAccounts/blobServices/containers/blobs/read",))
    assert owner.is_owner_like() and not contributor.is_owner_like()
    assert contributor.permits("microsoft.compute/virtualmachines/write")
    assert not contributor.permits("Microsoft.Authorization/roleAssignments/write")
    assert reader.permits("Microsoft.Storage/storageAccounts/blobServices/containers/blobs/read", data=True)
    assert not reader.permits("Microsoft.Storage/storageAccounts/blobServices/containers/blobs/read")
    assert not owner.permits("Microsoft.Storage/storageAccounts/blobServices/containers/blobs/read", data=True)
    assert scope_covers("/subscriptions/s1", "/subscriptions/s1/resourcegroups/rg/providers/x/y")
    assert not scope_covers("/subscriptions/s1", "/subscriptions/s10/resourcegroups/rg")
