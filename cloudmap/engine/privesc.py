"""Privilege escalation: ``(:Identity)-[:CAN_ESCALATE_TO {method, method_id, ...}]->(:Identity)``.

The methods are the table in :mod:`cloudmap.engine.privesc_methods` (every path of the public AWS
catalogue, our additions, the Azure methods). An edge ``P -> T`` means P can gain T's privileges;
when P can rewrite its *own* permissions the edge is a self-loop (``P -> P``: "P can make itself
anything"). Two-step paths (change a role, then assume it) are one edge whose ``steps`` name both.

Every required action is evaluated by the IAM model with the request context the graph knows
(:mod:`cloudmap.engine.aws_conditions`): a condition that cannot hold removes the edge; one that
depends on what the graph cannot know keeps it with ``conditional: true`` and the condition text in
``condition``. Methods that use an existing resource (a stack, a build project, an instance) escalate
only to the role really attached to such a resource, and the actions are evaluated on that resource.
"""

from __future__ import annotations

import bisect
from collections.abc import Iterator
from dataclasses import dataclass, field

from cloudmap.engine.aws_conditions import RequestContext
from cloudmap.engine.aws_policy import NEW_RESOURCE, account_of
from cloudmap.engine.azure_rbac import RoleDefinition, scope_covers
from cloudmap.engine.iam_model import IamModel, Principal, account_key
from cloudmap.engine.privesc_methods import AWS_METHODS, AZURE_METHODS, METHODS, Method
from cloudmap.engine.writer import stream
from cloudmap.graph.driver import Graph

__all__ = ["METHODS", "AwsFacts", "aws_escalations", "azure_escalations"]

RETAGGED = ("aws:resourcetag/", "iam:resourcetag/")
PASS_ROLE = "iam:PassRole"


@dataclass
class AwsFacts:
    """The raw facts the AWS methods are checked against (read by :func:`aws_facts`)."""
    groups: list[str] = field(default_factory=list)
    policies: dict[str, dict] = field(default_factory=dict)     # managed policy id -> {default_version_id}
    resources: list[dict] = field(default_factory=list)         # {id, labels, identity, tags, profile}
    users: dict[str, dict] = field(default_factory=dict)        # user id -> {keys, password}
    assume: list[dict] = field(default_factory=list)            # CAN_ASSUME rows


def aws_facts(graph: Graph, assume: list[dict], accounts: list[str] | None = None,
              policies: list[str] | None = None) -> AwsFacts:
    """The facts of ``accounts`` (and of no known account, which every account's principals see) and the
    managed ``policies`` (the ids their principals hold), or all."""
    within = None if accounts is None else [*accounts, ""]
    groups = [r["id"] for r in graph.read(f"MATCH (g:Group) WHERE coalesce(g.provider, 'aws') = 'aws' "
                                          f"AND ($within IS NULL OR {account_key('g')} IN $within) RETURN g.id AS id", within=within)]
    versions = {r["id"]: {"default_version_id": r["v"]} for r in graph.read(
        "MATCH (x:Policy) WHERE x.policy_type = 'managed' AND coalesce(x.provider, 'aws') = 'aws' "
        "AND ($ids IS NULL OR x.id IN $ids) RETURN x.id AS id, x.default_version_id AS v", ids=policies)}
    users = {r["id"]: {"keys": r["keys"], "password": bool(r["password"])} for r in stream(graph, f"""
        MATCH (u:User) WHERE coalesce(u.provider, 'aws') = 'aws' AND ($within IS NULL OR {account_key('u')} IN $within)
        RETURN u.id AS id, COUNT {{ (u)-[:HAS_KEY]->() }} AS keys, u.has_console_password AS password""",
                                                                                  within=within)}
    labels = " OR ".join(f"c:{lbl}" for lbl in sorted({lbl for m in AWS_METHODS for lbl in (*m.uses, m.needs) if lbl}))
    resources = list(stream(graph, f"""
        MATCH (c:Asset) WHERE ({labels}) AND coalesce(c.provider, 'aws') = 'aws'
          AND ($within IS NULL OR {account_key('c')} IN $within)
        OPTIONAL MATCH (c)-[:USES_IDENTITY]->(i:Role)
        OPTIONAL MATCH (c)-[:USES_PROFILE]->(:InstanceProfile)-[:HAS_ROLE]->(lr:Role)
        OPTIONAL MATCH (ip:InstanceProfile)-[:ATTACHED_TO]->(c)
        RETURN c.id AS id, {account_key('c')} AS account, labels(c) AS labels, coalesce(i.id, lr.id) AS identity,
               c.tags AS tags, ip.id AS profile""", within=within))
    for r in resources:
        r["tags"] = tag_map(r["tags"])
    return AwsFacts(groups, versions, resources, users, assume)


