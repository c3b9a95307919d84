"""The network rule evaluator: port ranges, protocols, priorities, defaults, service tags, NACL order."""

from __future__ import annotations

import pytest

from cloudmap.engine.netrules import (
    AZURE_DEFAULT_INBOUND,
    Access,
    Rule,
    covers,
    ordered_allowed,
    parse_ports,
    source_matches,
    union_allowed,
)


def internet(rule):
    return any(source_matches(s, internet=True) for s in rule.sources)


def peer(ip, same_network=True):
    return lambda rule: any(source_matches(s, [ip], same_network) for s in rule.sources)


def r(id, ports=("*",), protocol="tcp", sources=("0.0.0.0/0",), action="allow", priority=None, **kw):
    return Rule(id, "inbound", action, protocol, tuple(ports), tuple(sources), priority=priority, **kw)


def test_port_arithmetic():
    assert parse_ports(["22", "80-443", "100"]) == ((22, 22), (80, 443))
    assert parse_ports(["*"]) == parse_ports([]) == ((0, 65535),)
    a = Access.of("tcp", ["0-1000"]) - Access.of("tcp", ["22", "500-600"])
    assert a.ports() == ["0-21", "23-499", "601-1000"]
    assert (Access.of("tcp", ["80-443"]) & Access.of("*", ["400-500"])).ports() == ["400-443"]
    assert Access.of("-1", None).protocols() == ["*"] and Access.of("-1", None).ports() == ["*"]
    assert Access.of("icmp", ["8"]).ports() == [] and Access.of("icmp", None).protocols() == ["icmp"]
    assert not (Access.of("udp", ["53"]) & Access.of("tcp", ["53"]))
    with pytest.raises(ValueError, match="port 'ssh'"):
        parse_ports(["ssh"])


def test_security_groups_union_matching_sources():
    rules = [r("ssh", ["22"]), r("web", ["80-443"]), r("office", ["3389"], sources=("203.0.113.0/24",)),
             r("all", protocol="-1", sources=("10.0.0.0/8",))]
    acc, ids = union_allowed(rules, internet)
    assert acc.ports() == ["22", "80-443"] and acc.protocols() == ["tcp"] and ids == ["ssh", "web"]
    acc, ids = union_allowed(rules, peer("10.1.2.3"))
    assert acc.is_everything() and ids == ["all", "ssh", "web"]  # 0.0.0.0/0 covers private peers too
    assert union_allowed([r("v6", sources=("::/0",))], internet)[0]
    assert union_allowed(rules, lambda rule: False)[0] == Access()


def test_nacl_first_match_by_rule_number():
    rules = [r("deny-ssh", ["22"], action="deny", priority=90), r("allow-all", protocol="-1", priority=100),
             r("deny-all", protocol="-1", action="deny", priority=32767)]
    acc, ids = ordered_allowed(rules, internet)
    assert acc.as_dict()["tcp"] == ((0, 21), (23, 65535)) and ids == ["allow-all"]
    assert acc.as_dict()["udp"] == ((0, 65535),)   # the deny was for TCP only
    # order matters, not list position: the allow numbered first wins
    flipped = [r("deny-ssh", ["22"], action="deny", priority=200), r("allow-all", protocol="-1", priority=100)]
    assert ordered_allowed(flipped, internet)[0].is_everything()
    assert not ordered_allowed([], internet)[0]   # nothing matches: implicit deny


def test_azure_nsg_priorities_defaults_and_tags():
    rules = [r("deny-rdp", ["3389"], sources=("Internet",), action="deny", priority=100),
             r("allow-any", ["3389", "443"], sources=("*",), priority=200)]
    acc, _ = ordered_allowed(rules, internet, defaults=AZURE_DEFAULT_INBOUND)
    assert acc.ports() == ["443"]
    # the default AllowVnetInBound lets the virtual network in, DenyAllInBound stops the internet
    acc, ids = ordered_allowed([], peer("10.0.0.5"), defaults=AZURE_DEFAULT_INBOUND)
    assert acc.is_everything() and ids == ["azure-default:AllowVnetInBound"]
    assert not ordered_allowed([], internet, defaults=AZURE_DEFAULT_INBOUND)[0]
    assert not ordered_allowed([], peer("10.0.0.5", same_network=False), defaults=AZURE_DEFAULT_INBOUND)[0]


def test_address_matching():
    assert covers("10.0.0.0/16", "10.0.3.4") and not covers("10.0.0.0/16", "10.1.0.1")
    assert covers("0.0.0.0-255.255.255.255", "8.8.8.8") and not covers("10.0.0.0/8", "::1")
    assert source_matches("Internet", internet=True) and source_matches("*", internet=True)
    assert not source_matches("VirtualNetwork", internet=True)
    assert not source_matches("10.0.0.0/8", internet=True)
    assert source_matches("VirtualNetwork", ["10.0.0.1"], same_network=True)
    assert not source_matches("Internet", ["10.0.0.1"], same_network=True)
