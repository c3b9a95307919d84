"""AWS principals as the policy evaluator needs them, read from the graph in pages: each user and
role with its identity policies (own, inline, managed and through its groups), its tags, its
permission boundary and the SCPs of its account, one level per Organizations target on the way from
the root to the account; and a cached ``can(action, resource, context=...)`` per principal."""

from __future__ import annotations

import logging
from collections.abc import Collection
from dataclasses import dataclass, field
from functools import lru_cache

from cloudmap.engine import aws_policy
from cloudmap.engine.aws_conditions import RequestContext
from cloudmap.engine.aws_policy import Decision, Statement
from cloudmap.engine.writer import stream
from cloudmap.graph.driver import Graph

log = logging.getLogger("cloudmap.engine")

ADMIN_POLICY = "arn:aws:iam::aws:policy/AdministratorAccess"   # what an attacker attaches (iam:PolicyARN)
IAM_REGION = "us-east-1"   # aws:RequestedRegion of IAM's global endpoint
ATTACH_ACTIONS = ("iam:attachrolepolicy", "iam:attachuserpolicy", "iam:attachgrouppolicy")
ADMIN_PROBES = ("iam:CreateUser", "iam:AttachRolePolicy", "ec2:RunInstances", "s3:GetObject", "kms:Decrypt")


def account_key(var: str) -> str:
    """Cypher for the account a node belongs to, as the engine keys it: its ``account_id``, else the
    account of its ARN, else ``""`` (the same as ``row["account"] or aws_policy.account_of(id)``)."""
    return (f"CASE WHEN coalesce({var}.account_id, '') <> '' THEN {var}.account_id "
            f"WHEN {var}.id STARTS WITH 'arn:' AND size(split({var}.id, ':')) > 5 THEN split({var}.id, ':')[4] "
            f"ELSE '' END")


@dataclass(eq=False)
class Principal:
    id: str
    kind: str                                  # User / Role
    account_id: str
    policies: list[tuple[str, str, str]]       # (policy id, document, via: own/group:<id>)
    groups: list[str]
    boundary: tuple[Statement, ...] | None
    scps: tuple[tuple[Statement, ...], ...] | tuple[Statement, ...] | None   # per level (a flat tuple: one level)
    trust_policy: str | None = None
    tags: dict[str, str] | None = None
    statements: tuple[Statement, ...] = ()
    # Principals with the same policies, boundary and account get the same decisions unless a
    # resource policy names them, so IamModel.load gives them one shared cache of each kind.
    _decisions: dict = field(default_factory=dict, repr=False)
    _by_action: dict = field(default_factory=dict, repr=False)

    def can(self, action: str, resource: str, resource_policy: tuple[Statement, ...] | None = None,
            resource_account: str = "", resource_policy_required: bool = False,
            context: RequestContext | None = None) -> Decision:
        rpol_id = resource_policy[0].policy_id if resource_policy else None
        identity, boundary, scps = self._relevant(action)
        # The context matters only when a statement for this action has a condition; then the
        # decision is this principal's own (the context names it).
        conditioned = context is not None and (self.needs_context(action) or any(s.conditions for s in resource_policy or ()))
        k = (action, resource, rpol_id, self.id if rpol_id or conditioned else None, resource_account,
             resource_policy_required, _context_key(context) if conditioned else None)
        if k not in self._decisions:
            self._decisions[k] = aws_policy.evaluate(action, resource, identity, boundary, scps, resource_policy,
                                                     self.id, resource_account, resource_policy_required,
                                                     context=context if conditioned else None)
        return self._decisions[k]

    def full_admin(self) -> list[Statement]:
        """P's unconditional ``*`` on ``*`` statements, when boundary and SCPs still let them through
        (probed with a few actions of different services); else []."""
        full = aws_policy.full_admin_statements(self.statements)
        if full and all((d := self.can(a, "*")).allowed and not d.conditional for a in ADMIN_PROBES):
            return full
        return []

    def needs_context(self, action: str) -> bool:
        """Does a statement of P's own layers for this action have a condition?"""
        identity, boundary, scps = self._relevant(action)
        return any(s.conditions for layer in (identity, boundary or (), *(scps or ())) for s in layer)

    def could_ever(self, action: str) -> bool:
        """A cheap filter: does any Allow statement mention an action pattern matching ``action``?"""
        return any(s.allow for s in self._relevant(action)[0])

    def _relevant(self, action: str):
        """The statements of each layer that match ``action`` (evaluation never looks at others;
        a boundary or SCP layer that is present stays present, possibly empty, so it still limits)."""
        if action not in self._by_action:
            def only(stmts):
                return None if stmts is None else tuple(s for s in stmts if s.matches_action(action))
            levels = aws_policy.scp_levels(self.scps)
            self._by_action[action] = (only(self.statements), only(self.boundary),
                                       None if levels is None else tuple(only(level) for level in levels))
        return self._by_action[action]


