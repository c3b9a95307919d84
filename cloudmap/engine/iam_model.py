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
    _cache: dict = field(default_factory=dict, repr=False)

    def can(self, action: str, resource: str, resource_policy: tuple[Statement, ...] | None = None,
            resource_account: str = "", resource_policy_required: bool = False) -> Decision:
        k = (action, resource, id(resource_policy) if resource_policy else None, resource_account, resource_policy_required)
        if k not in self._cache:
            self._cache[k] = aws_policy.evaluate(action, resource, self.statements, self.boundary, self.scps,
                                                 resource_policy, self.id, resource_account, resource_policy_required)
        return self._cache[k]

    def could_ever(self, action: str) -> bool:
        """A cheap filter: does any Allow statement mention an action pattern matching ``action``?"""
        return any(s.allow and s.matches_action(action) for s in self.statements)


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
            p = Principal(row["id"], row["kind"], acct, policies, row["groups"],
                          safe_statements(row["pb"], m.warn) if row["pb"] else None,
                          scp_statements.get(acct), row["trust"])
            p.statements = safe_statements([(pid, doc) for pid, doc, _ in policies], m.warn)
            m.principals[p.id] = p
            for pid, _, via in policies:
                m.policy_holders.setdefault(pid, set()).add(p.id)
            for g in row["groups"]:
                m.group_members.setdefault(g, set()).add(p.id)
        return m

    def trust(self, role: Principal) -> tuple[Statement, ...]:
        return _trust(role.id, role.trust_policy or "") if role.trust_policy else ()


@lru_cache(maxsize=4096)
def _trust(role_id: str, document: str) -> tuple[Statement, ...]:
    try:
        return aws_policy.parse_policy(document, f"{role_id}#trust-policy")
    except aws_policy.PolicyError as exc:
        log.warning("%s", exc)
        return ()