def tag_map(tags: list[str] | None) -> dict[str, str]:
    return dict(t.split("=", 1) if "=" in t else (t, "") for t in tags or [])


# -- evaluating one candidate ----------------------------------------------------------------------

@dataclass
class _Check:
    """The decisions of the actions one candidate needs, folded together."""
    ok: bool = True
    conditional: bool = False
    conditions: set[str] = field(default_factory=set)
    evidence: set[str] = field(default_factory=set)
    steps: list[str] = field(default_factory=list)


class _Evaluator:
    def __init__(self, model: IamModel, facts: AwsFacts):
        self.model = model
        self.tags: dict[str, dict[str, str]] = {r["id"]: r["tags"] for r in facts.resources}

    def context(self, p: Principal, action: str, resource: str, service: str = "",
                chosen: tuple[str, ...] = ()) -> RequestContext:
        return self.model.context(p, action, resource, self.tags.get(resource), service, chosen)

    def check(self, p: Principal, requests: list[tuple[str, str]], service: str = "",
              chosen: tuple[str, ...] = ()) -> _Check:
        out = _Check()
        for action, resource in requests:
            ctx = self.context(p, action, resource, service, chosen) if p.needs_context(action) else None
            d = p.can(action, resource, context=ctx)
            if not d.allowed:
                return _Check(ok=False)
            out.conditional |= d.conditional
            out.conditions.update(d.conditions)
            out.evidence.update(d.evidence)
            out.steps.append(f"{action} on {'a new resource' if resource == NEW_RESOURCE else resource}")
        return out


def _resource_of(action: str, resource: str) -> str:
    """Describe and List calls take no resource: they are asked on ``*``."""
    verb = action.split(":", 1)[-1]
    return "*" if verb.startswith(("Describe", "List", "Get")) else resource


def _edge(p: Principal, target: str, method: Method, c: _Check, *extra_evidence: str,
          steps: tuple[str, ...] = ()) -> dict:
    return {"source": p.id, "target": target, "method": method.name, "method_id": method.id,
            "evidence": sorted(c.evidence | {e for e in extra_evidence if e}), "steps": [*c.steps, *steps],
            "conditional": c.conditional, "condition": "; ".join(sorted(c.conditions)) or None,
            "confidence": method.confidence}


# -- the AWS methods -------------------------------------------------------------------------------

class _Account:
    """One account's principals, groups, policies and resources (escalation stays inside the caller's
    account: IAM, Lambda, EC2 and SSM calls only act there), so the work is linear in accounts."""

    def __init__(self):
        self.principals: list[Principal] = []
        self.groups: list[str] = []
        self.resources: list[dict] = []


def _by_account(model: IamModel, facts: AwsFacts) -> dict[str, _Account]:
    index: dict[str, _Account] = {}
    for kind, items, key in (("principals", model.principals.values(), lambda q: q.account_id),
                             ("groups", facts.groups, account_of),
                             ("resources", facts.resources, lambda r: r.get("account") or account_of(r["id"]))):
        for item in items:
            getattr(index.setdefault(key(item), _Account()), kind).append(item)
    return index


def _merged(index: dict[str, _Account], account: str) -> _Account:
    out = _Account()
    for k in {account, ""}:
        a = index.get(k)
        if a:
            out.principals += a.principals
            out.groups += a.groups
            out.resources += a.resources
    return out


