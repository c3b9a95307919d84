"""AWS principals as the policy evaluator needs them, read from the graph in pages: each user and
role with its identity policies (own, inline, managed and through its groups), its permission
boundary and the SCPs of its account; and a cached ``can(action, resource)`` per principal."""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from functools import lru_cache

from cloudmap.engine import aws_policy
from cloudmap.engine.aws_policy import Decision, Statement
from cloudmap.engine.writer import stream
from cloudmap.graph.driver import Graph

log = logging.getLogger("cloudmap.engine")


@dataclass(eq=False)
class Principal:
    id: str
    kind: str                                  # User / Role
    account_id: str
    policies: list[tuple[str, str, str]]       # (policy id, document, via: own/group:<id>)
    groups: list[str]
    boundary: tuple[Statement, ...] | None
    scps: tuple[Statement, ...] | None
    trust_policy: str | None = None
    statements: tuple[Statement, ...] = ()
    # Principals with the same policies, boundary and account get the same decisions unless a
    # resource policy names them, so IamModel.load gives them one shared cache of each kind.
    _decisions: dict = field(default_factory=dict, repr=False)
    _by_action: dict = field(default_factory=dict, repr=False)

    def can(self, action: str, resource: str, resource_policy: tuple[Statement, ...] | None = None,
            resource_account: str = "", resource_policy_required: bool = False) -> Decision:
        rpol_id = resource_policy[0].policy_id if resource_policy else None
        k = (action, resource, rpol_id, self.id if rpol_id else None, resource_account, resource_policy_required)
        if k not in self._decisions:
            identity, boundary, scps = self._relevant(action)
            self._decisions[k] = aws_policy.evaluate(action, resource, identity, boundary, scps, resource_policy,
                                                     self.id, resource_account, resource_policy_required)
        return self._decisions[k]

    def could_ever(self, action: str) -> bool:
        """A cheap filter: does any Allow statement mention an action pattern matching ``action``?"""
        return any(s.allow for s in self._relevant(action)[0])

    def _relevant(self, action: str):
        """The statements of each layer that match ``action`` (evaluation never looks at others;
        a boundary or SCP layer that is present stays present, possibly empty, so it still limits)."""
        if action not in self._by_action:
            def only(stmts):
                return None if stmts is None else tuple(s for s in stmts if s.matches_action(action))
            self._by_action[action] = (only(self.statements), only(self.boundary), only(self.scps))
        return self._by_action[action]


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
    warnings: list[str] = field(default_factory=list)

    def warn(self, message: str) -> None:
        self.warnings.append(message)
        log.warning("%s", message)

    @staticmethod
    def load(graph: Graph) -> IamModel:
        m = IamModel()
        scps: dict[str, list[tuple[str, str]]] = {}
        for row in stream(graph, "MATCH (s:Policy {policy_type: 'scp'})-[:APPLIES_TO]->(a:Account) "
                                 "RETURN s.id AS id, s.document AS doc, a.id AS a, a.account_id AS acct"):
            for key in {row["a"], row["acct"]} - {None}:
                scps.setdefault(key, []).append((row["id"], row["doc"]))
        scp_statements = {k: safe_statements(v, m.warn) for k, v in scps.items()}
        shared: dict[tuple, tuple[dict, dict]] = {}
        for row in stream(graph, """
                MATCH (p:Identity) WHERE (p:User OR p:Role) AND coalesce(p.provider, 'aws') = 'aws'
                RETURN p.id AS id, CASE WHEN p:Role THEN 'Role' ELSE 'User' END AS kind, p.account_id AS acct,
                       p.trust_policy AS trust,
                       COLLECT { MATCH (p)-[:HAS_POLICY]->(x:Policy) RETURN [x.id, x.document, 'own'] } AS own,
                       COLLECT { MATCH (p)-[:MEMBER_OF]->(g:Group)-[:HAS_POLICY]->(x:Policy)
                                 RETURN [x.id, x.document, 'group:' + g.id] } AS grp,
                       COLLECT { MATCH (p)-[:MEMBER_OF]->(g:Group) RETURN g.id } AS groups,
                       COLLECT { MATCH (p)-[:HAS_PERMISSION_BOUNDARY]->(x:Policy) RETURN [x.id, x.document] } AS pb
                """):
            acct = row["acct"] or aws_policy.account_of(row["id"])
            policies = [tuple(x) for x in row["own"] + row["grp"]]
            signature = (tuple(pid for pid, _, _ in policies), tuple(pid for pid, _ in row["pb"]),
                         acct, aws_policy.account_of(row["id"]))
            decisions, by_action = shared.setdefault(signature, ({}, {}))
            p = Principal(row["id"], row["kind"], acct, policies, row["groups"],
                          safe_statements(row["pb"], m.warn) if row["pb"] else None,
                          scp_statements.get(acct), row["trust"], _decisions=decisions, _by_action=by_action)
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
        out: dict[str, Principal] = {}
        for s in statements:
            if not s.allow:
                continue
            if s.not_principals is not None or "*" in (s.principals or {}):
                return None
            for name in (s.principals or {}).get("AWS", ()):
                if name == "*":
                    return None
                acct = name if name.isdigit() else (aws_policy.account_of(name) if name.endswith(":root") else "")
                if acct:
                    out.update((p.id, p) for p in self.in_account.get(acct, ()))
                elif name in self.principals:
                    out[name] = self.principals[name]
        return list(out.values())

    def trust(self, role: Principal) -> tuple[Statement, ...]:
        return _trust(role.id, role.trust_policy or "") if role.trust_policy else ()


@lru_cache(maxsize=4096)
def _trust(role_id: str, document: str) -> tuple[Statement, ...]:
    try:
        return aws_policy.parse_policy(document, f"{role_id}#trust-policy")
    except aws_policy.PolicyError as exc:
        log.warning("%s", exc)
        return ()
