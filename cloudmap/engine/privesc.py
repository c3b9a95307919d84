"""Privilege escalation: ``(:Identity)-[:CAN_ESCALATE_TO {method, evidence}]->(:Identity)``.

Every method is one entry of :data:`METHODS`: the permissions it needs, what it is checked against,
and why it works (catalogued by Rhino Security Labs, PMapper and pathfinding.cloud). An edge
``P -> T`` means P can gain T's privileges; when P can rewrite its *own* permissions the edge is a
self-loop (``P -> P``), which reads "P can make itself anything it wants".

Target kinds:

* ``user`` / ``role`` / ``group``: the action must be allowed on that principal's ARN;
* ``policy``: on a customer-managed policy attached to T (directly or through a group);
* ``passrole:<service>``: ``iam:PassRole`` on a role T that trusts the service, plus the service
  actions (on ``*``), lets P run code as T;
* ``compute:<label>``: the action on a workload that uses identity T lets P run code as T;
* ``azure-compute:<label>`` / ``azure-scope``: the same with Azure role assignments.
"""

from __future__ import annotations

import bisect
from collections.abc import Iterator
from dataclasses import dataclass

from cloudmap.engine.aws_policy import account_of
from cloudmap.engine.azure_rbac import ROLE_ASSIGNMENT_WRITE, RoleDefinition, scope_covers
from cloudmap.engine.iam_model import IamModel, Principal
from cloudmap.engine.writer import stream
from cloudmap.graph.driver import Graph


@dataclass(frozen=True)
class Method:
    name: str
    target: str
    actions: tuple[str, ...]      # all required (on the target resource for the first, "*" for the rest)
    explanation: str