def aws_escalations(model: IamModel, facts: AwsFacts) -> Iterator[dict]:
    ev = _Evaluator(model, facts)
    index = _by_account(model, facts)
    accounts: dict[str, _Account] = {}
    assumable: dict[str, list[dict]] = {}
    for e in facts.assume:
        assumable.setdefault(e["source"], []).append(e)
    managed_of = {q.id: [pid for pid, _, _ in q.policies if pid in facts.policies] for q in model.principals.values()}
    found: list[dict] = []
    # A principal that is already admin of its account gains nothing by escalating (PMapper skips
    # them too); CAN_ACCESS {level: admin} says what it can do.
    principals = [p for p in model.principals.values() if not p.full_admin()]
    for method in AWS_METHODS:
        if method.target == "assume":
            m = method
            found.extend({"source": e["source"], "target": e["target"], "method": m.name, "method_id": m.id,
                          "evidence": e["evidence"], "steps": [f"sts:AssumeRole on {e['target']}"],
                          "conditional": bool(e.get("conditional")), "condition": e.get("condition"),
                          "confidence": m.confidence} for e in facts.assume)
            continue
        if method.target == "deputy":
            continue
        for p in principals:
            if not all(p.could_ever(a) for a in method.actions):
                continue
            if method.retag and not any(p.could_ever(a) for a in method.retag):
                continue
            acct = accounts.get(p.account_id) or accounts.setdefault(p.account_id, _merged(index, p.account_id))
            found.extend(_method_edges(method, p, ev, acct, facts, assumable, managed_of))
    yield from found
    yield from _deputies(model, ev, index, accounts, found)


def _same_account(p: Principal, *arns: str) -> bool:
    return all(account_of(a) in ("", p.account_id) for a in arns if a)


def _method_edges(m: Method, p: Principal, ev: _Evaluator, acct: _Account, facts: AwsFacts,
                  assumable: dict[str, list[dict]], managed_of: dict[str, list[str]]) -> Iterator[dict]:
    t, first = m.target, m.actions[0]
    principals = [q for q in acct.principals if q is not p]
    if t == "self-policy":
        for pol in managed_of.get(p.id, ()):
            if m.id == "cm-iam-001" and facts.policies[pol].get("default_version_id") in (None, "v1"):
                continue   # no older version to switch back to
            c = ev.check(p, [(first, pol)])
            if c.ok:
                yield _edge(p, p.id, m, c, pol)
    elif t in ("self-role", "self-user"):
        if p.kind == ("Role" if t == "self-role" else "User"):
            c = ev.check(p, [(first, p.id)])
            if c.ok:
                yield _edge(p, p.id, m, c)
    elif t == "self-group":
        for g in p.groups:
            c = ev.check(p, [(first, g)])
            if c.ok:
                yield _edge(p, p.id, m, c, g)
    elif t == "group":
        if p.kind == "User":
            for g in acct.groups:
                if g not in p.groups:
                    c = ev.check(p, [(first, g)])
                    if c.ok:
                        yield _edge(p, g, m, c)
    elif t == "user":
        yield from _user_edges(m, p, ev, [q for q in principals if q.kind == "User"], facts)
    elif t == "role":
        for r in (q for q in principals if q.kind == "Role"):
            c = ev.check(p, [(a, r.id) for a in m.actions])
            if c.ok:
                yield _edge(p, r.id, m, c)
    elif t in ("assumable-role", "assumable-policy"):
        for e in assumable.get(p.id, ()):
            r = e["target"]
            if r == p.id or not _same_account(p, r):
                continue
            for res in ([r] if t == "assumable-role" else managed_of.get(r, ())):
                c = ev.check(p, [(first, res)])
                if c.ok:
                    c.conditional |= bool(e.get("conditional"))
                    yield _edge(p, r, m, c, res, *e.get("evidence", ()), steps=(f"sts:AssumeRole on {r}",))
    elif t in ("rewritable-role", "rewritable-policy"):
        for r in (q for q in principals if q.kind == "Role"):
            for res in ([r.id] if t == "rewritable-role" else managed_of.get(r.id, ())):
                c = ev.check(p, [(first, res), ("iam:UpdateAssumeRolePolicy", r.id)])
                if c.ok:
                    yield _edge(p, r.id, m, c, res, steps=(f"sts:AssumeRole on {r.id}",))
    elif t == "passrole":
        yield from _passrole_edges(m, p, ev, principals, acct)
    elif t == "uses":
        yield from _uses_edges(m, p, ev, acct)
    elif t == "profile-swap":
        yield from _profile_swap_edges(m, p, ev, principals, acct)


