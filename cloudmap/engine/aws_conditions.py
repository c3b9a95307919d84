"""IAM ``Condition`` blocks, evaluated three-valued against what the graph knows of a request.

Each key of a condition is one of three kinds:

* **known**: the graph knows its value (``aws:PrincipalTag/*``, ``aws:ResourceTag/*`` and
  ``iam:ResourceTag/*`` from tags, ``iam:PassedToService``, ``iam:PolicyARN``,
  ``iam:PermissionsBoundary``, ``aws:RequestedRegion``, ``aws:PrincipalArn``, ``aws:PrincipalAccount``,
  ``aws:username``), or knows that the request will not carry it (a tag the resource does not have);
* **attacker-controlled**: the caller chooses it (``aws:RequestTag/*``, ``aws:TagKeys``,
  ``sts:RoleSessionName``, ``sts:SourceIdentity``, and any key listed in
  :attr:`RequestContext.chosen`). An attacker picks values that meet an Allow's condition and miss a
  Deny's;
* **unknowable**: anything else (``aws:SourceIp``, ``aws:SourceVpc``, ``aws:MultiFactorAuthPresent``,
  ``aws:CurrentTime``...). The result is :data:`UNKNOWN`, which keeps an allow *conditional*.

Operators: String*, Arn*, Numeric*, Date*, Bool, IpAddress/NotIpAddress, Null, each with ``…IfExists``
and the ``ForAllValues:`` / ``ForAnyValue:`` set prefixes, following IAM's documented semantics (a
negated operator on a missing key is true; ``ForAllValues`` on a missing key is true)."""

from __future__ import annotations

import ipaddress
import json
from dataclasses import dataclass, field
from datetime import UTC, datetime
from enum import Enum
from functools import lru_cache


class Truth(Enum):
    TRUE = "true"
    FALSE = "false"
    UNKNOWN = "unknown"


TRUE, FALSE, UNKNOWN = Truth.TRUE, Truth.FALSE, Truth.UNKNOWN

ATTACKER_KEYS = ("aws:requesttag/", "aws:tagkeys", "sts:rolesessionname", "sts:sourceidentity",
                 "sts:transitivetagkeys")
# Families whose keys the graph knows completely once their source is known: a missing key is absent.
TAG_FAMILIES = {"aws:principaltag/": "principal", "aws:resourcetag/": "resource", "iam:resourcetag/": "resource"}


@dataclass(frozen=True)
class Condition:
    operator: str           # as written, e.g. "ForAnyValue:StringLikeIfExists"
    key: str
    values: tuple[str, ...]

    def text(self) -> str:
        return json.dumps({self.operator: {self.key: list(self.values)}})


@dataclass
class RequestContext:
    """What the graph knows about one request (keys lower-cased). ``principal_tags`` and
    ``resource_tags`` are None when unknown (a resource not in the graph); ``chosen`` lists keys (or key
    prefixes ending in ``/``) the caller controls for this request (``aws:resourcetag/`` after a retag)."""
    values: dict[str, tuple[str, ...]] = field(default_factory=dict)
    principal_tags: dict[str, str] | None = None
    resource_tags: dict[str, str] | None = None
    chosen: tuple[str, ...] = ()

    def lookup(self, key: str) -> tuple[str, ...] | None | str:
        """The key's values (``()`` when known absent), ``"attacker"``, or None when unknowable."""
        k = key.lower()
        if any(k == c or (c.endswith("/") and k.startswith(c)) for c in (*ATTACKER_KEYS, *self.chosen)):
            return "attacker"
        if k in self.values:
            return self.values[k]
        for prefix, source in TAG_FAMILIES.items():
            if k.startswith(prefix):
                tags = self.principal_tags if source == "principal" else self.resource_tags
                if tags is None:
                    return None
                wanted = key[len(prefix):].lower()   # tag keys compare case-insensitively in conditions
                return tuple(v for t, v in tags.items() if t.lower() == wanted)
        return None


def parse_conditions(block) -> tuple[Condition, ...]:
    if not block:
        return ()
    if not isinstance(block, dict):
        raise ValueError("Condition must be an object")
    out = []
    for operator, keys in block.items():
        if not isinstance(keys, dict):
            raise ValueError(f"Condition {operator} must map keys to values")
        for key, values in keys.items():
            vals = values if isinstance(values, list) else [values]
            out.append(Condition(operator, key, tuple(str(v).lower() if isinstance(v, bool) else str(v) for v in vals)))
    return tuple(out)


