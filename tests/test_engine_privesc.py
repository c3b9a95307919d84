"""Every escalation method fires on a minimal estate and not on its near miss: the same estate with
one fact changed (a permission missing, scoped to another resource, under a condition that cannot
hold, outside a permission boundary, denied by an SCP at one level of the Organizations tree, or a
fact of the estate: a role not attached, a trust policy that does not name the caller, ...).

The estate is built as the engine reads it (IamModel, AwsFacts); CAN_ASSUME comes from the real
assume derivation. docs/engine.md's method table names these tests; a test checks it stays true."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from cloudmap.engine.iam_model import IamModel, Principal, safe_statements
from cloudmap.engine.identity import aws_assume
from cloudmap.engine.privesc import AwsFacts, aws_escalations, azure_escalations
from cloudmap.engine.privesc_methods import AWS_METHODS, AZURE_METHODS, METHODS, Method

ACCT, REGION = "111111111111", "eu-west-1"
A = f"arn:aws:iam::{ACCT}:"
ATTACKER_USER, ATTACKER_ROLE = A + "user/attacker", A + "role/attacker"
VICTIM, ROLE, CURRENT, OTHER = A + "user/victim", A + "role/target", A + "role/current", A + "role/other"
MY_GROUP, THEIR_GROUP = A + "group/mine", A + "group/admins"
MY_POLICY, ROLE_POLICY = A + "policy/mine", A + "policy/target-policy"
PROFILE = A + "instance-profile/web"
BY_ID = {m.id: m for m in METHODS}


def arn_for(label: str) -> str:
    return {
        "AWSLambdaFunction": f"arn:aws:lambda:{REGION}:{ACCT}:function:f",
        "AWSInstance": f"arn:aws:ec2:{REGION}:{ACCT}:instance/i-1",
        "AWSLaunchTemplate": f"arn:aws:ec2:{REGION}:{ACCT}:launch-template/lt-1",
        "AWSCloudFormationStack": f"arn:aws:cloudformation:{REGION}:{ACCT}:stack/net/1",
        "AWSCloudFormationStackSet": f"arn:aws:cloudformation:{REGION}:{ACCT}:stackset/base:1",
        "AWSCodeBuildProject": f"arn:aws:codebuild:{REGION}:{ACCT}:project/app",
        "AWSGlueDevEndpoint": f"arn:aws:glue:{REGION}:{ACCT}:devEndpoint/dev",
        "AWSGlueJob": f"arn:aws:glue:{REGION}:{ACCT}:job/etl",
        "AWSSageMakerNotebook": f"arn:aws:sagemaker:{REGION}:{ACCT}:notebook-instance/nb",
        "AWSAppRunnerService": f"arn:aws:apprunner:{REGION}:{ACCT}:service/web/1",
        "AWSBedrockCodeInterpreter": f"arn:aws:bedrock-agentcore:{REGION}:{ACCT}:code-interpreter/ci",
        "AWSECSTask": f"arn:aws:ecs:{REGION}:{ACCT}:task/prod/t1",
        "AWSECSService": f"arn:aws:ecs:{REGION}:{ACCT}:service/prod/api",
        "AWSECSCluster": f"arn:aws:ecs:{REGION}:{ACCT}:cluster/prod",
    }[label]


def doc(*statements) -> str:
    return json.dumps({"Version": "2012-10-17", "Statement": list(statements)})


def allow(actions, resource="*", condition=None) -> dict:
    st = {"Effect": "Allow", "Action": list(actions), "Resource": resource}
    if condition:
        st["Condition"] = condition
    return st


@dataclass
class Estate:
    """The default estate of a method: the attacker is allowed every action of the method on '*'."""
    method: Method
    statements: list[dict] = field(default_factory=list)
    boundary: list[dict] | None = None
    scps: list[list[dict]] | None = None           # one list of statements per level
    attacker_tags: dict = field(default_factory=lambda: {"team": "blue"})
    victim_keys: int = 0
    victim_password: bool = False
    victim_tags: dict = field(default_factory=lambda: {"team": "blue"})
    trust_names_attacker: bool = True
    role_service: str | None = None                 # default: the method's service (or ec2)
    resources_have_role: bool = True
    resource_labels: tuple[str, ...] | None = None  # default: every label a method uses or needs
    resource_tags: dict = field(default_factory=lambda: {"env": "prod"})
    policy_version: str = "v2"
    role_can_escalate: bool = True                  # the target role's own PutRolePolicy on itself

    @property
    def attacker(self) -> str:
        return ATTACKER_ROLE if self.method.target == "self-role" else ATTACKER_USER

    def build(self) -> tuple[IamModel, AwsFacts]:
        m = self.method
        service = self.role_service or m.service or "ec2.amazonaws.com"
        trust = [{"Effect": "Allow", "Principal": {"Service": service}, "Action": "sts:AssumeRole"}]
        if self.trust_names_attacker:
            trust.append({"Effect": "Allow", "Principal": {"AWS": self.attacker}, "Action": "sts:AssumeRole"})
        model = IamModel()

        def add(arn, kind, policies=(), groups=(), trust_policy=None, tags=None, boundary=None, scps=None):
            pols = list(policies)
            p = Principal(arn, kind, ACCT, pols, list(groups),
                          safe_statements([(arn + "#boundary", doc(*boundary))], print) if boundary else None,
                          tuple(safe_statements([(f"scp-{i}", doc(*lvl))], print) for i, lvl in enumerate(scps))
                          if scps else None, trust_policy, tags)
            p.statements = safe_statements([(pid, d) for pid, d, _ in pols if d], print)
            model.add(p)
            for pid, _, _ in pols:
                model.policy_holders.setdefault(pid, set()).add(arn)
            for g in groups:
                model.group_members.setdefault(g, set()).add(arn)

        add(self.attacker, "Role" if self.attacker == ATTACKER_ROLE else "User",
            [(self.attacker + "#inline", doc(*self.statements) if self.statements else None, "own"),
             (MY_POLICY, doc(allow(["s3:ListBucket"])), "own")],
            groups=[] if self.attacker == ATTACKER_ROLE else [MY_GROUP],
            trust_policy=doc({"Effect": "Allow", "Principal": {"Service": "ec2.amazonaws.com"},
                              "Action": "sts:AssumeRole"}) if self.attacker == ATTACKER_ROLE else None,
            tags=self.attacker_tags, boundary=self.boundary, scps=self.scps)
        add(VICTIM, "User", tags=self.victim_tags)
        role_rights = [allow(["iam:PutRolePolicy"], ROLE)] if self.role_can_escalate else [allow(["s3:ListBucket"])]
        add(ROLE, "Role", [(ROLE_POLICY, doc(*role_rights), "own")], trust_policy=doc(*trust), tags={"env": "prod"})
        add(CURRENT, "Role", trust_policy=doc({"Effect": "Allow", "Principal": {"Service": "ec2.amazonaws.com"},
                                               "Action": "sts:AssumeRole"}))
        add(OTHER, "Role", trust_policy=doc({"Effect": "Allow", "Principal": {"Service": "elsewhere.amazonaws.com"},
                                             "Action": "sts:AssumeRole"}))
        labels = self.resource_labels
        if labels is None:
            labels = tuple(sorted({lbl for x in AWS_METHODS for lbl in (*x.uses, x.needs) if lbl}))
        swap = m.target == "profile-swap"
        resources = [{"id": arn_for(lbl), "labels": ["Asset", lbl], "tags": dict(self.resource_tags),
                      "identity": (CURRENT if swap else ROLE) if self.resources_have_role and
                      lbl not in ("AWSECSCluster", "AWSCloudFormationStackSet", "AWSGlueJob", "AWSECSService")
                      else None,
                      "profile": PROFILE if lbl == "AWSInstance" else None} for lbl in labels]
        facts = AwsFacts(groups=[MY_GROUP, THEIR_GROUP],
                         policies={MY_POLICY: {"default_version_id": self.policy_version},
                                   ROLE_POLICY: {"default_version_id": "v1"}},
                         resources=resources,
                         users={VICTIM: {"keys": self.victim_keys, "password": self.victim_password}})
        facts.assume = list(aws_assume(model))
        return model, facts

    def edges(self) -> list[dict]:
        model, facts = self.build()
        return [e for e in aws_escalations(model, facts) if e["method_id"] == self.method.id]


def expected_target(m: Method, attacker: str) -> str:
    if m.target.startswith("self-"):
        return attacker
    return {"group": THEIR_GROUP, "user": VICTIM}.get(m.target, ROLE)


def fire_estate(m: Method) -> Estate:
    e = Estate(m, [allow(m.actions)])
    if m.retag:   # the action is allowed only on a tag the resource lacks; the caller may set tags
        e.statements = [allow(m.actions, condition={"StringEquals": {"aws:ResourceTag/team": "red"}}),
                        allow([m.retag[0]])]
    if m.target == "deputy":
        e.statements = [allow(["lambda:InvokeFunction"], arn_for("AWSLambdaFunction"))]
    return e


def fire_setup(m: Method) -> Estate:
    e = fire_estate(m)
    if m.id == "iam-003":
        e.victim_keys = 2            # the variation for a user that already has two keys
    if m.id in ("iam-006", "cm-iam-003"):
        e.victim_password = True     # UpdateLoginProfile needs an existing password
    return e


def without_last(m: Method) -> list[dict]:
    return [allow([a for a in m.actions if a != m.actions[-1]])] if len(m.actions) > 1 else []


# The near miss of each method: the one fact that breaks it.
UNMET = {"StringEquals": {"aws:PrincipalTag/team": "red"}}   # the attacker is tagged team=blue
ONLY_S3 = [allow(["s3:*"])]


def near_miss(m: Method) -> Estate:
    e = fire_setup(m)
    kind = MISS[m.id]
    if kind == "missing":
        e.statements = without_last(m) + e.statements[1:]
    elif kind == "resource":     # allowed on a resource of the same kind that leads nowhere
        e.statements = [allow(m.actions, "arn:aws:*:*:*:*decoy*")]
    elif kind == "condition":
        e.statements = [allow(m.actions, condition=UNMET)]
    elif kind == "boundary":
        e.boundary = ONLY_S3
    elif kind == "scp":          # the root allows everything, an OU below it only S3
        e.scps = [[allow(["*"])], ONLY_S3]
    elif kind == "deny":         # a deny whose condition always holds (the attacker is team=blue)
        e.statements.append({"Effect": "Deny", "Action": list(m.actions), "Resource": "*",
                             "Condition": {"StringEquals": {"aws:PrincipalTag/team": "blue"}}})
    elif kind == "passed-to":    # PassRole only to another service
        e.statements = [allow(m.actions[1:]), allow(["iam:PassRole"], condition={
            "StringEquals": {"iam:PassedToService": "elsewhere.amazonaws.com"}})]
    elif kind == "trust":        # the role trusts another service
        e.role_service = "elsewhere.amazonaws.com"
    elif kind == "not-assumable":
        e.trust_names_attacker = False
    elif kind == "no-role":      # the resource exists but no role is attached to it
        e.resources_have_role = False
    elif kind == "no-resource":
        e.resource_labels = ()
    elif kind == "two-keys":
        e.victim_keys = 2
    elif kind == "one-key":
        e.victim_keys = 1
    elif kind == "has-password":
        e.victim_password = True
    elif kind == "no-retag":
        e.statements = e.statements[:1]
    elif kind == "v1":
        e.policy_version = "v1"
    elif kind == "policy-arn":   # may attach only a given policy, not an admin one
        e.statements = [allow(m.actions, condition={"ArnEquals": {"iam:PolicyARN": A + "policy/readonly"}})]
    elif kind == "deputy-harmless":
        e.role_can_escalate = False
    else:
        raise AssertionError(kind)
    return e


MISS = {
    "iam-001": "resource", "iam-002": "two-keys", "iam-003": "one-key", "iam-004": "has-password",
    "iam-005": "boundary", "iam-006": "condition", "iam-007": "scp", "iam-008": "policy-arn",
    "iam-009": "policy-arn", "iam-010": "deny", "iam-011": "resource", "iam-012": "scp", "iam-013": "condition",
    "iam-014": "not-assumable", "iam-015": "missing", "iam-016": "not-assumable", "iam-017": "boundary",
    "iam-018": "missing", "iam-019": "missing", "iam-020": "missing", "iam-021": "resource",
    "sts-001": "not-assumable",
    "lambda-001": "missing", "lambda-002": "passed-to", "lambda-003": "no-role", "lambda-004": "missing",
    "lambda-005": "resource", "lambda-006": "trust",
    "ec2-001": "passed-to", "ec2-002": "missing", "ec2-003": "scp", "ec2-004": "no-role",
    "ec2instanceconnect-003": "resource",
    "cloudformation-001": "trust", "cloudformation-002": "no-role", "cloudformation-003": "missing",
    "cloudformation-004": "no-resource", "cloudformation-005": "missing",
    "codebuild-001": "missing", "codebuild-002": "resource", "codebuild-003": "no-role", "codebuild-004": "boundary",
    "datapipeline-001": "missing",
    "ecs-001": "missing", "ecs-002": "trust", "ecs-003": "no-resource", "ecs-004": "no-resource",
    "ecs-005": "condition",
    "glue-001": "trust", "glue-002": "no-role", "glue-003": "missing", "glue-004": "condition",
    "glue-005": "no-resource", "glue-006": "deny",
    "sagemaker-001": "passed-to", "sagemaker-002": "trust", "sagemaker-003": "scp", "sagemaker-004": "no-role",
    "sagemaker-005": "missing",
    "ssm-001": "resource", "ssm-002": "deny",
    "apprunner-001": "trust", "apprunner-002": "no-role",
    "bedrock-001": "missing", "bedrock-002": "resource",
    "cm-iam-001": "v1", "cm-iam-002": "no-retag", "cm-iam-003": "no-retag",
    "cm-iam-004": "missing", "cm-ec2-001": "no-retag", "cm-ec2-002": "no-retag", "cm-ecs-001": "no-resource",
    "cm-ecs-002": "no-role", "cm-glue-001": "missing", "cm-lambda-001": "deputy-harmless",
}


@pytest.mark.parametrize("method_id", [m.id for m in AWS_METHODS])
def test_method_fires(method_id):
    m = BY_ID[method_id]
    e = fire_setup(m)
    targets = {(x["source"], x["target"]) for x in e.edges()}
    assert (e.attacker, expected_target(m, e.attacker)) in targets, targets
    if m.target == "passrole":   # a role that trusts another service is no way in
        assert (e.attacker, OTHER) not in targets


@pytest.mark.parametrize("method_id", [m.id for m in AWS_METHODS])
def test_method_near_miss(method_id):
    m = BY_ID[method_id]
    e = near_miss(m)
    targets = {(x["source"], x["target"]) for x in e.edges()}
    assert (e.attacker, expected_target(m, e.attacker)) not in targets, (MISS[method_id], targets)


# -- edge contents ---------------------------------------------------------------------------------

def test_edges_carry_method_id_explanation_steps_and_confidence():
    m = BY_ID["iam-014"]
    [edge] = [x for x in fire_estate(m).edges() if x["target"] == ROLE]
    assert edge["method_id"] == "iam-014" and edge["conditional"] is False and edge["condition"] is None
    assert edge["steps"] == [f"iam:AttachRolePolicy on {ROLE}", f"sts:AssumeRole on {ROLE}"]
    assert edge["confidence"] == "high"
    deputy = [x for x in fire_estate(BY_ID["cm-lambda-001"]).edges()]
    assert deputy and all(x["confidence"] == "low" for x in deputy)
    assert all(x.explanation and x.actions for x in METHODS)


def test_unknowable_condition_keeps_the_edge_conditional_with_its_text():
    m = BY_ID["iam-002"]
    mfa = {"Bool": {"aws:MultiFactorAuthPresent": "true"}}
    [edge] = Estate(m, [allow(m.actions, condition=mfa)]).edges()
    assert edge["conditional"] is True
    assert edge["condition"] == json.dumps({"Bool": {"aws:MultiFactorAuthPresent": ["true"]}})


def test_attacker_controlled_keys_are_satisfiable():
    m = BY_ID["lambda-001"]
    tagged = {"StringEquals": {"aws:RequestTag/owner": "attacker", "aws:RequestedRegion": "ap-south-1"}}
    edges = Estate(m, [allow(m.actions, condition=tagged)]).edges()
    assert [(x["target"], x["conditional"]) for x in edges] == [(ROLE, False)]


def test_resource_tag_condition_on_a_known_tag():
    m = BY_ID["ssm-001"]
    for tags, fires in (({"env": "prod"}, True), ({"env": "dev"}, False)):
        e = Estate(m, [allow(m.actions, condition={"StringEquals": {"aws:ResourceTag/env": "prod"}})],
                   resource_tags=tags)
        assert bool(e.edges()) is fires, tags


def test_existing_resource_methods_reach_only_the_attached_role():
    m = BY_ID["codebuild-002"]
    assert {x["target"] for x in Estate(m, [allow(m.actions)]).edges()} == {ROLE}


def test_no_escalation_into_another_account():
    """IAM permissions act only in the caller's account: '*' does not reach a role of account B."""
    e = Estate(BY_ID["iam-012"], [allow(["iam:UpdateAssumeRolePolicy"])])
    model, facts = e.build()
    foreign = Principal("arn:aws:iam::222222222222:role/foreign", "Role", "222222222222", [], [], None, None, None)
    model.add(foreign)
    targets = {x["target"] for x in aws_escalations(model, facts) if x["method_id"] == "iam-012"}
    assert ROLE in targets and foreign.id not in targets


