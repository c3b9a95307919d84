"""Identity derivations: who runs as whom, who can assume whom, who can access what, who is admin,
and (through :mod:`cloudmap.engine.privesc`) who can escalate to whom."""

from __future__ import annotations

import logging
from collections.abc import Iterable, Iterator
from itertools import chain

from cloudmap.engine import admin, aws_policy, external, privesc
from cloudmap.engine.access_levels import (
    AWS_PROBE_NEEDS,
    AWS_PROBE_ORDER,
    AWS_PROBES,
    AZURE_PROBE_ORDER,
    AZURE_PROBES,
    MAX_ACTIONS,
    access_edge,
    level_of,
)
from cloudmap.engine.account_passes import CrossAccount, aws_targets, plan
from cloudmap.engine.admin import account_ids
from cloudmap.engine.azure_rbac import RoleDefinition
from cloudmap.engine.iam_model import IamModel, Principal, load_scps
from cloudmap.engine.writer import EdgeWriter, stream
from cloudmap.graph.driver import Graph
from cloudmap.graph.kinds import derived

log = logging.getLogger("cloudmap.engine")


def authenticate_as(graph: Graph) -> Iterator[dict]:
    """Compute runs as the identities it uses; pods through their service account to cloud roles."""
    yield from stream(graph, """
            MATCH (c:Asset)-[u:USES_IDENTITY]->(i:Identity) WHERE NOT c:ServiceAccount
            RETURN c.id AS source, i.id AS target, coalesce(u.via, 'uses-identity') AS via
            UNION
            MATCH (c:Asset)-[:USES_IDENTITY]->(sa:ServiceAccount)-[u:USES_IDENTITY]->(i:Identity)
            WHERE NOT c:ServiceAccount
            RETURN c.id AS source, i.id AS target, coalesce(u.via, 'irsa') AS via""")


# -- AWS ----------------------------------------------------------------------------------------------

def aws_access(model: IamModel, targets: Iterable[dict]) -> Iterator[dict]:
    for t in targets:
        kind = next(lbl for lbl in AWS_PROBE_ORDER if lbl in t["labels"])
        rpol = None
        if t["policy"]:
            try:
                rpol = aws_policy.parse_policy(t["policy"], f"{t['id']}#resource-policy")
            except aws_policy.PolicyError as exc:
                model.warn(str(exc))
        probes = AWS_PROBES[kind]
        account = t["account"] or aws_policy.account_of(t["id"])
        for p in model.candidates(rpol, account):
            if not any(p.could_ever(a) for a, _, _ in probes) and not rpol:
                continue
            decided = []
            for action, level, obj in probes:
                d = p.can(action, f"{t['id']}/*" if obj else t["id"], rpol, account, kind == "Key")
                if d.allowed and action in AWS_PROBE_NEEDS:
                    d = _with_follow_up(p, d, AWS_PROBE_NEEDS[action])
                decided.append((action, level, d))
            edge = access_edge(p.id, t["id"], decided)
            if edge:
                yield edge


def _with_follow_up(p: Principal, d: aws_policy.Decision, action: str) -> aws_policy.Decision:
    """``d`` when ``p`` may also make the follow-up request on the resource the first one creates."""
    follow = p.can(action, aws_policy.NEW_RESOURCE)
    if not follow.allowed:
        return follow
    return aws_policy.Decision(True, d.conditional or follow.conditional, [*d.evidence, *follow.evidence],
                               conditions=[*d.conditions, *follow.conditions])


def aws_admins(model: IamModel, accounts: dict[str, str]) -> Iterator[dict]:
    """Principals allowed everything in their account (``accounts``: :func:`admin.account_ids`)."""
    for p in model.principals.values():
        full = p.full_admin() if p.account_id in accounts else []
        if full:
            names = sorted({s.policy_id for s in full})
            yield {"source": p.id, "target": accounts[p.account_id], "level": "admin", "actions": ["*"],
                   "evidence": names, "conditional": False,
                   "reason": f"allowed every action on every resource by {', '.join(names)}"}


