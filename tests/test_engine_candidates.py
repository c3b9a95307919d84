"""Which principals a resource or trust policy can allow: the resource's own account, plus those
its policy names by ARN, by account, or everyone; nobody else is evaluated."""

from __future__ import annotations

import json

from cloudmap.engine.aws_policy import parse_policy
from cloudmap.engine.iam_model import IamModel, Principal

A, B, C = "111111111111", "222222222222", "333333333333"


def model() -> IamModel:
    m = IamModel()
    for acct in (A, B, C):
        for name in ("app", "ops"):
            m.add(Principal(f"arn:aws:iam::{acct}:role/{name}", "Role", acct, [], [], None, None))
    return m


def policy(principal, effect="Allow", key="Principal") -> tuple:
    return parse_policy(json.dumps({"Statement": [{"Effect": effect, key: principal, "Action": "s3:GetObject",
                                                   "Resource": "*"}]}), "bucket#resource-policy")


def ids(principals) -> set[str]:
    return {p.id.split("::")[1] for p in principals}


def test_without_a_resource_policy_only_the_own_account_is_asked():
    assert ids(model().candidates(None, A)) == {f"{A}:role/app", f"{A}:role/ops"}


def test_a_policy_adds_what_it_names_by_arn_and_by_account():
    m = model()
    named = policy({"AWS": [f"arn:aws:iam::{B}:role/app", f"arn:aws:iam::{C}:root"]})
    assert ids(m.candidates(named, A)) == {f"{A}:role/app", f"{A}:role/ops", f"{B}:role/app",
                                           f"{C}:role/app", f"{C}:role/ops"}
    assert ids(m.candidates(policy({"AWS": B}), A)) == {f"{A}:role/app", f"{A}:role/ops", f"{B}:role/app",
                                                        f"{B}:role/ops"}


def test_everyone_and_not_principal_open_it_to_all_and_denies_name_nobody():
    m = model()
    assert len(m.candidates(policy("*"), A)) == 6
    assert len(m.candidates(policy({"AWS": "*"}), A)) == 6
    assert len(m.candidates(policy({"AWS": f"arn:aws:iam::{B}:role/app"}, key="NotPrincipal"), A)) == 6
    assert ids(m.candidates(policy({"AWS": f"arn:aws:iam::{B}:role/app"}, effect="Deny"), A)) == {
        f"{A}:role/app", f"{A}:role/ops"}
    assert len(m.candidates(None, "")) == 6   # a resource of unknown account: anyone may be allowed


def test_a_trust_policy_names_exactly_who_may_assume():
    m = model()
    assert ids(m.named_by(policy({"AWS": f"arn:aws:iam::{B}:role/ops"}))) == {f"{B}:role/ops"}
    assert m.named_by(policy({"Service": "ec2.amazonaws.com"})) == []
    assert m.named_by(policy("*")) is None