# -- Azure -----------------------------------------------------------------------------------------

def assignment(principal_id, scope, actions, role_type="BuiltInRole", rid="rd"):
    return {"assignment": f"ra-{principal_id}-{rid}", "principal": principal_id, "scope": scope,
            "role": {"id": rid, "name": "role", "actions": list(actions), "role_type": role_type}}


RG = "/subscriptions/s1/resourcegroups/rg"
AZ_COMPUTE = [
    {"id": RG + "/providers/microsoft.compute/virtualmachines/vm", "labels": ["Asset", "VirtualMachine"], "identity": "mi-vm"},
    {"id": RG + "/providers/microsoft.web/sites/app", "labels": ["Asset", "Function"], "identity": "mi-app"},
    {"id": RG + "/providers/microsoft.automation/automationaccounts/auto", "labels": ["Asset", "AutomationAccount"],
     "identity": "mi-auto"},
    {"id": RG + "/providers/microsoft.containerservice/managedclusters/aks", "labels": ["Asset", "Cluster"],
     "identity": "mi-kubelet"},
]
AZ_EXPECTED = {"azure-scope": "attacker", "azure-roledef": "attacker", "azure-compute:VirtualMachine": "mi-vm",
               "azure-compute:Function": "mi-app", "azure-compute:AutomationAccount": "mi-auto",
               "azure-compute:Cluster": "mi-kubelet"}


