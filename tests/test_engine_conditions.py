"""The IAM condition evaluator, per operator family, with IfExists, the set prefixes, known,
attacker-controlled and unknowable keys; and how evaluate() uses it for allows and denies."""

from __future__ import annotations

import json

import pytest

from cloudmap.engine.aws_conditions import FALSE, TRUE, UNKNOWN, RequestContext, evaluate, parse_conditions
from cloudmap.engine.aws_policy import NEW_RESOURCE, parse_policy
from cloudmap.engine.aws_policy import evaluate as evaluate_policy

CTX = RequestContext(
    values={"aws:principalarn": ("arn:aws:iam::111111111111:user/dev",), "aws:principalaccount": ("111111111111",),
            "aws:requestedregion": ("eu-west-1",), "aws:epochtime": ("1700000000",),
            "aws:currenttime": ("2026-12-01T12:00:00Z",), "aws:securetransport": ("true",),
            "aws:sourceip": ("10.1.2.3",), "iam:passedtoservice": ("lambda.amazonaws.com",),
            "aws:calledvia": ("cloudformation.amazonaws.com", "athena.amazonaws.com")},
    principal_tags={"Team": "blue"}, resource_tags={"env": "prod"})


def holds(block: dict, ctx: RequestContext = CTX, attacker_wants: bool = True):
    return evaluate(parse_conditions(block), ctx, attacker_wants)


@pytest.mark.parametrize("block, expected", [
    # String
    ({"StringEquals": {"aws:PrincipalTag/team": "blue"}}, TRUE),          # tag keys: case-insensitive
    ({"StringEquals": {"aws:PrincipalTag/team": ["red", "green"]}}, FALSE),
    ({"StringNotEquals": {"aws:PrincipalTag/team": "red"}}, TRUE),
    ({"StringEqualsIgnoreCase": {"aws:PrincipalTag/team": "BLUE"}}, TRUE),
    ({"StringNotEqualsIgnoreCase": {"aws:PrincipalTag/team": "BLUE"}}, FALSE),
    ({"StringLike": {"aws:PrincipalArn": "arn:aws:iam::*:user/d?v"}}, TRUE),
    ({"StringNotLike": {"aws:PrincipalArn": "arn:aws:iam::*:user/ops-*"}}, TRUE),
    ({"StringEquals": {"aws:PrincipalTag/owner": "x"}}, FALSE),            # tag absent: known missing
    ({"StringNotEquals": {"aws:PrincipalTag/owner": "x"}}, TRUE),          # negated on a missing key
    ({"StringEqualsIfExists": {"aws:PrincipalTag/owner": "x"}}, TRUE),
    ({"StringEquals": {"aws:username": "${aws:username}"}}, UNKNOWN),       # variable of an unknown key
    ({"StringLike": {"aws:PrincipalArn": "arn:aws:iam::${aws:PrincipalAccount}:user/*"}}, TRUE),
    # Arn
    ({"ArnEquals": {"aws:PrincipalArn": "arn:aws:iam::111111111111:user/dev"}}, TRUE),
    ({"ArnLike": {"aws:PrincipalArn": "arn:aws:iam::222222222222:*"}}, FALSE),
    ({"ArnNotLike": {"aws:PrincipalArn": "arn:aws:iam::222222222222:*"}}, TRUE),
    # Numeric
    ({"NumericLessThan": {"aws:EpochTime": "1800000000"}}, TRUE),
    ({"NumericGreaterThanEquals": {"aws:EpochTime": "1800000000"}}, FALSE),
    ({"NumericNotEquals": {"aws:EpochTime": "1700000000"}}, FALSE),
    # Date
    ({"DateLessThan": {"aws:CurrentTime": "2027-01-01T00:00:00Z"}}, TRUE),
    ({"DateGreaterThan": {"aws:CurrentTime": "2027-01-01T00:00:00Z"}}, FALSE),
    ({"DateEquals": {"aws:EpochTime": "1700000000"}}, TRUE),              # epoch seconds are dates too
    # Bool
    ({"Bool": {"aws:SecureTransport": "true"}}, TRUE),
    ({"Bool": {"aws:SecureTransport": False}}, FALSE),
    # IpAddress
    ({"IpAddress": {"aws:SourceIp": "10.0.0.0/8"}}, TRUE),
    ({"IpAddress": {"aws:SourceIp": ["192.168.0.0/16", "203.0.113.0/24"]}}, FALSE),
    ({"NotIpAddress": {"aws:SourceIp": "192.168.0.0/16"}}, TRUE),
    # Null
    ({"Null": {"aws:PrincipalTag/owner": "true"}}, TRUE),
    ({"Null": {"aws:PrincipalTag/team": "true"}}, FALSE),
    ({"Null": {"aws:ResourceTag/env": "false"}}, TRUE),
    # set operators on a multivalued key
    ({"ForAnyValue:StringEquals": {"aws:CalledVia": "athena.amazonaws.com"}}, TRUE),
    ({"ForAllValues:StringEquals": {"aws:CalledVia": "athena.amazonaws.com"}}, FALSE),
    ({"ForAllValues:StringLike": {"aws:CalledVia": "*.amazonaws.com"}}, TRUE),
    ({"ForAllValues:StringEquals": {"aws:PrincipalTag/none": "x"}}, TRUE),   # empty set: vacuously true
    ({"ForAnyValue:StringEquals": {"aws:PrincipalTag/none": "x"}}, FALSE),
    ({"ForAnyValue:StringNotEquals": {"aws:CalledVia": "athena.amazonaws.com"}}, TRUE),
    # several keys and operators: all must hold
    ({"StringEquals": {"aws:PrincipalTag/team": "blue", "aws:RequestedRegion": "us-east-1"}}, FALSE),
    ({"StringEquals": {"aws:RequestedRegion": "eu-west-1"}, "Bool": {"aws:SecureTransport": "true"}}, TRUE),
])
def test_operator_families(block, expected):
    assert holds(block) is expected