METHODS: tuple[Method, ...] = (
    Method("iam:CreatePolicyVersion", "policy", ("iam:CreatePolicyVersion",),
           "Write a new default version of a managed policy attached to T, granting anything."),
    Method("iam:SetDefaultPolicyVersion", "policy", ("iam:SetDefaultPolicyVersion",),
           "Switch a managed policy attached to T to an older, broader version."),
    Method("iam:AttachUserPolicy", "user", ("iam:AttachUserPolicy",),
           "Attach AdministratorAccess (or any managed policy) to user T."),
    Method("iam:AttachGroupPolicy", "group-members", ("iam:AttachGroupPolicy",),
           "Attach any managed policy to a group T is a member of."),
    Method("iam:AttachRolePolicy", "role", ("iam:AttachRolePolicy",),
           "Attach any managed policy to role T."),
    Method("iam:PutUserPolicy", "user", ("iam:PutUserPolicy",), "Add an inline policy to user T."),
    Method("iam:PutGroupPolicy", "group-members", ("iam:PutGroupPolicy",),
           "Add an inline policy to a group T is a member of."),
    Method("iam:PutRolePolicy", "role", ("iam:PutRolePolicy",), "Add an inline policy to role T."),
    Method("iam:AddUserToGroup", "group", ("iam:AddUserToGroup",),
           "Add oneself to group T and inherit its policies (P must be a user)."),
    Method("iam:CreateAccessKey", "user", ("iam:CreateAccessKey",), "Create an access key for user T and sign in as T."),
    Method("iam:CreateLoginProfile", "user", ("iam:CreateLoginProfile",),
           "Give user T a console password and sign in as T."),
    Method("iam:UpdateLoginProfile", "user", ("iam:UpdateLoginProfile",),
           "Reset user T's console password and sign in as T."),
    Method("iam:UpdateAssumeRolePolicy", "role", ("iam:UpdateAssumeRolePolicy",),
           "Rewrite role T's trust policy to trust P, then assume it."),
    Method("iam:PassRole+lambda:CreateFunction+InvokeFunction", "passrole:lambda.amazonaws.com",
           ("iam:PassRole", "lambda:CreateFunction", "lambda:InvokeFunction"),
           "Create a function running as T and invoke it."),
    Method("iam:PassRole+lambda:CreateFunction+CreateEventSourceMapping", "passrole:lambda.amazonaws.com",
           ("iam:PassRole", "lambda:CreateFunction", "lambda:CreateEventSourceMapping"),
           "Create a function running as T, triggered by a stream or queue event."),
    Method("iam:PassRole+lambda:CreateFunction+AddPermission", "passrole:lambda.amazonaws.com",
           ("iam:PassRole", "lambda:CreateFunction", "lambda:AddPermission"),
           "Create a function running as T and allow oneself to invoke it."),
    Method("iam:PassRole+ec2:RunInstances", "passrole:ec2.amazonaws.com", ("iam:PassRole", "ec2:RunInstances"),
           "Launch an instance with T's instance profile and read its credentials from the metadata service."),
    Method("iam:PassRole+cloudformation:CreateStack", "passrole:cloudformation.amazonaws.com",
           ("iam:PassRole", "cloudformation:CreateStack"), "Create a stack that CloudFormation deploys as T."),
    Method("iam:PassRole+glue:CreateDevEndpoint", "passrole:glue.amazonaws.com",
           ("iam:PassRole", "glue:CreateDevEndpoint"), "Create a Glue development endpoint running as T and SSH in."),
    Method("iam:PassRole+glue:CreateJob", "passrole:glue.amazonaws.com",
           ("iam:PassRole", "glue:CreateJob", "glue:StartJobRun"), "Create and run a Glue job as T."),
    Method("iam:PassRole+datapipeline:CreatePipeline", "passrole:datapipeline.amazonaws.com",
           ("iam:PassRole", "datapipeline:CreatePipeline", "datapipeline:PutPipelineDefinition"),
           "Define a pipeline whose activities run commands as T."),
    Method("iam:PassRole+codebuild:CreateProject+StartBuild", "passrole:codebuild.amazonaws.com",
           ("iam:PassRole", "codebuild:CreateProject", "codebuild:StartBuild"),
           "Create a build project running as T with a build spec of one's choosing."),
    Method("iam:PassRole+sagemaker:CreateNotebookInstance", "passrole:sagemaker.amazonaws.com",
           ("iam:PassRole", "sagemaker:CreateNotebookInstance", "sagemaker:CreatePresignedNotebookInstanceUrl"),
           "Create a notebook instance as T and open it through a presigned URL."),
    Method("iam:PassRole+sagemaker:CreateTrainingJob", "passrole:sagemaker.amazonaws.com",
           ("iam:PassRole", "sagemaker:CreateTrainingJob"), "Run a training job container of one's choosing as T."),
    Method("iam:PassRole+ecs:RunTask", "passrole:ecs-tasks.amazonaws.com",
           ("iam:PassRole", "ecs:RegisterTaskDefinition", "ecs:RunTask"),
           "Register a task definition with T as task role and run it."),
    Method("iam:PassRole+apprunner:CreateService", "passrole:tasks.apprunner.amazonaws.com",
           ("iam:PassRole", "apprunner:CreateService"), "Create an App Runner service whose instance role is T."),
    Method("lambda:UpdateFunctionCode", "compute:Function", ("lambda:UpdateFunctionCode",),
           "Replace the code of a function that runs as T."),
    Method("ssm:SendCommand", "compute:VirtualMachine", ("ssm:SendCommand",),
           "Run a command on an instance whose profile role is T."),
    Method("ssm:StartSession", "compute:VirtualMachine", ("ssm:StartSession",),
           "Open a shell on an instance whose profile role is T."),
    Method("ec2-instance-connect:SendSSHPublicKey", "compute:VirtualMachine",
           ("ec2-instance-connect:SendSSHPublicKey",), "Push an SSH key to an instance whose profile role is T."),
    Method("azure:roleAssignments/write", "azure-scope", (ROLE_ASSIGNMENT_WRITE,),
           "Assign oneself any role (Owner) at the scope: Owner and User Access Administrator have this."),
    Method("azure:virtualMachines/write", "azure-compute:VirtualMachine",
           ("Microsoft.Compute/virtualMachines/write",),
           "Change a VM with managed identity T (extensions, custom data) to run code as T."),
    Method("azure:virtualMachines/runCommand", "azure-compute:VirtualMachine",
           ("Microsoft.Compute/virtualMachines/runCommand/action",), "Run a command on a VM with managed identity T."),
    Method("azure:sites/write", "azure-compute:Function", ("Microsoft.Web/sites/write",),
           "Deploy code to an app or function with managed identity T."),
)


