"""The AWS identity derivations one batch of accounts at a time.

The IAM model caches a decision per principal and request, so a model of the whole estate holds every
account's decisions at once: memory grows with the estate. But access, trust and escalation stay inside an
account unless a resource or trust policy names a principal outside it. So the identity step plans passes
(:func:`plan`): batches of whole accounts, each holding at most ``PASS_PAIRS`` (principal, target) pairs
unless one account alone holds more. A pass loads its accounts' principals and targets, derives and writes
their edges and lets them go. What crosses accounts comes from :class:`CrossAccount`, a compact index of the
policies that name a principal outside their own account (or everyone), read once before the passes: each
pass also evaluates its principals against the foreign resources and roles whose policies name them.

Principals and targets of no known account (``""``) are judged as before: any principal may be allowed on a
target of unknown account, and a principal of unknown account is a candidate everywhere, so its pass sees
every target.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field

from cloudmap.engine import aws_policy
from cloudmap.engine.access_levels import AWS_PROBE_ORDER
from cloudmap.engine.iam_model import IamModel, Principal, account_key, policy_names, trust_statements
from cloudmap.engine.writer import stream
from cloudmap.graph.driver import Graph

PASS_PAIRS = 50_000   # (principal, target) pairs of one pass: about 150 MB of decisions (BENCHMARKS.md, "Engine memory")
# The stores, secrets and keys the access probes ask about, and what a pass reads of each
TARGETS = (f"MATCH (t:Asset) WHERE ({' OR '.join(f't:{lbl}' for lbl in AWS_PROBE_ORDER)}) "
           f"AND coalesce(t.provider, 'aws') = 'aws'")
TARGET_ROW = "RETURN t.id AS id, t.account_id AS account, t.resource_policy AS policy, labels(t) AS labels"


def aws_targets(graph: Graph, accounts: list[str] | None = None) -> Iterator[dict]:
    """The targets of ``accounts``, or all."""
    yield from stream(graph, f"{TARGETS} AND ($accounts IS NULL OR {account_key('t')} IN $accounts) {TARGET_ROW}",
                      accounts=accounts)


def plan(graph: Graph, limit: int | None = None) -> list[list[str]]:
    """Batches of accounts, in account order; the unknown account ``""`` is a pass of its own."""
    limit = PASS_PAIRS if limit is None else limit
    sizes: dict[str, list[int]] = {}
    for row in graph.read(f"""
            MATCH (p:Identity) WHERE (p:User OR p:Role OR p:Group) AND coalesce(p.provider, 'aws') = 'aws'
            RETURN {account_key("p")} AS account, count(*) AS principals, 0 AS targets
            UNION ALL
            {TARGETS}
            RETURN {account_key("t")} AS account, 0 AS principals, count(*) AS targets"""):
        s = sizes.setdefault(row["account"], [0, 0])
        s[0] += row["principals"]
        s[1] += row["targets"]
    passes: list[list[str]] = [[""]] if "" in sizes else []
    batch, pairs = [], 0
    for account in sorted(a for a in sizes if a):
        n = max(1, sizes[account][0]) * max(1, sizes[account][1])
        if batch and pairs + n > limit:
            passes.append(batch)
            batch, pairs = [], 0
        batch.append(account)
        pairs += n
    return passes + ([batch] if batch else [])


@dataclass
class _Named:
    """Whom a resource or trust policy's Allow statements name beyond its own account."""
    everyone: bool = False
    accounts: set[str] = field(default_factory=set)
    arns: set[str] = field(default_factory=set)

    def names(self, accounts: set[str], model: IamModel) -> bool:
        return self.everyone or bool(self.accounts & accounts) or any(a in model.principals for a in self.arns)


def named_outside(statements: tuple[aws_policy.Statement, ...], own: str) -> _Named | None:
    """What a policy names outside account ``own`` (None: nothing), read as :meth:`IamModel.named_by` reads it."""
    names = policy_names(statements)
    if names is None:
        return _Named(everyone=True)
    accounts, arns = names
    out = _Named(accounts=accounts - {own}, arns={a for a in arns if not own or aws_policy.account_of(a) != own})
    return out if out.accounts or out.arns else None


@dataclass
class CrossAccount:
    """The targets and roles a pass must also judge besides its own: those of unknown account, and those
    whose resource or trust policy names someone outside their account."""
    targets: list[tuple[dict, _Named | None]] = field(default_factory=list)   # None: of unknown account
    roles: list[tuple[Principal, _Named]] = field(default_factory=list)

    @staticmethod
    def load(graph: Graph, scps: dict[str, tuple] | None = None) -> CrossAccount:
        out = CrossAccount()
        for t in stream(graph, f"{TARGETS} AND (t.resource_policy IS NOT NULL OR {account_key('t')} = '') "
                               f"{TARGET_ROW}"):
            account = t["home"] = t["account"] or aws_policy.account_of(t["id"])
            if not account:
                out.targets.append((t, None))
                continue
            try:
                named = named_outside(aws_policy.parse_policy(t["policy"], f"{t['id']}#resource-policy"), account)
            except aws_policy.PolicyError:
                continue   # reported by the pass of its own account
            if named:
                out.targets.append((t, named))
        trusting: dict[str, _Named] = {}
        for r in stream(graph, """
                MATCH (p:Role) WHERE p.trust_policy IS NOT NULL AND coalesce(p.provider, 'aws') = 'aws'
                RETURN p.id AS id, p.account_id AS account, p.trust_policy AS trust"""):
            named = named_outside(trust_statements(r["id"], r["trust"]), r["account"] or aws_policy.account_of(r["id"]))
            if named:
                trusting[r["id"]] = named
        if trusting:   # the roles themselves, for the request context (their tags and boundary)
            model = IamModel.load(graph, ids=list(trusting), scps=scps)
            out.roles = [(role, trusting[role.id]) for role in model.principals.values()]
        return out

    def targets_for(self, accounts: list[str], model: IamModel) -> list[dict]:
        """The foreign targets a pass's principals may be allowed on."""
        if "" in accounts:
            return []   # the unknown account's pass sees every target already
        own = set(accounts)
        return [t for t, named in self.targets
                if named is None or (t["home"] not in own and named.names(own, model))]

    def roles_for(self, accounts: list[str], model: IamModel) -> list[Principal]:
        """The foreign roles whose trust policy names a principal of the pass."""
        own = set(accounts)
        return [r for r, named in self.roles if r.account_id not in own and named.names(own, model)]

