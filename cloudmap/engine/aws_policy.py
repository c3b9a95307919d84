"""AWS IAM policy evaluation, pure Python, following the documented evaluation logic:

1. An explicit ``Deny`` that matches (in an identity policy, a permission boundary, an SCP or the
   resource policy) and whose condition holds wins. A deny whose condition depends on what the graph
   cannot know is *not* counted (we over-report access rather than miss it): it is recorded in
   ``ignored_denies`` and the decision is ``conditional``.
2. Service control policies, when any apply, must allow the action at every level of the
   Organizations tree (root, each OU, the account): ``scps`` is one tuple of statements per level.
3. A permission boundary, when set, must allow the action.
4. An identity policy or the resource policy must allow it (for KMS keys the key policy must allow
   it directly or delegate to the account; across accounts both sides must allow).

Conditions are evaluated by :mod:`cloudmap.engine.aws_conditions` against a
:class:`~cloudmap.engine.aws_conditions.RequestContext`: a statement whose condition cannot hold does
not count; one whose condition depends on unknowable keys counts, marks the decision ``conditional``
and its condition text is kept in ``conditions``. Without a context every condition is unknowable.
Actions are matched case-insensitively, resources case-sensitively; ``*`` and ``?`` are wildcards;
``NotAction`` and ``NotResource`` match everything except what they list.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from functools import lru_cache

from cloudmap.engine.aws_conditions import FALSE, TRUE, UNKNOWN, Condition, RequestContext, Truth, parse_conditions

# The resource of a request that creates something the caller names (a function, a stack, a job):
# an Allow on any resource pattern can be met by choosing the name; only a Deny on every name ("*") blocks.
NEW_RESOURCE = "<new resource>"


class PolicyError(ValueError):
    """A policy document is not valid JSON or not shaped like an IAM policy (names the policy id)."""


def _as_list(value) -> tuple[str, ...]:
    if value is None:
        return ()
    if isinstance(value, (list, tuple)):
        return tuple(str(v) for v in value)
    return (str(value),)


@dataclass(frozen=True)
class Statement:
    policy_id: str
    effect: str                          # "Allow" / "Deny"
    actions: tuple[str, ...] = ()
    not_actions: tuple[str, ...] | None = None
    resources: tuple[str, ...] = ("*",)
    not_resources: tuple[str, ...] | None = None
    principals: dict | None = None       # resource policies only: {"AWS": [...], "Service": [...]} or {"*": ["*"]}
    not_principals: dict | None = None
    conditional: bool = False
    conditions: tuple[Condition, ...] = ()

    def condition_holds(self, ctx: RequestContext | None) -> Truth:
        """Whether the Condition holds for the request (for a Deny: as the caller would choose)."""
        if not self.conditions:
            return TRUE
        if ctx is None:
            return UNKNOWN
        from cloudmap.engine.aws_conditions import evaluate as evaluate_conditions
        return evaluate_conditions(self.conditions, ctx, attacker_wants=self.allow)

    def condition_text(self) -> str:
        return "; ".join(c.text() for c in self.conditions)

    @property
    def allow(self) -> bool:
        return self.effect == "Allow"

    def matches_action(self, action: str) -> bool:
        if self.not_actions is not None:
            return not any(wildcard_match(p, action, True) for p in self.not_actions)
        return any(wildcard_match(p, action, True) for p in self.actions)

    def matches_resource(self, resource: str) -> bool:
        if resource == NEW_RESOURCE:
            if self.allow:
                return self.not_resources is not None or bool(self.resources)
            return self.not_resources is None and "*" in self.resources
        if self.not_resources is not None:
            return not any(wildcard_match(p, resource, False) for p in self.not_resources)
        return any(wildcard_match(p, resource, False) for p in self.resources)


def _principal_map(value) -> dict | None:
    if value is None:
        return None
    if value == "*":
        return {"*": ("*",)}
    if isinstance(value, dict):
        return {k: _as_list(v) for k, v in value.items()}
    raise PolicyError(f"Principal must be \"*\" or an object, got {value!r}")


@lru_cache(maxsize=4096)
def parse_policy(document: str, policy_id: str = "") -> tuple[Statement, ...]:
    """The statements of a policy document (JSON text)."""
    try:
        doc = json.loads(document) if isinstance(document, str) else document
    except json.JSONDecodeError as exc:
        raise PolicyError(f"policy {policy_id}: document is not valid JSON ({exc.msg} at {exc.pos})") from None
    if not isinstance(doc, dict):
        raise PolicyError(f"policy {policy_id}: document is not a JSON object")
    raw = doc.get("Statement", [])
    raw = [raw] if isinstance(raw, dict) else raw
    out = []
    for i, st in enumerate(raw):
        if not isinstance(st, dict) or st.get("Effect") not in ("Allow", "Deny"):
            raise PolicyError(f"policy {policy_id}: statement {i} needs Effect Allow or Deny")
        try:
            out.append(Statement(
                policy_id=policy_id, effect=st["Effect"],
                actions=_as_list(st.get("Action")),
                not_actions=_as_list(st["NotAction"]) if "NotAction" in st else None,
                resources=_as_list(st.get("Resource", "*")) if "NotResource" not in st else (),
                not_resources=_as_list(st["NotResource"]) if "NotResource" in st else None,
                principals=_principal_map(st.get("Principal")),
                not_principals=_principal_map(st.get("NotPrincipal")),
                conditional=bool(st.get("Condition")), conditions=parse_conditions(st.get("Condition"))))
        except (PolicyError, ValueError) as exc:
            raise PolicyError(f"policy {policy_id}: statement {i}: {exc}") from None
    return tuple(out)


def policy_statements(policies: Iterable[tuple[str, str]]) -> tuple[Statement, ...]:
    """Statements of several ``(policy_id, document)`` pairs."""
    out: list[Statement] = []
    for pid, doc in policies:
        if doc:
            out.extend(parse_policy(doc if isinstance(doc, str) else json.dumps(doc), pid))
    return tuple(out)


@lru_cache(maxsize=16384)
def _pattern(pattern: str, ignore_case: bool) -> re.Pattern:
    rx = "".join(".*" if c == "*" else "." if c == "?" else re.escape(c) for c in pattern)
    return re.compile(rx, re.IGNORECASE | re.DOTALL if ignore_case else re.DOTALL)


def wildcard_match(pattern: str, value: str, ignore_case: bool = False) -> bool:
    if pattern == "*":
        return True
    return _pattern(pattern, ignore_case).fullmatch(value) is not None


def account_of(arn: str) -> str:
    parts = arn.split(":")
    return parts[4] if len(parts) > 5 and arn.startswith("arn:") else ""


def principal_match(stmt: Statement, principal: str, service: str | None = None) -> str | None:
    """How a resource-policy statement names the principal: ``"direct"`` (its ARN, ``*``, the service,
    or the federated identity provider), ``"account"`` (its account, which delegates to the account's IAM policies) or None."""
    def match(pmap: dict) -> str | None:
        if "*" in pmap and "*" in pmap["*"]:
            return "direct"
        if service and service in pmap.get("Service", ()):
            return "direct"
        if principal in pmap.get("Federated", ()):
            return "direct"
        acct = account_of(principal)
        for p in pmap.get("AWS", ()):
            if p == "*" or p == principal:
                return "direct"
            if acct and p in (acct, f"arn:aws:iam::{acct}:root"):
                return "account"
        return None

    if stmt.principals is not None:
        return match(stmt.principals)
    if stmt.not_principals is not None:
        return None if match(stmt.not_principals) else "direct"
    return None


@dataclass
class Decision:
    allowed: bool
    conditional: bool = False
    evidence: list[str] = field(default_factory=list)     # ids of the policies whose statements allowed it
    denied_by: list[str] = field(default_factory=list)
    ignored_denies: list[str] = field(default_factory=list)  # denies whose condition the graph cannot decide
    reason: str = ""
    conditions: list[str] = field(default_factory=list)   # the condition texts that left it conditional


@dataclass
class _Layer:
    ok: bool
    conditional: bool
    evidence: list[str]
    conditions: list[str]


def _allows(statements: Iterable[Statement], action: str, resource: str, ctx: RequestContext | None) -> _Layer:
    """What the Allow statements of one layer grant: only conditionally when every matching
    statement's condition is undecided; statements whose condition cannot hold do not count."""
    hits = []
    for s in statements:
        if s.allow and s.matches_action(action) and s.matches_resource(resource):
            truth = s.condition_holds(ctx)
            if truth is not FALSE:
                hits.append((s, truth))
    sure = [s for s, t in hits if t is TRUE]
    return _Layer(bool(hits), bool(hits) and not sure, sorted({s.policy_id for s, _ in hits}),
                  [] if sure else sorted({s.condition_text() for s, _ in hits}))


def scp_levels(scps) -> tuple[tuple[Statement, ...], ...] | None:
    """SCPs as levels: a flat sequence of statements is one level."""
    if scps is None:
        return None
    scps = tuple(scps)
    if scps and isinstance(scps[0], Statement):
        return (scps,)
    return tuple(tuple(level) for level in scps)


def evaluate(action: str, resource: str, identity: Iterable[Statement] = (),
             boundary: Iterable[Statement] | None = None, scps=None,
             resource_policy: Iterable[Statement] | None = None, principal: str = "",
             resource_account: str = "", resource_policy_required: bool = False, service: str | None = None,
             context: RequestContext | None = None) -> Decision:
    identity = tuple(identity)
    boundary = tuple(boundary) if boundary is not None else None
    levels = scp_levels(scps)
    named = [(s, principal_match(s, principal, service)) for s in (resource_policy or ())]
    rpol = tuple(s for s, how in named if how)
    denied, ignored, undecided = [], [], []
    for layer in (identity, boundary or (), *(levels or ()), rpol):
        for s in layer:
            if not s.allow and s.matches_action(action) and s.matches_resource(resource):
                truth = s.condition_holds(context)
                if truth is TRUE:
                    denied.append(s.policy_id)
                elif truth is UNKNOWN:
                    ignored.append(s.policy_id)
                    undecided.append(s.condition_text())
    ignored = sorted(set(ignored))
    if denied:
        return Decision(False, denied_by=sorted(set(denied)), ignored_denies=ignored, reason="explicit deny")
    conditional, texts = bool(undecided), set(undecided)
    for level in levels or ():
        got = _allows(level, action, resource, context)
        if not got.ok:
            return Decision(False, ignored_denies=ignored, reason="not allowed by the SCPs")
        conditional |= got.conditional
        texts.update(got.conditions)
    idl = _allows(identity, action, resource, context)
    direct = [s for s, how in named if how == "direct"]
    delegated = [s for s, how in named if how == "account"]
    rd = _allows(direct, action, resource, context)
    ra = _allows(delegated, action, resource, context)
    cross = bool(resource_account) and bool(account_of(principal)) and account_of(principal) != resource_account
    if resource_policy_required:  # KMS key policies, role trust policies: must allow, directly or by delegating
        paths = [rd, _Layer(ra.ok and idl.ok, ra.conditional or idl.conditional, ra.evidence + idl.evidence,
                            ra.conditions + idl.conditions)]
    elif cross:     # across accounts both the identity and the resource policy must allow
        res = rd if rd.ok else ra
        paths = [_Layer(idl.ok and res.ok, idl.conditional or res.conditional, idl.evidence + rd.evidence + ra.evidence,
                        idl.conditions + res.conditions)]
    else:
        paths = [idl, rd]
    ok_paths = [p for p in paths if p.ok]
    if not ok_paths:
        return Decision(False, ignored_denies=ignored, reason="no allow")
    # Identity-based allows are what boundaries limit; a direct resource-policy grant is not limited.
    if boundary is not None and not (rd.ok and not resource_policy_required and not cross):
        got = _allows(boundary, action, resource, context)
        if not got.ok:
            return Decision(False, ignored_denies=ignored, reason="outside the permission boundary")
        conditional |= got.conditional
        texts.update(got.conditions)
    if all(p.conditional for p in ok_paths):
        conditional = True
        texts.update(c for p in ok_paths for c in p.conditions)
    evidence = sorted({e for p in ok_paths for e in p.evidence})
    return Decision(True, conditional, evidence, ignored_denies=ignored, reason="allowed",
                    conditions=sorted(texts) if conditional else [])


def full_admin_statements(statements: Iterable[Statement]) -> list[Statement]:
    """Unconditional allows of every action on every resource (AdministratorAccess, ``*:*``)."""
    return [s for s in statements if s.allow and not s.conditional and s.not_actions is None
            and s.not_resources is None and any(a in ("*", "*:*") for a in s.actions) and "*" in s.resources]
