"""Firewall rule evaluation, pure Python: port/protocol sets, source matching, and the two ways
clouds combine rules.

* AWS security groups only allow: what is allowed is the union of the matching rules.
* AWS network ACLs and Azure NSGs are ordered: rules are read by ascending ``priority`` and the
  first rule that matches a (protocol, port) decides it; what no rule decides is denied.

An :class:`Access` is a set of (protocol, port) pairs kept as merged port intervals per protocol,
so rules with ranges, ``*`` ports and all-traffic protocols combine exactly.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from functools import lru_cache

PROTOCOLS = ("tcp", "udp", "icmp")
MAX_PORT = 65535
_PROTO_ALIASES = {"-1": "*", "all": "*", "any": "*", "6": "tcp", "17": "udp", "1": "icmp", "icmpv6": "icmp",
                  "58": "icmp"}
# Sources that stand for "anyone on the internet" (CIDRs, Azure service tags, the any-wildcard).
INTERNET_SOURCES = frozenset({"0.0.0.0/0", "::/0", "*", "any", "internet", "0.0.0.0-255.255.255.255"})

Intervals = tuple[tuple[int, int], ...]


def _merge(intervals: Iterable[tuple[int, int]]) -> Intervals:
    out: list[list[int]] = []
    for lo, hi in sorted(intervals):
        if out and lo <= out[-1][1] + 1:
            out[-1][1] = max(out[-1][1], hi)
        else:
            out.append([lo, hi])
    return tuple((lo, hi) for lo, hi in out)


def _intersect(a: Intervals, b: Intervals) -> Intervals:
    out, i, j = [], 0, 0
    while i < len(a) and j < len(b):
        lo, hi = max(a[i][0], b[j][0]), min(a[i][1], b[j][1])
        if lo <= hi:
            out.append((lo, hi))
        if a[i][1] < b[j][1]:
            i += 1
        else:
            j += 1
    return tuple(out)


def _subtract(a: Intervals, b: Intervals) -> Intervals:
    out = []
    for lo, hi in a:
        cur = lo
        for blo, bhi in b:
            if bhi < cur or blo > hi:
                continue
            if blo > cur:
                out.append((cur, blo - 1))
            cur = max(cur, bhi + 1)
        if cur <= hi:
            out.append((cur, hi))
    return tuple(out)


def parse_ports(ports: Iterable[str] | None) -> Intervals:
    """``["22", "80-443", "*"]`` to intervals; an empty or missing list means every port."""
    ports = list(ports or ["*"])
    out = []
    for p in ports:
        p = str(p).strip()
        if p in ("*", "any", "", "-1", "0-65535"):
            return ((0, MAX_PORT),)
        lo, _, hi = p.partition("-")
        try:
            out.append((int(lo), int(hi or lo)))
        except ValueError:
            raise ValueError(f"port {p!r} is not a number, a range lo-hi, or *") from None
    return _merge(out)


def normalize_protocol(protocol: str | None) -> str:
    p = str(protocol if protocol is not None else "*").strip().lower()
    return _PROTO_ALIASES.get(p, p)


@dataclass(frozen=True)
class Access:
    """A set of (protocol, port) pairs: merged port intervals per protocol."""
    by_proto: tuple[tuple[str, Intervals], ...] = ()

    @staticmethod
    def of(protocol: str | None, ports: Iterable[str] | None) -> Access:
        proto = normalize_protocol(protocol)
        # ICMP has no ports: any ICMP rule covers all of it.
        rng = ((0, MAX_PORT),) if proto == "icmp" else parse_ports(ports)
        protos = PROTOCOLS if proto == "*" else (proto,)
        rng_for = {p: (((0, MAX_PORT),) if proto == "*" and p == "icmp" else rng) for p in protos}
        return Access(tuple(sorted(rng_for.items())))

    @staticmethod
    def everything() -> Access:
        return Access.of("*", ["*"])

    def as_dict(self) -> dict[str, Intervals]:
        return dict(self.by_proto)

    def _combine(self, other: Access, op: Callable[[Intervals, Intervals], Intervals],
                 keys: set[str]) -> Access:
        a, b = self.as_dict(), other.as_dict()
        out = {k: op(a.get(k, ()), b.get(k, ())) for k in keys}
        return Access(tuple(sorted((k, v) for k, v in out.items() if v)))

    def __or__(self, other: Access) -> Access:
        return self._combine(other, lambda x, y: _merge(x + y), set(self.as_dict()) | set(other.as_dict()))

    def __and__(self, other: Access) -> Access:
        return self._combine(other, _intersect, set(self.as_dict()) & set(other.as_dict()))

    def __sub__(self, other: Access) -> Access:
        return self._combine(other, _subtract, set(self.as_dict()))

    def __bool__(self) -> bool:
        return bool(self.by_proto)

    def protocols(self) -> list[str]:
        d = self.as_dict()
        if self.is_everything():
            return ["*"]
        return sorted(d)

    def ports(self) -> list[str]:
        """Port ranges over TCP and UDP as strings ("22", "80-443", "*"); ICMP adds none."""
        rng = _merge([iv for p, ivs in self.by_proto if p != "icmp" for iv in ivs])
        if rng == ((0, MAX_PORT),):
            return ["*"]
        return [str(lo) if lo == hi else f"{lo}-{hi}" for lo, hi in rng]

    def is_everything(self) -> bool:
        return self == Access.everything()


NOTHING = Access()


@dataclass(frozen=True)
class Rule:
    """One firewall rule as the graph model stores it (``FirewallRule``)."""
    id: str
    direction: str = "inbound"
    action: str = "allow"
    protocol: str = "*"
    ports: tuple[str, ...] = ("*",)
    sources: tuple[str, ...] = ()
    destinations: tuple[str, ...] = ()
    priority: int | None = None
    default: bool = False
    allows_from: tuple[str, ...] = ()   # referenced security groups (ALLOWS_FROM)

    @staticmethod
    def from_row(row: dict) -> Rule:
        return Rule(id=row["id"], direction=(row.get("direction") or "inbound").lower(),
                    action=(row.get("action") or "allow").lower(), protocol=row.get("protocol") or "*",
                    ports=tuple(row.get("ports") or ("*",)), sources=tuple(row.get("sources") or ()),
                    destinations=tuple(row.get("destinations") or ()), priority=row.get("priority"),
                    default=bool(row.get("default")), allows_from=tuple(row.get("allows_from") or ()))

    @property
    def access(self) -> Access:
        return _rule_access(self.protocol, self.ports)


@lru_cache(maxsize=4096)
def _rule_access(protocol: str, ports: tuple[str, ...]) -> Access:
    return Access.of(protocol, ports)


# -- address matching ---------------------------------------------------------------------------

@lru_cache(maxsize=8192)
def _network(cidr: str):
    s = cidr.strip()
    if "-" in s and s.count(".") == 6:  # Azure SQL style range a.b.c.d-e.f.g.h
        lo, hi = (ipaddress.ip_address(x) for x in s.split("-"))
        return (lo, hi)
    try:
        return ipaddress.ip_network(s, strict=False)
    except ValueError:
        return None


def is_internet(source: str) -> bool:
    return str(source).strip().lower() in INTERNET_SOURCES


def covers(source: str, ip: str) -> bool:
    """Whether a CIDR / IP / a-b range source contains ``ip`` (tags never do; see source_matches)."""
    net = _network(str(source))
    if net is None:
        return False
    try:
        addr = ipaddress.ip_address(ip)
    except ValueError:
        return False
    if isinstance(net, tuple):
        return net[0].version == addr.version and net[0] <= addr <= net[1]
    return addr.version == net.version and addr in net


def source_matches(source: str, peer_ips: Iterable[str] = (), same_network: bool = False,
                   internet: bool = False) -> bool:
    """Does a rule source admit the peer? ``internet=True`` asks about anyone on the internet."""
    s = str(source).strip().lower()
    if s in ("*", "any"):
        return True
    if internet:
        return s in INTERNET_SOURCES
    if s == "virtualnetwork":
        return same_network
    return any(covers(s, ip) for ip in peer_ips if ip)


# -- combining rules --------------------------------------------------------------------------------

Matcher = Callable[[Rule], bool]

AZURE_DEFAULT_INBOUND = (
    Rule("azure-default:AllowVnetInBound", "inbound", "allow", "*", ("*",), ("VirtualNetwork",),
         ("VirtualNetwork",), 65000, True),
    Rule("azure-default:AllowAzureLoadBalancerInBound", "inbound", "allow", "*", ("*",),
         ("AzureLoadBalancer",), ("*",), 65001, True),
    Rule("azure-default:DenyAllInBound", "inbound", "deny", "*", ("*",), ("*",), ("*",), 65500, True),
)


def union_allowed(rules: Iterable[Rule], matches: Matcher, direction: str = "inbound") -> tuple[Access, list[str]]:
    """AWS security groups: the union of the allow rules that match the peer."""
    allowed, ids = NOTHING, []
    for rule in rules:
        if rule.direction != direction or rule.action != "allow" or not matches(rule):
            continue
        allowed = allowed | rule.access
        ids.append(rule.id)
    return allowed, sorted(set(ids))


def ordered_allowed(rules: Iterable[Rule], matches: Matcher, direction: str = "inbound",
                    defaults: Iterable[Rule] = ()) -> tuple[Access, list[str]]:
    """NACLs and NSGs: by ascending priority the first matching rule decides each (protocol, port);
    undecided traffic is denied. ``defaults`` are added when the rules carry no default rules."""
    rules = [r for r in rules if r.direction == direction]
    if not any(r.default for r in rules):
        rules += [d for d in defaults if d.direction == direction]
    rules.sort(key=lambda r: (r.priority if r.priority is not None else 1 << 30, r.id))
    undecided, allowed, ids = Access.everything(), NOTHING, []
    for rule in rules:
        if not matches(rule):
            continue
        hit = rule.access & undecided
        if not hit:
            continue
        if rule.action == "allow":
            allowed = allowed | hit
            ids.append(rule.id)
        undecided = undecided - hit
        if not undecided:
            break
    return allowed, ids


def destination_matches(rule: Rule, ips: Iterable[str] = (), in_network: bool = True) -> bool:
    """Azure rules name destinations too; an empty list (AWS) matches anything."""
    if not rule.destinations:
        return True
    return any(d.strip().lower() in ("*", "any") or (d.strip().lower() == "virtualnetwork" and in_network)
               or any(covers(d, ip) for ip in ips if ip) for d in rule.destinations)


@dataclass
class Verdict:
    """What a chain of rule sets lets through, and which allowing rules say so."""
    access: Access = field(default_factory=Access.everything)
    rules: list[str] = field(default_factory=list)

    def through(self, access: Access, rule_ids: Iterable[str]) -> Verdict:
        return Verdict(self.access & access, sorted(set(self.rules) | set(rule_ids)))