def _context_key(ctx: RequestContext) -> tuple:
    def frozen(d):
        return None if d is None else tuple(sorted(d.items()))
    return (frozen(ctx.values), frozen(ctx.principal_tags), frozen(ctx.resource_tags), ctx.chosen)


def policy_names(statements: tuple[Statement, ...]) -> tuple[set[str], set[str]] | None:
    """(accounts, principal ARNs) that a resource or trust policy's Allow statements name in their AWS
    principals (an account by number or by its root ARN); None when they name everyone (``*`` or a
    NotPrincipal)."""
    accounts: set[str] = set()
    arns: set[str] = set()
    for s in statements:
        if not s.allow:
            continue
        if s.not_principals is not None or "*" in (s.principals or {}):
            return None
        for name in (s.principals or {}).get("AWS", ()):
            if name == "*":
                return None
            acct = name if name.isdigit() else (aws_policy.account_of(name) if name.endswith(":root") else "")
            (accounts if acct else arns).add(acct or name)
    return accounts, arns


def load_scps(graph: Graph, warn) -> dict[str, tuple[tuple[Statement, ...], ...]]:
    """The SCPs of each account (by its node id and by its number), one level per Organizations target
    (root, each OU, the account): at every level one of the SCPs attached there must allow the action."""
    scps: dict[str, dict[str, list[tuple[str, str]]]] = {}
    for row in stream(graph, "MATCH (s:Policy {policy_type: 'scp'})-[r:APPLIES_TO]->(a:Account) "
                             "RETURN s.id AS id, s.document AS doc, a.id AS a, a.account_id AS acct, "
                             "coalesce(r.targets, [coalesce(r.via, 'account')]) AS targets"):
        for key in {row["a"], row["acct"]} - {None}:
            for target in row["targets"]:
                scps.setdefault(key, {}).setdefault(target, []).append((row["id"], row["doc"]))
    return {k: tuple(safe_statements(v, warn) for _, v in sorted(levels.items())) for k, levels in scps.items()}


def safe_statements(pairs, warn) -> tuple[Statement, ...]:
    out: list[Statement] = []
    for pid, doc in pairs:
        try:
            out.extend(aws_policy.policy_statements([(pid, doc)]))
        except aws_policy.PolicyError as exc:
            warn(str(exc))
    return tuple(out)