def azure_targets(method: Method, assignments) -> set[str]:
    return {e["target"] for e in azure_escalations(assignments, AZ_COMPUTE) if e["method_id"] == method.id}


def azure_fire(method: Method) -> list[dict]:
    out = [assignment("attacker", RG, method.actions)]
    if method.target == "azure-roledef":
        out.append(assignment("attacker", RG, ["Microsoft.Compute/*/read"], "CustomRole", "custom"))
    return out


@pytest.mark.parametrize("method_id", [m.id for m in AZURE_METHODS])
def test_azure_method_fires(method_id):
    m = BY_ID[method_id]
    assert AZ_EXPECTED[m.target] in azure_targets(m, azure_fire(m))


@pytest.mark.parametrize("method_id", [m.id for m in AZURE_METHODS])
def test_azure_method_near_miss(method_id):
    m = BY_ID[method_id]
    if m.target == "azure-roledef":   # only built-in roles are assigned: there is nothing to rewrite
        miss = [assignment("attacker", RG, m.actions)]
    elif m.target == "azure-scope" or len(m.actions) == 1:
        miss = [assignment("attacker", "/subscriptions/s1/resourcegroups/other", m.actions)] \
            if m.target != "azure-scope" else [assignment("attacker", RG, ["Microsoft.Compute/*/read"])]
    else:                             # one of two permissions
        miss = [assignment("attacker", RG, m.actions[:-1])]
    assert AZ_EXPECTED[m.target] not in azure_targets(m, miss)


