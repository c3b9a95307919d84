"""VPC firewall evaluation, pure Python.

For one instance and one source (here the internet), the enabled ingress rules that apply to the
instance (by target service account, else target tag, else every instance) and match the source
are taken in priority order (lower number first); at equal priority a deny wins; the implied rules
(priority 65535) lose to any explicit rule. Disabled rules are ignored."""

from __future__ import annotations

import ipaddress
import json
from collections.abc import Callable
from dataclasses import dataclass

IMPLIED_RANK = 65536
# Where Google's front ends (proxy load balancers) and health checks connect to backends from.
FRONT_END_RANGES = ("35.191.0.0/16", "130.211.0.0/22")


@dataclass(frozen=True)
class FwRule:
    id: str
    action: str = "allow"
    priority: int = 1000
    direction: str = "ingress"
    disabled: bool = False
    implied: bool = False
    permissions: tuple[tuple[str, tuple[str, ...]], ...] = (("all", ()),)
    sources: tuple[str, ...] = ()
    source_tags: tuple[str, ...] = ()
    source_service_accounts: tuple[str, ...] = ()
    target_tags: tuple[str, ...] = ()
    target_service_accounts: tuple[str, ...] = ()

    @staticmethod
    def from_row(row: dict) -> FwRule:
        raw = row.get("permissions") or []
        raw = json.loads(raw) if isinstance(raw, str) else raw  # stored as a JSON string
        perms = tuple((p.get("protocol", "all"), tuple(p.get("ports") or ())) for p in raw)
        priority = int(row["priority"]) if row.get("priority") is not None else 1000   # 0 is a priority
        return FwRule(row["id"], row.get("action") or "allow", priority,
                      row.get("direction") or "ingress", bool(row.get("disabled")), bool(row.get("implied")),
                      perms or (("all", ()),), tuple(row.get("sources") or ()), tuple(row.get("source_tags") or ()),
                      tuple(row.get("source_service_accounts") or ()), tuple(row.get("target_tags") or ()),
                      tuple(row.get("target_service_accounts") or ()))

    @property
    def rank(self) -> int:
        return IMPLIED_RANK if self.implied else self.priority

    def applies_to(self, tags: set[str], service_accounts: set[str]) -> bool:
        if self.target_service_accounts:
            return bool(service_accounts & set(self.target_service_accounts))
        if self.target_tags:
            return bool(tags & set(self.target_tags))
        return True

    def from_peer(self, ip: str | None, tags: set[str], service_accounts: set[str], same_network: bool) -> bool:
        """Whether the rule's sources name an instance: a range holding its address, or, inside one network
        only (tags and accounts do not cross a peering), one of its tags or its service account."""
        if ip and any(_contains(s, ip) for s in self.sources):
            return True
        return same_network and bool(tags & set(self.source_tags) or service_accounts & set(self.source_service_accounts))

    def from_internet(self) -> bool:
        """A public source range other than Google's front ends (where no client connects from)."""
        return any(is_public_range(s) and not _within(s, FRONT_END_RANGES) for s in self.sources)

    def covers(self, protocol: str, port: int) -> bool:
        for proto, ports in self.permissions:
            if proto not in ("all", protocol):
                continue
            if not ports or any(_in_range(spec, port) for spec in ports):
                return True
        return False


def is_public_range(cidr: str) -> bool:
    try:
        net = ipaddress.ip_network(cidr, strict=False)
    except ValueError:
        return False
    return net.prefixlen == 0 or not net.is_private


def _relates(cidr: str, ranges: tuple[str, ...], how: str) -> bool:
    """Whether the range is ``subnet_of`` / ``overlaps`` one of ``ranges`` (same IP version)."""
    try:
        net = ipaddress.ip_network(cidr, strict=False)
    except ValueError:
        return False
    return any(net.version == r.version and getattr(net, how)(r) for r in map(ipaddress.ip_network, ranges))


def _within(cidr: str, ranges: tuple[str, ...]) -> bool:
    return _relates(cidr, ranges, "subnet_of")


def _contains(cidr: str, ip: str) -> bool:
    try:
        return ipaddress.ip_address(ip) in ipaddress.ip_network(cidr, strict=False)
    except ValueError:
        return False


def _in_range(spec: str, port: int) -> bool:
    lo, _, hi = str(spec).partition("-")
    return int(lo) <= port <= int(hi or lo)


def _start(spec: str) -> int:
    return int(str(spec).partition("-")[0])


def overlaps(cidr: str, ranges: tuple[str, ...]) -> bool:
    return _relates(cidr, ranges, "overlaps")


def from_front_ends(rule: FwRule) -> bool:
    return any(overlaps(s, FRONT_END_RANGES) for s in rule.sources)


def ingress(rules: list[FwRule], tags: set[str], service_accounts: set[str],
            admits: Callable[[FwRule], bool]) -> tuple[list[str], list[str], list[str]]:
    """(ports, protocols, deciding allow rule ids) a source reaches on the instance, the source being
    whatever ``admits`` says a rule's sources name; ``*`` = every port. Each allowed port spec is
    decided at its first port."""
    live = [r for r in rules if r.direction == "ingress" and not r.disabled and admits(r)
            and r.applies_to(tags, service_accounts)]
    ports: set[str] = set()
    protocols: set[str] = set()
    deciding: set[str] = set()
    for rule in live:
        if rule.action != "allow":
            continue
        for proto, specs in rule.permissions:
            probe = "tcp" if proto == "all" else proto
            for spec in specs or ("*",):
                winner = _winner(live, probe, 0 if spec == "*" else _start(spec))
                if winner is not None and winner.action == "allow":
                    ports.add(spec)
                    protocols.add(proto)
                    deciding.add(winner.id)
    return sorted(ports), sorted(protocols), sorted(deciding)


def _winner(live: list[FwRule], protocol: str, port: int) -> FwRule | None:
    return min((r for r in live if r.covers(protocol, port)), key=lambda r: (r.rank, r.action != "deny"), default=None)


def allowing_rule(rules: list[FwRule], tags: set[str], service_accounts: set[str], admits: Callable[[FwRule], bool],
                  protocol: str, port: int) -> str | None:
    """The rule that lets such a source reach one port of the instance, or None when none does."""
    live = [r for r in rules if r.direction == "ingress" and not r.disabled and admits(r)
            and r.applies_to(tags, service_accounts)]
    winner = _winner(live, protocol, port)
    return winner.id if winner is not None and winner.action == "allow" else None


def internet_ingress(rules: list[FwRule], tags: set[str], service_accounts: set[str]) -> tuple[list[str], list[str],
                                                                                            list[str]]:
    """What the internet reaches on the instance (see :func:`ingress`)."""
    return ingress(rules, tags, service_accounts, FwRule.from_internet)