def test_unknowable_keys_are_unknown_and_false_wins_over_unknown():
    assert holds({"Bool": {"aws:MultiFactorAuthPresent": "true"}}) is UNKNOWN
    assert holds({"IpAddress": {"aws:SourceIp": "10.0.0.0/8"}}, RequestContext()) is UNKNOWN
    assert holds({"StringEquals": {"aws:SourceVpc": "vpc-1", "aws:PrincipalTag/team": "red"}}) is FALSE
    assert holds({"StringEquals": {"aws:ResourceTag/env": "prod"}}, RequestContext(resource_tags=None)) is UNKNOWN
    assert holds({"BinaryEquals": {"aws:PrincipalTag/team": "Ymx1ZQ=="}}) is UNKNOWN   # not evaluated


def test_attacker_controlled_keys_meet_allows_and_miss_denies():
    block = {"StringEquals": {"aws:RequestTag/owner": "ops", "sts:RoleSessionName": "x"}}
    assert holds(block, attacker_wants=True) is TRUE
    assert holds(block, attacker_wants=False) is FALSE
    retagged = RequestContext(resource_tags={"env": "dev"}, chosen=("aws:resourcetag/",))
    assert holds({"StringEquals": {"aws:ResourceTag/env": "prod"}}, retagged) is TRUE


def _policy(*statements):
    return parse_policy(json.dumps({"Statement": list(statements)}), "p")


ALLOW = {"Effect": "Allow", "Action": "iam:CreateAccessKey", "Resource": "*"}


def test_evaluate_removes_unmeetable_allows_and_applies_always_true_denies():
    unmet = {**ALLOW, "Condition": {"StringEquals": {"aws:PrincipalTag/team": "red"}}}
    assert not evaluate_policy("iam:CreateAccessKey", "arn:aws:iam::1:user/u", _policy(unmet), context=CTX).allowed
    deny = {"Effect": "Deny", "Action": "iam:*", "Resource": "*",
            "Condition": {"StringEquals": {"aws:RequestedRegion": "eu-west-1"}}}
    d = evaluate_policy("iam:CreateAccessKey", "arn:aws:iam::1:user/u", _policy(ALLOW, deny), context=CTX)
    assert (d.allowed, d.reason) == (False, "explicit deny")
    missed = {**deny, "Condition": {"StringEquals": {"aws:RequestedRegion": "us-east-1"}}}
    d = evaluate_policy("iam:CreateAccessKey", "arn:aws:iam::1:user/u", _policy(ALLOW, missed), context=CTX)
    assert (d.allowed, d.conditional) == (True, False)


def test_evaluate_keeps_undecided_conditions_on_the_decision():
    mfa = {**ALLOW, "Condition": {"Bool": {"aws:MultiFactorAuthPresent": "true"}}}
    d = evaluate_policy("iam:CreateAccessKey", "arn:aws:iam::1:user/u", _policy(mfa), context=CTX)
    assert (d.allowed, d.conditional) == (True, True)
    assert d.conditions == ['{"Bool": {"aws:MultiFactorAuthPresent": ["true"]}}']
    plain = evaluate_policy("iam:CreateAccessKey", "arn:aws:iam::1:user/u", _policy(mfa, ALLOW), context=CTX)
    assert (plain.allowed, plain.conditional, plain.conditions) == (True, False, [])


def test_scps_must_allow_at_every_level_and_new_resources_match_any_pattern():
    everything = _policy({"Effect": "Allow", "Action": "*", "Resource": "*"})
    only_s3 = _policy({"Effect": "Allow", "Action": "s3:*", "Resource": "*"})
    assert evaluate_policy("iam:CreateAccessKey", "*", everything, scps=[everything, everything]).allowed
    assert not evaluate_policy("iam:CreateAccessKey", "*", everything, scps=[everything, only_s3]).allowed
    named = _policy({"Effect": "Allow", "Action": "lambda:CreateFunction", "Resource": "arn:aws:lambda:*:*:function:x-*"})
    assert evaluate_policy("lambda:CreateFunction", NEW_RESOURCE, named).allowed
    deny_one = _policy({"Effect": "Deny", "Action": "lambda:*", "Resource": "arn:aws:lambda:*:*:function:prod"})
    assert evaluate_policy("lambda:CreateFunction", NEW_RESOURCE, named + deny_one).allowed
    deny_all = _policy({"Effect": "Deny", "Action": "lambda:*", "Resource": "*"})
    assert not evaluate_policy("lambda:CreateFunction", NEW_RESOURCE, named + deny_all).allowed
