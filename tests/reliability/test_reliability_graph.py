"""Leases, the mass-deletion guard, abandoned syncs, retired findings and /health on a real Neo4j."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from cloudmap.findings.analysis import run_analysis
from cloudmap.graph.ingest import Sync, SyncPolicy
from cloudmap.graph.lease import Lease, LeaseHeld
from cloudmap.graph.model import node_kind
from cloudmap.rules import load_rules
from cloudmap.services.health import health
from tests.test_findings import seed

CRATE = node_kind("TestCrate", ("DataStore",), description="test only")


def crates(n: int) -> list[dict]:
    return [{"id": f"crate-{i}", "name": f"crate {i}", "provider": "test"} for i in range(n)]


def count(graph) -> int:
    return graph.read("MATCH (n:TestCrate) RETURN count(n) AS n")[0]["n"]


def load(graph, n: int, **policy) -> Sync:
    with Sync(graph, "test", "test crates", policy=SyncPolicy(**policy)) as sync:
        with sync.scope("test/crates") as sc:
            sc.nodes(CRATE, crates(n))
    return sync


def test_second_writer_of_a_source_is_refused_with_the_holder(graph):
    with Sync(graph, "test", "test crates") as first:
        with pytest.raises(LeaseHeld, match=rf"test crates is locked by {first.id} \(pid {os.getpid()}"):
            Sync(graph, "test", "test crates").__enter__()
        with Sync(graph, "test", "other source"):  # another source is not blocked
            pass
    assert graph.read("MATCH (l:Lease) WHERE l.id <> '_lock' RETURN count(l) AS n")[0]["n"] == 0
    assert graph.read("MATCH (s:Sync) RETURN count(s) AS n")[0]["n"] == 2  # the refused one wrote nothing
    assert graph.read("MATCH (n:Asset) WHERE n:Lease OR n:Sync RETURN count(n) AS n")[0]["n"] == 0


def test_analysis_excludes_loads_and_other_analyses(graph):
    with Lease(graph, "analysis", "analysis", holder="analysis-x"):
        with pytest.raises(LeaseHeld, match="test crates is locked by analysis-x"):
            load(graph, 1)
        with pytest.raises(LeaseHeld, match="analysis is locked by analysis-x"):
            run_analysis(graph, derive=False)
    with Sync(graph, "test", "test crates") as sync:
        with pytest.raises(LeaseHeld, match=f"analysis is locked by {sync.id}"):
            run_analysis(graph, derive=False)


def test_dead_holder_is_taken_over_and_its_sync_abandoned(graph, neo4j_env, tmp_path):
    """A load killed with its lease held: the next load of the source takes over at once (its
    process is gone), marks the dead Sync abandoned and loads cleanly."""
    load(graph, 4)
    script = tmp_path / "die.py"
    script.write_text(
        "import os, sys\nfrom cloudmap.config import load_settings\nfrom cloudmap.graph.driver import connect\n"
        "from cloudmap.graph.ingest import Sync\ngraph = connect(load_settings())\n"
        "sync = Sync(graph, 'test', 'test crates').__enter__()\nprint(sync.id, flush=True)\nos._exit(9)\n")
    env = {**os.environ, **neo4j_env}
    dead = subprocess.run([sys.executable, str(script)], env=env, capture_output=True, text=True, timeout=120)
    dead_id = dead.stdout.strip()
    assert dead_id, dead.stderr
    assert graph.read("MATCH (l:Lease {id: 'sync:test crates'}) RETURN l.holder AS h")[0]["h"] == dead_id
    sync = load(graph, 4)
    rows = graph.read("MATCH (s:Sync {id: $id}) RETURN s.status AS status, s.abandoned_by AS by", id=dead_id)
    assert rows == [{"status": "abandoned", "by": sync.id}]
    assert count(graph) == 4 and sync.status == "success"


def test_mass_deletion_guard_and_empty_scopes(graph):
    load(graph, 10)
    sync = load(graph, 4)  # would remove 6 of 10
    assert count(graph) == 10 and sync.status == "partial" and sync.suspect == ["test/crates"]
    assert "would remove 6 of 10 asset(s) (60% > --max-delete-fraction 0.5)" in sync.errors[0]
    sync = load(graph, 0)  # nothing at all where 10 were
    assert count(graph) == 10 and "yielded nothing where the last sync found 10" in sync.errors[0]
    assert load(graph, 6).status == "success" and count(graph) == 6  # 4 of 10: within the limit
    assert load(graph, 2, max_delete_fraction=0.7).status == "success" and count(graph) == 2
    assert load(graph, 1, force_cleanup=True).status == "success" and count(graph) == 1
    assert load(graph, 0, allow_empty=True).status == "success" and count(graph) == 0
    rec = graph.read("MATCH (s:Sync) WHERE s.status = 'partial' RETURN s.scopes_suspect AS s LIMIT 1")[0]
    assert rec["s"] == ["test/crates"]


def test_retired_rules_close_their_findings_with_a_reason(graph, tmp_path):
    seed(graph)
    fired = max((n, rule) for rule, n in run_analysis(graph, derive=False)["by_rule"].items())[1]
    builtin = next(r for r in load_rules()[0] if r.id == fired)
    (tmp_path / "mine.cypher").write_text(Path(builtin.file).read_text().replace(fired, "CM-X-900"))
    first = run_analysis(graph, rules_dir=tmp_path, derive=False)
    mine = graph.read("MATCH (f:Finding {rule_id: 'CM-X-900'}) RETURN count(f) AS n")[0]["n"]
    assert mine > 0 and first["findings"]["retired"] == 0
    second = run_analysis(graph, rules_dir=tmp_path / "elsewhere", derive=False)  # missing dir: a problem
    assert second["findings"]["retired"] == 0, "a rules directory that vanished retires nothing"
    (tmp_path / "empty").mkdir()
    third = run_analysis(graph, rules_dir=tmp_path / "empty", derive=False)
    assert third["findings"]["retired"] == mine
    rows = graph.read("MATCH (f:Finding {rule_id: 'CM-X-900'}) RETURN DISTINCT f.status AS s, f.retired_reason AS r")
    assert rows == [{"s": "retired", "r": f"rule CM-X-900 is no longer loaded (analysis {third['analysis_id']})"}]
    assert third["findings"]["open"] == first["findings"]["open"] - mine
    assert graph.read("MATCH (f:Finding {status: 'open'}) RETURN count(f) AS n")[0]["n"] == third["findings"]["open"]
    fourth = run_analysis(graph, rules_dir=tmp_path, derive=False)  # the rule is back: open again
    assert fourth["findings"]["open"] == first["findings"]["open"] and fourth["findings"]["retired"] == 0


def test_health_reports_completed_syncs_per_source_and_running_ones(graph):
    load(graph, 2)
    with Sync(graph, "test", "other source") as running:
        out = health(graph)
    assert [s["source"] for s in out["sources"]] == ["test crates"]
    assert out["last_sync"]["source"] == "test crates" and out["last_sync"]["status"] == "success"
    assert [(r["id"], r["lease_live"]) for r in out["running"]] == [(running.id, True)]
    assert out["running"][0]["age_seconds"] >= 0
    json.dumps(out)


def test_a_lease_is_renewed_while_held_and_expires_when_nobody_renews_it(graph):
    """The holder's heartbeat keeps its lease past its TTL; a holder on another host that stopped
    renewing (the host is gone) blocks only until its lease expires."""
    with Lease(graph, "sync:test crates", "write", holder="beating", ttl=3):
        time.sleep(4)
        with pytest.raises(LeaseHeld, match="test crates is locked by beating"):
            load(graph, 1)
    start = datetime.now(UTC)
    graph.write("CREATE (:Lease {id: 'sync:test crates', mode: 'write', owner: 'gone:1:x', holder: 'silent', "
                "host: 'gone', pid: 1, heartbeat_at: $now, expires_at: $expires})",
                now=start, expires=start + timedelta(seconds=2))
    with pytest.raises(LeaseHeld, match=r"locked by silent \(pid 1 on gone"):
        load(graph, 1)
    sync = load(graph, 1, wait=20)
    assert sync.status == "success" and sync.lease.taken_over == ["silent"]
    assert datetime.now(UTC) >= start + timedelta(seconds=2)