def evaluate(conditions: tuple[Condition, ...], ctx: RequestContext, attacker_wants: bool) -> Truth:
    """All conditions hold (AND). ``attacker_wants``: what the caller would choose for the keys it
    controls (True for an Allow it wants to meet, False for a Deny it wants to miss)."""
    result = TRUE
    for c in conditions:
        t = evaluate_one(c, ctx, attacker_wants)
        if t is FALSE:
            return FALSE
        if t is UNKNOWN:
            result = UNKNOWN
    return result


def evaluate_one(c: Condition, ctx: RequestContext, attacker_wants: bool) -> Truth:
    found = ctx.lookup(c.key)
    if found == "attacker":
        return TRUE if attacker_wants else FALSE
    if found is None:
        return UNKNOWN
    values = _substitute(c.values, ctx)
    if values is None:
        return UNKNOWN
    return _apply(c.operator, tuple(found), values)


def _substitute(values: tuple[str, ...], ctx: RequestContext) -> tuple[str, ...] | None:
    """Policy variables (``${aws:username}``) replaced by known single values; None when one is unknowable."""
    out = []
    for v in values:
        while "${" in v:
            start = v.index("${")
            end = v.find("}", start)
            if end < 0:
                break
            found = ctx.lookup(v[start + 2:end])
            if not isinstance(found, tuple) or len(found) != 1:
                return None
            v = v[:start] + found[0] + v[end + 1:]
        out.append(v)
    return tuple(out)


def _apply(operator: str, present: tuple[str, ...], wanted: tuple[str, ...]) -> Truth:
    op = operator
    set_op = ""
    if ":" in op:
        set_op, op = op.split(":", 1)
    if_exists = op.endswith("IfExists")
    if if_exists:
        op = op[:-len("IfExists")]
    if op == "Null":
        absent = not present
        return _b(any((w.lower() == "true") == absent for w in wanted))
    if not present:
        if if_exists or set_op == "ForAllValues":
            return TRUE
        if set_op == "ForAnyValue":
            return FALSE
        return _b(_negated(op))
    test = _matcher(op)
    if test is None:
        return UNKNOWN   # Binary* and operators IAM may add: not evaluated
    negated = _negated(op)

    def one(value: str) -> bool:
        hit = any(test(value, w) for w in wanted)
        return not hit if negated else hit

    if set_op == "ForAllValues":
        return _b(all(one(v) for v in present))
    return _b(any(one(v) for v in present))   # ForAnyValue, and single-valued keys


def _b(value: bool) -> Truth:
    return TRUE if value else FALSE


def _negated(op: str) -> bool:
    return op in ("StringNotEquals", "StringNotEqualsIgnoreCase", "StringNotLike", "ArnNotEquals", "ArnNotLike",
                  "NumericNotEquals", "DateNotEquals", "NotIpAddress")


def _matcher(op: str):
    from cloudmap.engine.aws_policy import wildcard_match
    base = op.replace("Not", "", 1) if _negated(op) else op
    table = {
        "StringEquals": lambda v, w: v == w,
        "StringEqualsIgnoreCase": lambda v, w: v.lower() == w.lower(),
        "StringLike": lambda v, w: wildcard_match(w, v),
        "ArnEquals": lambda v, w: wildcard_match(w, v),
        "ArnLike": lambda v, w: wildcard_match(w, v),
        "Bool": lambda v, w: v.lower() == w.lower(),
        "IpAddress": _in_network,
    }
    if base in table:
        return table[base]
    for family, parse in (("Numeric", _number), ("Date", _date)):
        if base.startswith(family):
            compare = _COMPARE.get(base[len(family):])
            if compare is None:
                return None
            return lambda v, w, p=parse, c=compare: _compare(p, c, v, w)
    return None


_COMPARE = {"Equals": lambda a, b: a == b, "LessThan": lambda a, b: a < b, "LessThanEquals": lambda a, b: a <= b,
            "GreaterThan": lambda a, b: a > b, "GreaterThanEquals": lambda a, b: a >= b}


def _compare(parse, compare, value: str, wanted: str) -> bool:
    a, b = parse(value), parse(wanted)
    return a is not None and b is not None and compare(a, b)


def _number(text: str) -> float | None:
    try:
        return float(text)
    except ValueError:
        return None


def _date(text: str) -> datetime | None:
    try:
        if text.replace(".", "", 1).isdigit():
            return datetime.fromtimestamp(float(text), UTC)
        d = datetime.fromisoformat(text.replace("Z", "+00:00"))
        return d if d.tzinfo else d.replace(tzinfo=UTC)
    except ValueError:
        return None


@lru_cache(maxsize=4096)
def _network(cidr: str):
    try:
        return ipaddress.ip_network(cidr, strict=False)
    except ValueError:
        return None


def _in_network(value: str, cidr: str) -> bool:
    net = _network(cidr)
    try:
        return net is not None and ipaddress.ip_address(value.split("/")[0]) in net
    except ValueError:
        return False
