"""AWS IAM policy evaluation, pure Python, following the documented evaluation logic:

1. An explicit ``Deny`` that matches (in an identity policy, a permission boundary, an SCP or the
   resource policy) wins. A deny with a ``Condition`` is *not* counted (we cannot know the request
   context), so we over-report access rather than miss it; it is recorded in ``ignored_denies``.
2. Service control policies, when any apply, must allow the action.
3. A permission boundary, when set, must allow the action.
4. An identity policy or the resource policy must allow it (for KMS keys the key policy must allow
   it directly or delegate to the account; across accounts both sides must allow).

An ``Allow`` with a ``Condition`` still allows, but the decision is marked ``conditional``.
Actions are matched case-insensitively, resources case-sensitively; ``*`` and ``?`` are wildcards;
``NotAction`` and ``NotResource`` match everything except what they list.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from functools import lru_cache


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

    @property
    def allow(self) -> bool:
        return self.effect == "Allow"

    def matches_action(self, action: str) -> bool:
        if self.not_actions is not None:
            return not any(wildcard_match(p, action, True) for p in self.not_actions)
        return any(wildcard_match(p, action, True) for p in self.actions)

    def matches_resource(self, resource: str) -> bool:
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
                conditional=bool(st.get("Condition"))))
        except PolicyError as exc:
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
    """How a resource-policy statement names the principal: ``"direct"`` (its ARN, ``*``, or the
    service), ``"account"`` (its account, which delegates to the account's IAM policies) or None."""
    def match(pmap: dict) -> str | None:
        if "*" in pmap and "*" in pmap["*"]:
            return "direct"
        if service and service in pmap.get("Service", ()):
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
    ignored_denies: list[str] = field(default_factory=list)  # conditional denies, not counted
    reason: str = ""


def _allows(statements: Iterable[Statement], action: str, resource: str) -> tuple[bool, bool, list[str]]:
    """(allowed, only conditionally, evidence) from the Allow statements of one layer."""
    hits = [s for s in statements if s.allow and s.matches_action(action) and s.matches_resource(resource)]
    return bool(hits), bool(hits) and all(s.conditional for s in hits), sorted({s.policy_id for s in hits})


def evaluate(action: str, resource: str, identity: Iterable[Statement] = (),
             boundary: Iterable[Statement] | None = None, scps: Iterable[Statement] | None = None,
             resource_policy: Iterable[Statement] | None = None, principal: str = "",
             resource_account: str = "", resource_policy_required: bool = False, service: str | None = None) -> Decision:
    identity = tuple(identity)
    boundary = tuple(boundary) if boundary is not None else None
    scps = tuple(scps) if scps is not None else None
    named = [(s, principal_match(s, principal, service)) for s in (resource_policy or ())]
    rpol = tuple(s for s, how in named if how)
    denied, ignored = [], []
    for layer in (identity, boundary or (), scps or (), rpol):
        for s in layer:
            if not s.allow and s.matches_action(action) and s.matches_resource(resource):
                (ignored if s.conditional else denied).append(s.policy_id)
    if denied:
        return Decision(False, denied_by=sorted(set(denied)), ignored_denies=sorted(set(ignored)),
                        reason="explicit deny")
    conditional, evidence = False, []
    if scps is not None:
        ok, cond, _ = _allows(scps, action, resource)
        if not ok:
            return Decision(False, ignored_denies=sorted(set(ignored)), reason="not allowed by the SCPs")
        conditional |= cond
    id_ok, id_cond, id_ev = _allows(identity, action, resource)
    direct = [s for s, how in named if how == "direct"]
    delegated = [s for s, how in named if how == "account"]
    rd_ok, rd_cond, rd_ev = _allows(direct, action, resource)
    ra_ok, ra_cond, ra_ev = _allows(delegated, action, resource)
    cross = bool(resource_account) and bool(account_of(principal)) and account_of(principal) != resource_account
    if resource_policy_required:  # KMS key policies, role trust policies: must allow, directly or by delegating
        paths = [(rd_ok, rd_cond, rd_ev), (ra_ok and id_ok, ra_cond or id_cond, ra_ev + id_ev)]
    elif cross:     # across accounts both the identity and the resource policy must allow
        paths = [(id_ok and (rd_ok or ra_ok), id_cond or (rd_cond if rd_ok else ra_cond), id_ev + rd_ev + ra_ev)]
    else:
        paths = [(id_ok, id_cond, id_ev), (rd_ok, rd_cond, rd_ev)]
    ok_paths = [p for p in paths if p[0]]
    if not ok_paths:
        return Decision(False, ignored_denies=sorted(set(ignored)), reason="no allow")
    # Identity-based allows are what boundaries limit; a direct resource-policy grant is not limited.
    if boundary is not None and not (rd_ok and not resource_policy_required and not cross):
        ok, cond, _ = _allows(boundary, action, resource)
        if not ok:
            return Decision(False, ignored_denies=sorted(set(ignored)), reason="outside the permission boundary")
        conditional |= cond
    conditional |= all(p[1] for p in ok_paths)
    evidence = sorted({e for p in ok_paths for e in p[2]})
    return Decision(True, conditional, evidence, ignored_denies=sorted(set(ignored)), reason="allowed")


def full_admin_statements(statements: Iterable[Statement]) -> list[Statement]:
    """Unconditional allows of every action on every resource (AdministratorAccess, ``*:*``)."""
    return [s for s in statements if s.allow and not s.conditional and s.not_actions is None
            and s.not_resources is None and any(a in ("*", "*:*") for a in s.actions) and "*" in s.resources]
