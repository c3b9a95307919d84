"""The real `cloudmap serve --workers 2`: analysis jobs answered by either worker, a job whose worker died
shows as failed, identical findings pages, and first pages cached until the findings change.

Which worker answers a request is the kernel's choice (both accept on one socket). To make one
worker answer, the test pauses the other (SIGSTOP): a paused process accepts nothing.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from contextlib import contextmanager

import httpx
import pytest

from cloudmap.db.server import free_port
from cloudmap.findings.analysis import run_analysis
from cloudmap.services.apikeys import create_key
from cloudmap.services.authstore import AuthStore
from tests.test_findings import seed


def children(pid: int) -> list[int]:
    with open(f"/proc/{pid}/task/{pid}/children") as fh:
        return [int(p) for p in fh.read().split()]


@pytest.fixture
def workers(graph, cli_env, neo4j_settings, tmp_path):
    """(base URL, admin headers, the two worker pids, the server) of a running `cloudmap serve --workers 2`."""
    _, token = create_key(AuthStore(neo4j_settings.auth_db), "workers test", "admin")
    port = free_port()
    log = (tmp_path / "serve.log").open("w")
    proc = subprocess.Popen([sys.executable, "-m", "cloudmap", "serve", "--port", str(port), "--workers", "2"],
                            env=cli_env, stdout=subprocess.DEVNULL, stderr=log, text=True)
    base = f"http://127.0.0.1:{port}/api/v1"
    try:
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            assert proc.poll() is None, (tmp_path / "serve.log").read_text()
            pids = children(proc.pid)
            try:
                answered = {httpx.get(f"{base}/health", timeout=2).status_code for _ in range(4)}
            except httpx.TransportError:
                answered = set()
            if answered == {200} and len(pids) >= 2:
                break
            time.sleep(0.3)
        worker_pids = [p for p in children(proc.pid) if "multiprocessing.resource_tracker" not in
                       open(f"/proc/{p}/cmdline").read()]
        assert len(worker_pids) == 2, worker_pids
        yield base, {"Authorization": f"Bearer {token}"}, worker_pids, proc
    finally:
        for p in children(proc.pid) if proc.poll() is None else []:
            os.kill(p, signal.SIGCONT)
        proc.terminate()
        proc.wait(timeout=30)
        log.close()
        print((tmp_path / "serve.log").read_text()[-3000:])


@contextmanager
def only(pid: int, workers: list[int]):
    """Requests in this block are answered by worker ``pid`` (the other one is paused)."""
    others = [p for p in workers if p != pid]
    for p in others:
        os.kill(p, signal.SIGSTOP)
    try:
        yield
    finally:
        for p in others:
            os.kill(p, signal.SIGCONT)


def get(base: str, headers: dict, path: str, **params) -> httpx.Response:
    """A request on a connection of its own, so consecutive requests land on either worker."""
    return httpx.get(f"{base}{path}", headers=headers, params=params, timeout=30)


def done(base: str, headers: dict, job_id: str) -> tuple[dict, int]:
    """The job's status once it has stopped running, polled through many requests, and their number."""
    deadline, polls = time.monotonic() + 300, 0
    while time.monotonic() < deadline:
        status = get(base, headers, f"/analyses/{job_id}").json()
        polls += 1
        if status["status"] != "running":
            break
        time.sleep(0.2)
    return status, polls


def job_pid(graph, job_id: str) -> int:
    return graph.read("MATCH (j:AnalysisJob {id: $id}) RETURN j.pid AS pid", id=job_id)[0]["pid"]


def test_jobs_pages_and_cache_across_two_workers(graph, workers):
    base, admin, pids, proc = workers
    graph.write("CREATE (:Asset:VirtualMachine {id: 'vm-9', name: 'lonely', provider: 'aws'})")

    # a job whose worker is killed shows as failed, from the other worker, and blocks no new analysis
    r = httpx.post(f"{base}/analyses", headers=admin, timeout=30)
    assert r.status_code == 202, r.text
    doomed = r.json()["id"]
    runner = job_pid(graph, doomed)
    assert runner in pids
    other = next(p for p in pids if p != runner)
    os.kill(runner, signal.SIGKILL)
    for _ in range(100):   # until the supervisor has reaped it
        if not os.path.exists(f"/proc/{runner}"):
            break
        time.sleep(0.1)
    body = get(base, admin, f"/analyses/{doomed}").json()   # the other worker (or the killed one's successor)
    assert body["status"] == "failed" and "exited before it finished" in body["error"], body

    # a new job, polled through many requests until it is done; both workers answer some of them
    r = httpx.post(f"{base}/analyses", headers=admin, timeout=30)
    assert r.status_code == 202, r.text
    job = r.json()["id"]
    runner = job_pid(graph, job)
    live = [p for p in children(proc.pid) if p != runner and
            "resource_tracker" not in open(f"/proc/{p}/cmdline").read()]
    assert len(live) == 1, live   # the supervisor replaced the killed worker
    other = live[0]
    with only(other, [runner, other]):
        seen = get(base, admin, f"/analyses/{job}").json()
    assert seen["id"] == job and seen["status"] in ("running", "success", "partial")
    again = httpx.post(f"{base}/analyses", headers=admin, timeout=30)   # 409 while the first one runs
    assert again.status_code in (409, 202), again.text
    status, polls = done(base, admin, job)
    if again.status_code == 202:   # the first one had just finished: let the second finish too
        done(base, admin, again.json()["id"])
    assert status["status"] in ("success", "partial"), status
    assert status["summary"]["rules"]["run"] > 0 and polls > 1
    with only(other, [runner, other]):
        assert get(base, admin, f"/analyses/{job}").json() == status

    # findings from an analysis of another process (on derived edges seeded as they are)
    graph.write("MATCH (n) WHERE NOT n:SchemaVersion AND NOT n:Analysis AND NOT n:AnalysisJob DETACH DELETE n")
    seed(graph)
    assert run_analysis(graph, derive=False)["findings"]["open"] >= 2

    # the first findings page is the same from both workers, and cached
    pages = {}
    for pid in (runner, other):
        with only(pid, [runner, other]):
            pages[pid] = get(base, admin, "/findings").json()
    assert pages[runner] == pages[other] and pages[runner]["items"]
    first = pages[runner]["items"][0]
    graph.write("MATCH (f:Finding {id: $id}) SET f.title = 'changed behind the API'", id=first["id"])
    for pid in (runner, other):
        with only(pid, [runner, other]):
            assert get(base, admin, "/findings").json() == pages[runner]   # served from each worker's cache
            assert get(base, admin, "/findings", limit=49).json()["items"][0]["title"] == "changed behind the API"

    # a new analysis (from another process) invalidates both workers' caches
    graph.write("MATCH (f:Finding {id: $id}) SET f.title = 'before the next analysis'", id=first["id"])
    summary = run_analysis(graph, derive=False)
    assert summary["status"] in ("success", "partial")
    for pid in (runner, other):
        with only(pid, [runner, other]):
            now = get(base, admin, "/findings").json()
            assert now["items"][0]["id"] == first["id"] and now["items"][0]["title"] == first["title"]

    # so does a suppression through either worker
    with only(runner, [runner, other]):
        r = httpx.post(f"{base}/findings/suppress", headers=admin, timeout=30,
                       json={"ids": [first["id"]], "reason": "accepted risk"})
        assert r.status_code == 200, r.text
    with only(other, [runner, other]):
        assert first["id"] not in [f["id"] for f in get(base, admin, "/findings").json()["items"]]