def aws_assume(model: IamModel, foreign: Iterable[Principal] = ()) -> Iterator[dict]:
    """CAN_ASSUME from the model's principals to its roles and to the ``foreign`` roles (of accounts outside
    the model) whose trust policy admits them."""
    for role in chain(model.principals.values(), foreign):
        trust = model.trust(role)
        if role.kind != "Role" or not trust:
            continue
        named = model.named_by(trust)   # a trust policy must name the caller, directly or by account
        conditioned = any(s.conditions for s in trust)
        for p in (model.principals.values() if named is None else named):
            if p is role:
                continue
            d = p.can("sts:AssumeRole", role.id, trust, role.account_id, resource_policy_required=True,
                      context=model.context(p, "sts:AssumeRole", role.id)
                      if conditioned or p.needs_context("sts:AssumeRole") else None)
            if d.allowed:
                yield {"source": p.id, "target": role.id, "evidence": d.evidence, "conditional": d.conditional,
                       "condition": "; ".join(d.conditions) or None}


# -- Azure --------------------------------------------------------------------------------------------

def azure_assignments(graph: Graph) -> Iterator[dict]:
    """Every (assignment, principal) pair: the assignee, and each member of an assignee group, nested
    membership included (``via`` names the group)."""
    for row in stream(graph, """
            MATCH (ra:RoleAssignment)-[:ASSIGNED_TO]->(p:Identity), (ra)-[:GRANTS]->(rd:RoleDefinition),
                  (ra)-[:AT_SCOPE]->(s)
            RETURN ra.id AS assignment, p.id AS principal, s.id AS scope, properties(rd) AS role,
                   COLLECT { MATCH (m:Identity)-[:MEMBER_OF]->{1,8}(p:Group) RETURN DISTINCT m.id } AS members"""):
        members = row.pop("members")
        yield {**row, "via": None}
        for member in members:
            yield {**row, "principal": member, "via": row["principal"]}


def azure_access(graph: Graph, assignments: list[dict]) -> Iterator[dict]:
    labels = " OR ".join(f"t:{lbl}" for lbl in AZURE_PROBE_ORDER)
    under: dict[str, list[dict]] = {}   # scope -> what it holds (a group's members share their scopes)
    for a in assignments:
        role = RoleDefinition.from_row(a["role"])
        if a["scope"] not in under:
            under[a["scope"]] = graph.read(f"MATCH (s {{id: $scope}})-[:CONTAINS*0..8]->(t:Asset) WHERE {labels} "
                                           "RETURN DISTINCT t.id AS id, labels(t) AS labels", scope=a["scope"])
        for t in under[a["scope"]]:
            kind = next(lbl for lbl in AZURE_PROBE_ORDER if lbl in t["labels"])
            allowed = [(op, lvl) for op, data, lvl in AZURE_PROBES[kind] if role.permits(op, data)]
            if allowed:
                yield {"source": a["principal"], "target": t["id"],
                       "level": level_of([op for op, _ in allowed], dict(allowed)),
                       "actions": [op for op, _ in allowed][:MAX_ACTIONS],
                       "evidence": [a["assignment"], role.id, *([a["via"]] if a["via"] else [])],
                       "conditional": False}
        if role.is_owner_like():
            for acct in graph.read("MATCH (s {id: $scope})-[:CONTAINS*0..6]->(a:Account) RETURN a.id AS id",
                                   scope=a["scope"]):
                yield {"source": a["principal"], "target": acct["id"], "level": "admin", "actions": ["*"],
                       "evidence": [a["assignment"], role.id, *([a["via"]] if a["via"] else [])],
                       "conditional": False,
                       "reason": f"{role.name or role.id} at {a['scope']}"
                                 + (f" through group {a['via']}" if a["via"] else "")}


# Key Vault access-policy permissions that read or change what the vault holds (list only names items).
VAULT_READ = {"secrets": {"get", "backup"}, "keys": {"get", "decrypt", "unwrapkey", "sign", "backup"},
              "certificates": {"get", "backup"}}