def _service_trusted(model: IamModel, role: Principal, service: str) -> bool:
    return any(s.allow and s.principals and service in s.principals.get("Service", ())
               for s in model.trust(role))


def _all_allowed(p: Principal, first_resource: str, actions: tuple[str, ...]) -> tuple[bool, list[str]]:
    evidence: set[str] = set()
    for i, action in enumerate(actions):
        d = p.can(action, first_resource if i == 0 or action == "iam:PassRole" else "*")
        if not d.allowed:
            return False, []
        evidence.update(d.evidence)
    return True, sorted(evidence)


def aws_facts(graph: Graph) -> tuple[list[str], list[str], list[dict]]:
    """Groups, customer-managed policies, and compute with the identity it uses."""
    groups = [r["id"] for r in graph.read("MATCH (g:Group) WHERE coalesce(g.provider, 'aws') = 'aws' RETURN g.id AS id")]
    policies = [r["id"] for r in graph.read(
        "MATCH (x:Policy) WHERE x.policy_type = 'managed' AND coalesce(x.provider, 'aws') = 'aws' RETURN x.id AS id")]
    compute = list(stream(graph, "MATCH (c:Asset)-[:USES_IDENTITY]->(i:Identity) WHERE c:Function OR c:VirtualMachine "
                                 "RETURN c.id AS id, labels(c) AS labels, c.provider AS provider, i.id AS identity"))
    return groups, policies, compute


def aws_escalations(model: IamModel, groups: list[str], policies: list[str], compute: list[dict]) -> Iterator[dict]:
    facts = _AccountFacts(model, groups, policies, compute)
    for method in (m for m in METHODS if not m.target.startswith("azure")):
        for p in model.principals.values():
            if not all(p.could_ever(a) for a in method.actions):
                continue
            for resource, target in _candidates(method, p, model, facts.of(p.account_id)):
                if not _same_account(p.account_id, resource, target):
                    continue  # IAM, Lambda, EC2 and SSM calls only act inside the caller's own account
                ok, evidence = _all_allowed(p, resource, method.actions)
                if ok:
                    yield {"source": p.id, "target": target, "method": method.name, "evidence": evidence}


def _same_account(account: str, *arns: str) -> bool:
    return all(account_of(a) in ("", account) for a in arns)


class _AccountFacts:
    """Principals, groups, policies and compute by the account in their ARN: escalation stays
    inside the caller's account, so only that account's facts (and those of no known account)
    are candidates, which keeps the work linear in the number of accounts."""

    def __init__(self, model: IamModel, groups: list[str], policies: list[str], compute: list[dict]):
        self.index: dict[str, dict[str, list]] = {}
        self._merged: dict[str, dict[str, list]] = {}
        for kind, items, key in (("principals", model.principals.values(), lambda q: q.id),
                                 ("groups", groups, str), ("policies", policies, str),
                                 ("compute", compute, lambda c: c["id"])):
            for item in items:
                self.index.setdefault(account_of(key(item)), {}).setdefault(kind, []).append(item)

    def of(self, account: str) -> dict[str, list]:
        if account not in self._merged:
            keys = (account, "") if account else ("",)
            self._merged[account] = {kind: [x for k in keys for x in self.index.get(k, {}).get(kind, [])]
                                     for kind in ("principals", "groups", "policies", "compute")}
        return self._merged[account]


