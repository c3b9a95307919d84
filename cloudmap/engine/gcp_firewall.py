"""VPC firewall evaluation, pure Python.

For one instance and one source (here the internet), the enabled ingress rules that apply to the
instance (by target service account, else target tag, else every instance) and match the source
are taken in priority order (lower number first); at equal priority a deny wins; the implied rules
(priority 65535) lose to any explicit rule. Disabled rules are ignored."""

from __future__ import annotations

import ipaddress
import json
from dataclasses import dataclass

IMPLIED_RANK = 65536


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
    target_tags: tuple[str, ...] = ()
    target_service_accounts: tuple[str, ...] = ()

    @staticmethod
    def from_row(row: dict) -> FwRule:
        raw = row.get("permissions") or []
        raw = json.loads(raw) if isinstance(raw, str) else raw  # stored as a JSON string
        perms = tuple((p.get("protocol", "all"), tuple(p.get("ports") or ())) for p in raw)
        return FwRule(row["id"], row.get("action") or "allow", int(row.get("priority") or 1000),
                      row.get("direction") or "ingress", bool(row.get("disabled")), bool(row.get("implied")),
                      perms or (("all", ()),), tuple(row.get("sources") or ()), tuple(row.get("target_tags") or ()),
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

    def from_internet(self) -> bool:
        return any(is_public_range(s) for s in self.sources)

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


def _in_range(spec: str, port: int) -> bool:
    lo, _, hi = str(spec).partition("-")
    return int(lo) <= port <= int(hi or lo)


def _start(spec: str) -> int:
    return int(str(spec).partition("-")[0])


def internet_ingress(rules: list[FwRule], tags: set[str], service_accounts: set[str]) -> tuple[list[str], list[str],
                                                                                            list[str]]:
    """(ports, protocols, deciding allow rule ids) the internet reaches on the instance; ``*`` = every port.
    Each allowed port spec is decided at its first port."""
    live = [r for r in rules if r.direction == "ingress" and not r.disabled and r.from_internet()
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
                port = 0 if spec == "*" else _start(spec)
                winner = min((r for r in live if r.covers(probe, port)),
                             key=lambda r: (r.rank, r.action != "deny"), default=None)
                if winner is not None and winner.action == "allow":
                    ports.add(spec)
                    protocols.add(proto)
                    deciding.add(winner.id)
    return sorted(ports), sorted(protocols), sorted(deciding)