@dataclass
class IamModel:
    principals: dict[str, Principal] = field(default_factory=dict)
    policy_holders: dict[str, set[str]] = field(default_factory=dict)   # managed policy id -> principal ids
    group_members: dict[str, set[str]] = field(default_factory=dict)
    in_account: dict[str, list[Principal]] = field(default_factory=dict)
    foreign: dict[str, Principal] = field(default_factory=dict)   # other accounts' roles a pass judges (context only)
    warnings: list[str] = field(default_factory=list)

    def warn(self, message: str) -> None:
        self.warnings.append(message)
        log.warning("%s", message)

    @staticmethod
    def load(graph: Graph, accounts: Collection[str] | None = None, ids: Collection[str] | None = None,
             scps: dict[str, tuple] | None = None) -> IamModel:
        """The principals of ``accounts`` (their account property, else their ARN's; ``""`` for neither), or
        those with the given ``ids``, or (neither given) every AWS principal. ``scps``: :func:`load_scps`'s
        result, when the caller loads several models (read here otherwise)."""
        m = IamModel()
        scp_statements = load_scps(graph, m.warn) if scps is None else scps
        shared: dict[tuple, tuple[dict, dict]] = {}
        for row in stream(graph, """
                MATCH (p:Identity) WHERE (p:User OR p:Role) AND coalesce(p.provider, 'aws') = 'aws'
                  AND ($ids IS NULL OR p.id IN $ids) AND ($accounts IS NULL OR ACCOUNT_OF_P IN $accounts)
                RETURN p.id AS id, CASE WHEN p:Role THEN 'Role' ELSE 'User' END AS kind, p.account_id AS acct,
                       p.trust_policy AS trust, p.tags AS tags,
                       COLLECT { MATCH (p)-[:HAS_POLICY]->(x:Policy) RETURN [x.id, x.document, 'own'] } AS own,
                       COLLECT { MATCH (p)-[:MEMBER_OF]->(g:Group)-[:HAS_POLICY]->(x:Policy)
                                 RETURN [x.id, x.document, 'group:' + g.id] } AS grp,
                       COLLECT { MATCH (p)-[:MEMBER_OF]->(g:Group) RETURN g.id } AS groups,
                       COLLECT { MATCH (p)-[:HAS_PERMISSION_BOUNDARY]->(x:Policy) RETURN [x.id, x.document] } AS pb
                """.replace("ACCOUNT_OF_P", account_key("p")),
                          ids=None if ids is None else list(ids), accounts=None if accounts is None else list(accounts)):
            acct = row["acct"] or aws_policy.account_of(row["id"])
            policies = [tuple(x) for x in row["own"] + row["grp"]]
            tags = dict(t.split("=", 1) if "=" in t else (t, "") for t in row["tags"] or [])
            signature = (tuple(pid for pid, _, _ in policies), tuple(pid for pid, _ in row["pb"]),
                         acct, aws_policy.account_of(row["id"]))
            decisions, by_action = shared.setdefault(signature, ({}, {}))
            p = Principal(row["id"], row["kind"], acct, policies, row["groups"],
                          safe_statements(row["pb"], m.warn) if row["pb"] else None,
                          scp_statements.get(acct), row["trust"], tags, _decisions=decisions, _by_action=by_action)
            p.statements = safe_statements([(pid, doc) for pid, doc, _ in policies], m.warn)
            m.add(p)
            for pid, _, _via in policies:
                m.policy_holders.setdefault(pid, set()).add(p.id)
            for g in row["groups"]:
                m.group_members.setdefault(g, set()).add(p.id)
        return m

    def add(self, p: Principal) -> None:
        self.principals[p.id] = p
        self.in_account.setdefault(p.account_id or "", []).append(p)

    def candidates(self, resource_policy: tuple[Statement, ...] | None, resource_account: str) -> list[Principal]:
        """The principals that could be allowed on a resource: across accounts access needs a
        resource policy that names the caller (its ARN, its account or everyone), so without one
        only the resource's own account (and principals of unknown account) can be."""
        if not resource_account:
            return list(self.principals.values())
        out = {p.id: p for key in (resource_account, "") for p in self.in_account.get(key, ())}
        named = self.named_by(resource_policy or ())
        if named is None:
            return list(self.principals.values())
        out.update((p.id, p) for p in named)
        return list(out.values())

    def named_by(self, statements: tuple[Statement, ...]) -> list[Principal] | None:
        """The principals a resource or trust policy's Allow statements name (directly or through
        their account); None when they name everyone (``*`` or a NotPrincipal)."""
        names = policy_names(statements)
        if names is None:
            return None
        accounts, arns = names
        out = {p.id: p for acct in accounts for p in self.in_account.get(acct, ())}
        out.update((arn, self.principals[arn]) for arn in arns if arn in self.principals)
        return list(out.values())

    def context(self, p: Principal, action: str, resource: str, resource_tags: dict[str, str] | None = None,
                service: str = "", chosen: tuple[str, ...] = ()) -> RequestContext:
        """What the graph knows of P asking ``action`` on ``resource``: P's ARN, account, name and tags;
        the resource's tags (given, or a principal's own) and region; the service a role is passed to;
        the policy an attacker would attach. A new resource's region is the caller's choice."""
        values = {"aws:principalarn": (p.id,), "aws:principalaccount": (p.account_id,),
                  "aws:principaltype": ("AssumedRole" if p.kind == "Role" else "User",)}
        if p.kind == "User":
            values["aws:username"] = (p.id.rsplit("/", 1)[-1],)
        if resource == aws_policy.NEW_RESOURCE:
            chosen = (*chosen, "aws:requestedregion")
        else:
            parts = resource.split(":")
            region = parts[3] if resource.startswith("arn:") and len(parts) > 5 else ""
            values["aws:requestedregion"] = (region or IAM_REGION,)
        if action.lower() == "iam:passrole" and service:
            values["iam:passedtoservice"] = (service,)
        if action.lower() in ATTACH_ACTIONS:
            values["iam:policyarn"] = (ADMIN_POLICY,)
        target = self.principals.get(resource) or self.foreign.get(resource)
        if target is not None:
            values["iam:permissionsboundary"] = tuple(sorted({s.policy_id for s in target.boundary or ()}))
            if resource_tags is None:
                resource_tags = target.tags if target.tags is not None else {}
        return RequestContext(values, p.tags if p.tags is not None else {}, resource_tags, chosen)

    def trust(self, role: Principal) -> tuple[Statement, ...]:
        return trust_statements(role.id, role.trust_policy or "") if role.trust_policy else ()


@lru_cache(maxsize=4096)
def trust_statements(role_id: str, document: str) -> tuple[Statement, ...]:
    try:
        return aws_policy.parse_policy(document, f"{role_id}#trust-policy")
    except aws_policy.PolicyError as exc:
        log.warning("%s", exc)
        return ()