def _user_edges(m: Method, p: Principal, ev: _Evaluator, users: list[Principal], facts: AwsFacts) -> Iterator[dict]:
    for u in users:
        info = facts.users.get(u.id, {"keys": 0, "password": False})
        if "iam:CreateAccessKey" in m.actions and m.id in ("iam-002", "cm-iam-002") and info["keys"] >= 2:
            continue   # a user holds at most two access keys: a third cannot be created
        if m.id == "iam-003" and info["keys"] < 2:
            continue   # iam-002 covers it
        if m.id == "iam-004" and info["password"]:
            continue   # CreateLoginProfile fails when the user already has a password
        if m.id in ("iam-006", "cm-iam-003") and not info["password"]:
            continue
        c = _allowed(m, p, ev, u.id, [(a, u.id) for a in m.actions])
        if c.ok:
            yield _edge(p, u.id, m, c)


def _allowed(m: Method, p: Principal, ev: _Evaluator, resource: str, requests: list[tuple[str, str]]) -> _Check:
    """The method's requests; for a retagging method, only when they need the retag: P may tag or
    untag the resource, and the tag-conditioned requests then hold with tags of P's choosing."""
    if not m.retag:
        return ev.check(p, requests)
    if ev.check(p, requests).ok:
        return _Check(ok=False)   # allowed without retagging: the plain method reports it
    tagging = next((c for a in m.retag if (c := ev.check(p, [(a, resource)])).ok), None)
    if tagging is None:
        return _Check(ok=False)
    c = ev.check(p, requests, chosen=RETAGGED)
    c.steps = tagging.steps + c.steps
    c.evidence |= tagging.evidence
    return c


def _service_trusted(model: IamModel, role: Principal, service: str) -> bool:
    return any(s.allow and s.principals and service in s.principals.get("Service", ())
               for s in model.trust(role))


def _passrole_edges(m: Method, p: Principal, ev: _Evaluator, principals: list[Principal], acct: _Account):
    existing = None
    if m.needs:
        for r in acct.resources:
            if m.needs in r["labels"]:
                c = ev.check(p, [(a, r["id"]) for a in m.on_existing]) if m.on_existing else _Check()
                if c.ok:
                    existing = (r, c)
                    break
        if existing is None:
            return   # the method needs an existing resource of that kind that P may act on
    for r in principals:
        if r.kind != "Role" or not _service_trusted(ev.model, r, m.service):
            continue
        requests = [(PASS_ROLE, r.id)] + [(a, NEW_RESOURCE) for a in m.actions[1:] if a not in m.on_existing]
        # The role is passed within the service call, in a region of the caller's choosing.
        c = ev.check(p, requests, service=m.service, chosen=("aws:requestedregion",))
        if not c.ok:
            continue
        if existing:
            res, ec = existing
            c.steps += ec.steps
            c.evidence |= ec.evidence | {res["id"]}
            c.conditional |= ec.conditional
            c.conditions |= ec.conditions
        yield _edge(p, r.id, m, c)


def _uses_edges(m: Method, p: Principal, ev: _Evaluator, acct: _Account) -> Iterator[dict]:
    for r in acct.resources:
        role = r.get("identity")
        if not role or role == p.id or not any(lbl in r["labels"] for lbl in m.uses) or not _same_account(p, r["id"], role):
            continue
        c = _allowed(m, p, ev, r["id"], [(a, _resource_of(a, r["id"])) for a in m.actions])
        if c.ok:
            yield _edge(p, role, m, c, r["id"])