def _candidates(method: Method, p: Principal, model: IamModel, facts: dict[str, list]):
    """(resource the first action is asked on, the principal whose privileges P gains)."""
    t = method.target
    principals = facts["principals"]
    if t in ("user", "role"):
        yield from ((q.id, q.id) for q in principals if q.kind.lower() == t)
    elif t == "group":
        if p.kind == "User":
            yield from ((g, g) for g in facts["groups"])
    elif t == "group-members":
        for g in facts["groups"]:
            yield from ((g, member) for member in model.group_members.get(g, ()))
    elif t == "policy":
        for pol in facts["policies"]:
            yield from ((pol, holder) for holder in model.policy_holders.get(pol, ()))
    elif t.startswith("passrole:"):
        service = t.split(":", 1)[1]
        yield from ((q.id, q.id) for q in principals if q.kind == "Role" and _service_trusted(model, q, service))
    elif t.startswith("compute:"):
        label = t.split(":", 1)[1]
        yield from ((c["id"], c["identity"]) for c in facts["compute"]
                    if label in c["labels"] and (c["provider"] or "aws") == "aws")


def azure_compute(graph: Graph) -> list[dict]:
    return list(stream(graph, "MATCH (c:Asset)-[:USES_IDENTITY]->(i:Identity) WHERE c.provider = 'azure' "
                              "RETURN c.id AS id, labels(c) AS labels, i.id AS identity"))


def azure_escalations(assignments: list[dict], compute: list[dict]) -> Iterator[dict]:
    by_principal: dict[str, list[tuple[str, RoleDefinition, str]]] = {}
    for a in assignments:
        by_principal.setdefault(a["principal"], []).append((a["scope"], RoleDefinition.from_row(a["role"]),
                                                            a["assignment"]))
    under = _ScopeIndex(compute)
    for method in (m for m in METHODS if m.target.startswith("azure")):
        op = method.actions[0]
        for principal, grants in by_principal.items():
            if method.target == "azure-scope":
                ev = [aid for _, role, aid in grants if role.permits(op)]
                if ev:
                    yield {"source": principal, "target": principal, "method": method.name, "evidence": sorted(ev)}
                continue
            label = method.target.split(":", 1)[1]
            evidence: dict[int, tuple[dict, list[str]]] = {}
            for scope, role, aid in grants:
                if not role.permits(op):
                    continue
                for c in under.covered(scope):
                    if label in c["labels"] or (label == "Function" and "WebApp" in c["labels"]):
                        evidence.setdefault(id(c), (c, []))[1].append(aid)
            for c, ev in evidence.values():
                if c["identity"] != principal:
                    yield {"source": principal, "target": c["identity"], "method": method.name,
                           "evidence": sorted(ev) + [c["id"]]}


class _ScopeIndex:
    """Azure resources by lower-cased id, sorted, so the ones under a scope are one prefix range."""

    def __init__(self, items: list[dict]):
        self.items = sorted(items, key=lambda c: c["id"].lower().rstrip("/"))
        self.keys = [c["id"].lower().rstrip("/") for c in self.items]

    def covered(self, scope: str) -> list[dict]:
        s = scope.lower().rstrip("/")
        lo = bisect.bisect_left(self.keys, s)
        hi = bisect.bisect_left(self.keys, s + "0")   # "0" sorts right after "/": ids under s + "/" end here
        return [c for c in self.items[lo:hi] if scope_covers(scope, c["id"])]


def escalations(graph: Graph, model: IamModel, assume: list[dict], assignments: list[dict]) -> Iterator[dict]:
    yield from aws_escalations(model, *aws_facts(graph))
    for edge in assume:   # sts:AssumeRole through a trust policy is itself a way up
        yield {"source": edge["source"], "target": edge["target"], "method": "sts:AssumeRole",
               "evidence": edge["evidence"]}
    yield from azure_escalations(assignments, azure_compute(graph))
