"""The limit state the workers of one `cloudmap serve --workers N` share: bounds hold across processes,
and a hunt slot of a process that died is given back."""

from __future__ import annotations

import subprocess
import sys

import pytest

from cloudmap.services.limits import Busy, FailedAuth, HuntPool, RateLimit, SharedState

HOLD = """
import sys, time
from cloudmap.services.limits import HuntPool, RateLimit, SharedState
state = SharedState(sys.argv[1])
HuntPool(1, 1, state).acquire("k1")
RateLimit(2, 3600, "hunts", state).take("k1")
print("held", flush=True)
sys.stdin.read()
"""


def test_bounds_hold_across_processes_and_dead_holders_free_their_slots(tmp_path):
    path = tmp_path / "limits.sqlite3"
    other = subprocess.Popen([sys.executable, "-c", HOLD, str(path)], stdin=subprocess.PIPE,
                             stdout=subprocess.PIPE, text=True)
    try:
        assert other.stdout.readline().strip() == "held"
        state = SharedState(path)
        with pytest.raises(Busy, match="already runs 1 hunts at once"):
            HuntPool(1, 1, state).acquire("k2")
        rate = RateLimit(2, 3600, "hunts", state)
        rate.take("k1")                          # the other process spent one of the two
        with pytest.raises(Busy) as refused:
            rate.take("k1")
        assert refused.value.retry_after > 60
    finally:
        other.communicate("", timeout=30)
    pool = HuntPool(1, 1, SharedState(path))   # its holder exited: the slot is free again
    pool.acquire("k2")
    with pytest.raises(Busy):
        pool.acquire("k3")
    pool.release("k2")
    pool.acquire("k3")

    auth = FailedAuth(free=2, state=SharedState(path))
    peer = FailedAuth(free=2, state=SharedState(path))   # another worker's view of the same file
    for _ in range(3):
        auth.failure("addr:10.0.0.1")
    assert peer.blocked_for("addr:10.0.0.1") >= 1
    peer.success("addr:10.0.0.1")
    assert auth.blocked_for("addr:10.0.0.1") == 0
