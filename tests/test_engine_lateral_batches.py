"""Lateral movement is written one network at a time; a workload with interfaces in two networks joins
them into one batch, so its edges from both are merged in one write as before."""

from __future__ import annotations

from cloudmap.engine.lateral import _network_batches
from cloudmap.engine.netmodel import NetworkModel, Nic


def nic(name: str, subnet: str | None, *workloads: str) -> Nic:
    return Nic(name, "aws", [], [], subnet, list(workloads))


def test_interfaces_are_batched_by_network_and_shared_workloads_join_networks():
    m = NetworkModel(subnet_network={"s-a": "vpc-a", "s-b": "vpc-b", "s-c": "vpc-c", "s-c2": "vpc-c"})
    nics = [nic("e1", "s-a", "i-1"), nic("e2", "s-b", "i-2"), nic("e3", "s-c", "i-3"), nic("e4", "s-c2", "i-4"),
            nic("e5", "s-b", "i-5"), nic("e6", "s-c", "i-5"), nic("e7", "s-x", "i-6"), nic("e8", None, "i-7")]
    batches = [[n.id for n in b] for b in _network_batches(m, nics)]
    # vpc-a alone; vpc-b and vpc-c joined by i-5; interfaces outside a known network are in none
    assert sorted(batches) == [["e1"], ["e2", "e3", "e4", "e5", "e6"]]