def _profile_swap_edges(m: Method, p: Principal, ev: _Evaluator, principals: list[Principal], acct: _Account):
    for inst in acct.resources:
        profile = inst.get("profile")
        if not profile or "AWSInstance" not in inst["labels"]:
            continue
        way_in = ev.check(p, [("ssm:SendCommand", inst["id"]), ("iam:RemoveRoleFromInstanceProfile", profile),
                              ("iam:AddRoleToInstanceProfile", profile)])
        if not way_in.ok:
            continue
        for r in principals:
            if r.kind != "Role" or r.id == inst.get("identity") or not _service_trusted(ev.model, r, m.service):
                continue
            c = ev.check(p, [(PASS_ROLE, r.id)], service=m.service)
            if c.ok:
                c.steps = way_in.steps + c.steps
                c.evidence |= way_in.evidence
                c.conditional |= way_in.conditional
                c.conditions |= way_in.conditions
                yield _edge(p, r.id, m, c, inst["id"], profile)


def _deputies(model: IamModel, ev: _Evaluator, index: dict[str, _Account], accounts: dict[str, _Account],
              found: list[dict]) -> Iterator[dict]:
    """lambda:InvokeFunction on a function whose role can escalate (after every other method)."""
    m = next(x for x in AWS_METHODS if x.target == "deputy")
    escalating = {e["source"] for e in found} | {p.id for p in model.principals.values() if p.full_admin()}
    for p in model.principals.values():
        if not p.could_ever(m.actions[0]) or p.full_admin():
            continue
        acct = accounts.get(p.account_id) or accounts.setdefault(p.account_id, _merged(index, p.account_id))
        for fn in acct.resources:
            role = fn.get("identity")
            if "AWSLambdaFunction" not in fn["labels"] or role not in escalating or role == p.id:
                continue
            c = ev.check(p, [(m.actions[0], fn["id"])])
            if c.ok:
                yield _edge(p, role, m, c, fn["id"])


# -- Azure -----------------------------------------------------------------------------------------

def azure_compute(graph: Graph) -> list[dict]:
    return list(stream(graph, "MATCH (c:Asset)-[:USES_IDENTITY]->(i:Identity) WHERE c.provider = 'azure' "
                              "RETURN c.id AS id, labels(c) AS labels, i.id AS identity"))


def azure_escalations(assignments: list[dict], compute: list[dict]) -> Iterator[dict]:
    by_principal: dict[str, list[tuple[str, RoleDefinition, str, dict]]] = {}
    for a in assignments:
        by_principal.setdefault(a["principal"], []).append((a["scope"], RoleDefinition.from_row(a["role"]),
                                                            a["assignment"], a["role"]))
    under = _ScopeIndex(compute)
    for method in AZURE_METHODS:
        for principal, grants in by_principal.items():
            yield from _azure_method(method, principal, grants, under)


def _edge_row(principal: str, target: str, method: Method, evidence: list[str]) -> dict:
    return {"source": principal, "target": target, "method": method.name, "method_id": method.id,
            "evidence": sorted(set(evidence)), "conditional": False, "confidence": method.confidence,
            "steps": [f"{a}" for a in method.actions]}


def _azure_method(method: Method, principal: str, grants, under: _ScopeIndex) -> Iterator[dict]:
    def permits_all(role: RoleDefinition) -> bool:
        return all(role.permits(op) for op in method.actions)

    if method.target == "azure-scope":
        ev = [aid for _, role, aid, _ in grants if permits_all(role)]
        if ev:
            yield _edge_row(principal, principal, method, ev)
        return
    if method.target == "azure-roledef":
        writers = [(scope, aid) for scope, role, aid, _ in grants if permits_all(role)]
        custom = [(scope, aid, row) for scope, _, aid, row in grants
                  if (row.get("role_type") or "").lower() == "customrole"]
        ev = [aid for ws, aid in writers if any(scope_covers(ws, cs) or scope_covers(cs, ws) for cs, _, _ in custom)]
        if ev:
            yield _edge_row(principal, principal, method, ev + [row["id"] for _, _, row in custom])
        return
    label = method.target.split(":", 1)[1]
    evidence: dict[int, tuple[dict, list[str]]] = {}
    for scope, role, aid, _ in grants:
        if not permits_all(role):
            continue
        for c in under.covered(scope):
            if label in c["labels"] or (label == "Function" and "WebApp" in c["labels"]):
                evidence.setdefault(id(c), (c, []))[1].append(aid)
    for c, ev in evidence.values():
        if c["identity"] != principal:
            yield _edge_row(principal, c["identity"], method, ev + [c["id"]])


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