VAULT_WRITE = {"secrets": {"set", "delete", "purge", "restore"},
               "keys": {"create", "import", "update", "delete", "purge", "restore", "encrypt", "wrapkey"},
               "certificates": {"create", "import", "update", "delete", "purge", "restore"}}


def azure_vault_policies(graph: Graph) -> Iterator[dict]:
    """Access policies of vaults that do not use Azure RBAC (with RBAC on, Azure ignores them)."""
    for r in stream(graph, """
            MATCH (p:Identity)-[ap:HAS_ACCESS_POLICY]->(v:KeyVault)
            WHERE coalesce(v.rbac_authorization, false) = false
            RETURN p.id AS principal, v.id AS vault, ap.keys AS keys, ap.secrets AS secrets,
                   ap.certificates AS certificates ORDER BY principal, vault"""):
        held = {kind: {str(x).lower() for x in r[kind] or []} for kind in VAULT_READ}
        reads = [f"{kind}/{op}" for kind in VAULT_READ for op in sorted(held[kind] & VAULT_READ[kind])]
        writes = [f"{kind}/{op}" for kind in VAULT_WRITE for op in sorted(held[kind] & VAULT_WRITE[kind])]
        if reads or writes:
            yield {"source": r["principal"], "target": r["vault"], "level": "write" if writes else "read",
                   "actions": [*writes, *reads][:MAX_ACTIONS], "evidence": [f"{r['vault']}#access-policy"],
                   "conditional": False, "reason": "key vault access policy"}


def derive_identity(graph: Graph, writer: EdgeWriter) -> None:
    writer.write("authenticate-as", derived.AUTHENTICATE_AS, authenticate_as(graph))
    writer.sweep("authenticate-as", derived.AUTHENTICATE_AS)

    # AWS: one pass per batch of accounts (cloudmap.engine.account_passes), each written as it is done
    accounts, outside, scps = account_ids(graph), external.externals(graph), load_scps(graph, lambda message: log.warning("%s", message))
    cross = CrossAccount.load(graph, scps)
    for within in plan(graph):
        model = IamModel.load(graph, accounts=within, scps=scps)
        model.foreign = {r.id: r for r in cross.roles_for(within, model)}
        own = list(aws_targets(graph, within))
        judged = aws_targets(graph) if "" in within else chain(own, cross.targets_for(within, model))
        writer.write("aws-access", derived.ACCESS, chain(aws_access(model, judged), aws_admins(model, accounts),
                                                         external.access(outside, own)))
        assume = list(aws_assume(model, model.foreign.values()))
        writer.write("aws-assume", derived.ASSUME, [*assume, *external.assume(model, outside)])
        held = sorted({pid for p in model.principals.values() for pid, _, _ in p.policies})
        escalations = list(privesc.aws_escalations(model, privesc.aws_facts(graph, assume, within, held)))
        writer.write("privilege-escalation", derived.ESCALATE, escalations)
        writer.write(admin.DERIVATION, derived.ACCESS, admin.admin_groups(graph, model, accounts, within))
        writer.write(admin.DERIVATION, derived.ESCALATE, admin.aws_self_escalations(model, escalations, accounts))

    assignments = list(azure_assignments(graph))
    writer.write("azure-access", derived.ACCESS, [*azure_access(graph, assignments), *azure_vault_policies(graph)])
    escalations = list(privesc.azure_escalations(assignments, privesc.azure_compute(graph)))
    writer.write("privilege-escalation", derived.ESCALATE, escalations)
    writer.write(admin.DERIVATION, derived.ESCALATE, admin.azure_self_escalations(graph, escalations))

    for derivation, kind in (("aws-access", derived.ACCESS), ("aws-assume", derived.ASSUME),
                             ("azure-access", derived.ACCESS), ("privilege-escalation", derived.ESCALATE),
                             (admin.DERIVATION, derived.ACCESS), (admin.DERIVATION, derived.ESCALATE)):
        writer.sweep(derivation, kind)


__all__ = ["Principal", "derive_identity"]