# -- the method table, the catalogue and the docs --------------------------------------------------

CATALOGUE = Path(__file__).parent / "fixtures" / "aws-privesc-catalogue-ids.txt"
ENGINE_DOC = Path(__file__).parent.parent / "docs" / "engine.md"


def test_every_catalogue_path_has_a_method_with_tests_and_a_row_in_the_docs():
    ids = CATALOGUE.read_text().split()
    assert len(ids) == 65
    methods = {m.id for m in METHODS}
    assert not set(ids) - methods, f"catalogue ids without a method: {sorted(set(ids) - methods)}"
    assert set(MISS) == {m.id for m in AWS_METHODS}, "every AWS method needs a near miss"
    rows = {}
    for line in ENGINE_DOC.read_text().splitlines():
        cells = [c.strip().strip("`") for c in line.strip().strip("|").split("|")]
        if len(cells) == 4 and cells[1] in methods:
            rows[cells[1]] = cells
    assert set(rows) == methods, f"methods without a row in docs/engine.md: {sorted(methods - set(rows))}"
    for mid, (name, _, _, tests) in rows.items():
        m = BY_ID[mid]
        assert name == m.name, (mid, name)
        prefix = "test_azure_method" if m in AZURE_METHODS else "test_method"
        named = set(re.findall(r"test_[a-z_]+\[[a-z0-9-]+\]", tests))
        assert named == {f"{prefix}_fires[{mid}]", f"{prefix}_near_miss[{mid}]"}, (mid, tests)


def test_automation_account_rows_become_workloads_with_their_identity():
    """A Resource Graph row of an Automation account: the kind azure-008 acts on, with its identity."""
    from cloudmap.loaders.azure.plan import Res
    from cloudmap.loaders.azure.transform import build_plan

    aid = "/subscriptions/s1/resourceGroups/rg/providers/Microsoft.Automation/automationAccounts/ops"
    plan = build_plan([Res({"id": aid, "name": "ops", "type": "Microsoft.Automation/automationAccounts",
                            "subscriptionId": "s1", "properties": {"state": "Ok", "publicNetworkAccess": True},
                            "identity": {"type": "SystemAssigned", "principalId": "p-1", "tenantId": "t"}}, "row 1")])
    kinds = {kind.name: rows for kind, rows in plan.nodes.items()}
    assert aid.lower() in kinds["AzureAutomationAccount"]
    uses = {pair for rels in plan.rels.values() for kind, pairs in rels.items() if kind.type == "USES_IDENTITY"
            for pair in pairs}
    assert (aid.lower(), aid.lower() + "/identities/system") in uses
