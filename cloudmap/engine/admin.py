""""Admin of account X" as a target: the ``:Account`` node itself.

Identities that are admin already have ``CAN_ACCESS {level: 'admin'}`` to their account
(:func:`cloudmap.engine.identity.aws_admins`). This derivation adds the two other ways in, so that
any chain of moves that ends in them reaches the account:

* **admin groups**: a group whose own policies allow everything gets ``CAN_ACCESS {level: 'admin'}``
  to its account; ``iam:AddUserToGroup`` (a ``CAN_ESCALATE_TO`` edge to the group) then leads there.
* **self-escalation**: a principal that can rewrite its own permissions (a self-loop
  ``CAN_ESCALATE_TO`` by a policy-writing method, or an Azure role-assignment write) gets
  ``CAN_ESCALATE_TO {method}`` to the account, but only when what it could grant itself would really
  make it admin: its permission boundary and the account's SCPs still apply.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import replace

from cloudmap.engine import aws_policy
from cloudmap.engine.iam_model import IamModel, account_key, safe_statements
from cloudmap.graph.driver import Graph

DERIVATION = "account-admin"
ADMIN_PROBES = ("iam:CreateUser", "iam:AttachRolePolicy", "ec2:RunInstances", "s3:GetObject", "kms:Decrypt")
# Methods whose self-loop means "writes its own policy": it can grant itself anything.
REWRITES_OWN_POLICY = {"iam:CreatePolicyVersion", "iam:SetDefaultPolicyVersion", "iam:AttachUserPolicy",
                       "iam:AttachRolePolicy", "iam:AttachGroupPolicy", "iam:PutUserPolicy", "iam:PutRolePolicy",
                       "iam:PutGroupPolicy"}
AZURE_SELF_ASSIGN = "azure:roleAssignments/write"
_EVERYTHING = aws_policy.parse_policy(json.dumps({"Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*"}]}),
                                      "granted-by-itself")


def account_ids(graph: Graph) -> dict[str, str]:
    """Each ``:Account`` node's id, by its id and by its account number."""
    return {r["k"]: r["id"] for r in graph.read(
        "MATCH (a:Account) UNWIND [a.id, a.account_id] AS k WITH a, k WHERE k IS NOT NULL RETURN k, a.id AS id")}


def admin_groups(graph: Graph, model: IamModel, accounts: dict[str, str],
                 within: list[str] | None = None) -> Iterator[dict]:
    """Groups (of the ``within`` accounts, or all) whose own policies allow everything."""
    scps: dict[str, tuple] = {p.account_id: p.scps for p in model.principals.values()}
    for row in graph.read(f"""
            MATCH (g:Group) WHERE coalesce(g.provider, 'aws') = 'aws'
              AND ($within IS NULL OR {account_key("g")} IN $within)
            RETURN g.id AS id, g.account_id AS acct,
                   COLLECT {{ MATCH (g)-[:HAS_POLICY]->(x:Policy) RETURN [x.id, x.document] }} AS policies""",
                          within=within):
        acct = row["acct"] or aws_policy.account_of(row["id"])
        statements = safe_statements([tuple(p) for p in row["policies"]], model.warn)
        full = aws_policy.full_admin_statements(statements)
        if not full or acct not in accounts:
            continue
        if all(aws_policy.evaluate(a, "*", statements, None, scps.get(acct)).allowed for a in ADMIN_PROBES):
            names = sorted({s.policy_id for s in full})
            yield {"source": row["id"], "target": accounts[acct], "level": "admin", "actions": ["*"],
                   "evidence": names, "conditional": False,
                   "reason": f"its members are allowed every action on every resource by {', '.join(names)}"}


def aws_self_escalations(model: IamModel, escalations: list[dict], accounts: dict[str, str]) -> Iterator[dict]:
    """Principals of ``model`` whose self-loop rewrites their own policy, when what they could grant themselves
    would make them admin (their boundary and the account's SCPs still apply)."""
    for e in escalations:
        if e["source"] != e["target"] or e["method"] not in REWRITES_OWN_POLICY:
            continue
        p = model.principals.get(e["source"])
        if p is None or p.account_id not in accounts:
            continue
        granted = replace(p, statements=_EVERYTHING, _decisions={}, _by_action={})
        if all(granted.can(a, "*").allowed for a in ADMIN_PROBES):
            yield {"source": p.id, "target": accounts[p.account_id], "method": e["method"],
                   "evidence": e.get("evidence") or [], "conditional": bool(e.get("conditional")),
                   "explanation": "rewrites its own permissions to allow everything"}


def azure_self_escalations(graph: Graph, escalations: list[dict]) -> Iterator[dict]:
    """Azure principals that can assign themselves a role at a scope containing a subscription."""
    selves = [{"source": e["source"], "assignments": e.get("evidence") or []} for e in escalations
              if e["method"] == AZURE_SELF_ASSIGN and e["source"] == e["target"]]
    if not selves:
        return
    for row in graph.read("""
            UNWIND $selves AS e
            MATCH (ra:RoleAssignment)-[:AT_SCOPE]->(s) WHERE ra.id IN e.assignments
            MATCH (s)-[:CONTAINS*0..6]->(a:Account)
            RETURN DISTINCT e.source AS source, e.assignments AS evidence, a.id AS account""", selves=selves):
        yield {"source": row["source"], "target": row["account"], "method": AZURE_SELF_ASSIGN,
               "evidence": row["evidence"], "conditional": False,
               "explanation": "assigns itself Owner at a scope that contains the subscription"}
