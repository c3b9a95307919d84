"""Every privilege-escalation method fires on a minimal estate and not on its near miss (one
permission short, or a role that does not trust the service)."""

from __future__ import annotations

import json

import pytest

from cloudmap.engine.iam_model import IamModel, Principal, safe_statements
from cloudmap.engine.privesc import METHODS, aws_escalations, azure_escalations

A = "arn:aws:iam::111111111111:"
ATTACKER, VICTIM, ROLE, OTHER = A + "user/attacker", A + "user/victim", A + "role/target", A + "role/other"
GROUP, POLICY = A + "group/admins", A + "policy/victim-policy"
FUNCTION, INSTANCE = "arn:aws:lambda:eu-west-1:111111111111:function:f", "arn:aws:ec2:eu-west-1:111111111111:instance/i-1"
AWS_METHODS = [m for m in METHODS if not m.target.startswith("azure")]
AZURE_METHODS = [m for m in METHODS if m.target.startswith("azure")]


def trust(service):
    return json.dumps({"Statement": [{"Effect": "Allow", "Principal": {"Service": service}, "Action": "sts:AssumeRole"}]})


def principal(arn, kind, actions=(), trust_policy=None, groups=()):
    doc = json.dumps({"Statement": [{"Effect": "Allow", "Action": list(actions), "Resource": "*"}]}) if actions else None
    policies = [(arn + "#inline", doc, "own")] if doc else []
    p = Principal(arn, kind, "111111111111", policies, list(groups), None, None, trust_policy)
    p.statements = safe_statements([(pid, d) for pid, d, _ in policies], print)
    return p


def estate(method, actions):
    service = method.target.split(":", 1)[1] if method.target.startswith("passrole:") else "none.amazonaws.com"
    model = IamModel()
    for p in (principal(ATTACKER, "User", actions), principal(VICTIM, "User", groups=[GROUP]),
              principal(ROLE, "Role", trust_policy=trust(service)),
              principal(OTHER, "Role", trust_policy=trust("elsewhere.amazonaws.com"))):
        model.principals[p.id] = p
    model.group_members = {GROUP: {VICTIM}}
    model.policy_holders = {POLICY: {VICTIM}}
    compute = [{"id": FUNCTION, "labels": ["Asset", "Function"], "provider": "aws", "identity": ROLE},
               {"id": INSTANCE, "labels": ["Asset", "VirtualMachine"], "provider": "aws", "identity": ROLE}]
    return {(e["target"]) for e in aws_escalations(model, [GROUP], [POLICY], compute) if e["method"] == method.name}


EXPECTED = {"user": VICTIM, "role": ROLE, "group": GROUP, "group-members": VICTIM, "policy": VICTIM}


@pytest.mark.parametrize("method", AWS_METHODS, ids=[m.name for m in AWS_METHODS])
def test_aws_method_fires_and_near_miss_does_not(method):
    expected = EXPECTED.get(method.target, ROLE)
    fired = estate(method, method.actions)
    assert expected in fired, fired
    if method.target.startswith("passrole:"):   # a role that trusts another service is no way in
        assert OTHER not in fired, fired
    assert expected not in estate(method, method.actions[:-1])
    assert method.explanation


def assignment(principal_id, scope, actions):
    return {"assignment": f"ra-{principal_id}", "principal": principal_id, "scope": scope,
            "role": {"id": "rd", "name": "role", "actions": list(actions)}}


@pytest.mark.parametrize("method", AZURE_METHODS, ids=[m.name for m in AZURE_METHODS])
def test_azure_method_fires_and_near_miss_does_not(method):
    rg = "/subscriptions/s1/resourcegroups/rg"
    vm, app = rg + "/providers/microsoft.compute/virtualmachines/vm", rg + "/providers/microsoft.web/sites/app"
    compute = [{"id": vm, "labels": ["Asset", "VirtualMachine"], "identity": "mi-vm"},
               {"id": app, "labels": ["Asset", "Function"], "identity": "mi-app"}]
    expected = {"azure-scope": "attacker", "azure-compute:VirtualMachine": "mi-vm",
                "azure-compute:Function": "mi-app"}[method.target]

    def targets(assignments):
        return {e["target"] for e in azure_escalations(assignments, compute) if e["method"] == method.name}

    assert expected in targets([assignment("attacker", rg, method.actions)])
    assert expected not in targets([assignment("attacker", rg, ["Microsoft.Compute/virtualMachines/read"])])
    # granted on another resource group: out of scope
    if method.target != "azure-scope":
        assert expected not in targets([assignment("attacker", "/subscriptions/s1/resourcegroups/other", method.actions)])


def test_no_escalation_into_another_account():
    """IAM permissions act only in the caller's account: '*' does not reach a role of account B."""
    model = IamModel()
    attacker = principal(ATTACKER, "User", ("iam:AttachRolePolicy",))
    foreign = Principal("arn:aws:iam::222222222222:role/foreign", "Role", "222222222222", [], [], None, None, None)
    for p in (attacker, principal(ROLE, "Role"), foreign):
        model.principals[p.id] = p
    targets = {e["target"] for e in aws_escalations(model, [], [], []) if e["source"] == ATTACKER}
    assert ROLE in targets and foreign.id not in targets
