"""Analyses started from the API: jobs kept in the graph, so any API worker answers for any job.

A job is ``(:AnalysisJob {id, status, started_at, finished_at, analysis_id, summary, error, host, pid,
heartbeat_at})``. The worker that runs it renews ``heartbeat_at`` from a thread; a running job whose
worker is gone (a process of this host that no longer exists, or no heartbeat for ``STALE_SECONDS``)
is reported and recorded as failed, never as running for ever. The analysis itself records an
``(:Analysis)`` node with its own id; the job names it when done.

One analysis runs at a time (they rewrite the same findings): a job is created in a write transaction
that first locks the lease lock node, so two workers can never both start one.
"""

from __future__ import annotations

import json
import logging
import os
import socket
import threading
import uuid
from datetime import UTC, datetime, timedelta

from cloudmap.graph.driver import Graph
from cloudmap.graph.lease import LOCK_ID, _process_alive
from cloudmap.services.hunt import json_value

log = logging.getLogger("cloudmap.api.analyses")
HOST = socket.gethostname()


class AnalysisBusy(Exception):
    pass


# A background analysis waits this long for running loads (it holds the analysis lease; they write).
JOB_WAIT_SECONDS = 600
HEARTBEAT_SECONDS = 10.0
STALE_SECONDS = 60.0   # a running job whose worker has not renewed it for this long has failed

_FIELDS = ("id", "status", "started_at", "finished_at", "analysis_id", "summary", "error")
_JOB = ("j {.id, .status, .analysis_id, .summary, .error, .host, .pid, "
        "started_at: toString(j.started_at), finished_at: toString(j.finished_at), "
        "heartbeat_at: toString(j.heartbeat_at)}")


def _now() -> datetime:
    return datetime.now(UTC)


def gone_because(job: dict, now: datetime) -> str | None:
    """Why a running job's worker is gone, or None while it is alive."""
    if job.get("host") == HOST and job.get("pid") and not _process_alive(int(job["pid"])):
        return f"the API worker (pid {job['pid']}) that ran it exited before it finished"
    beat = job.get("heartbeat_at")
    if beat and datetime.fromisoformat(beat) < now - timedelta(seconds=STALE_SECONDS):
        return f"the API worker that ran it (pid {job.get('pid')} on {job.get('host')}) stopped renewing it"
    return None


def public(job: dict) -> dict:
    out = {k: job.get(k) for k in _FIELDS}
    if isinstance(out["summary"], str):
        out["summary"] = json.loads(out["summary"])
    return out


class AnalysisRunner:
    def __init__(self, graph: Graph, settings=None):
        self.graph = graph
        self.settings = settings   # its notify targets hear of each analysis

    def start(self) -> dict:
        job = {"id": f"job-{uuid.uuid4().hex[:12]}", "status": "running", "host": HOST, "pid": os.getpid()}
        with self.graph.session() as session:
            busy = session.execute_write(self._create, job)
        if busy:
            raise AnalysisBusy(f"analysis {busy} is still running")
        stop = threading.Event()
        threading.Thread(target=self._run, args=(job["id"], stop), name=f"analysis-{job['id']}", daemon=True).start()
        threading.Thread(target=self._beat, args=(job["id"], stop), name=f"beat-{job['id']}", daemon=True).start()
        return self.get(job["id"])

    @staticmethod
    def _create(tx, job: dict) -> str | None:
        """The id of a running job, or None after creating ``job``; marks jobs of dead workers failed."""
        now = _now()
        tx.run("MERGE (g:Lease {id: $lock}) SET g.touched_at = $now", lock=LOCK_ID, now=now).consume()
        running = [r["j"] for r in tx.run(f"MATCH (j:AnalysisJob {{status: 'running'}}) RETURN {_JOB} AS j")]
        for r in running:
            why = gone_because(r, now)
            if why is None:
                return r["id"]
            tx.run("MATCH (j:AnalysisJob {id: $id}) SET j.status = 'failed', j.error = $why, j.finished_at = $now",
                   id=r["id"], why=why, now=now).consume()
        tx.run("CREATE (j:AnalysisJob) SET j = $job, j.started_at = $now, j.heartbeat_at = $now",
               job=job, now=now).consume()
        return None

    def _finish(self, job_id: str, **props) -> None:
        self.graph.write("MATCH (j:AnalysisJob {id: $id}) SET j += $props, j.finished_at = $now",
                         id=job_id, props=props, now=_now())

    def _beat(self, job_id: str, stop: threading.Event) -> None:
        while not stop.wait(HEARTBEAT_SECONDS):
            try:
                self.graph.write("MATCH (j:AnalysisJob {id: $id, status: 'running'}) SET j.heartbeat_at = $now",
                                 id=job_id, now=_now())
            except Exception as exc:  # noqa: BLE001 - the next beat tries again
                log.warning("analysis job %s: heartbeat failed: %s", job_id, type(exc).__name__)

    def _run(self, job_id: str, stop: threading.Event) -> None:
        from cloudmap.findings.analysis import run_analysis

        try:
            summary = run_analysis(self.graph, wait=JOB_WAIT_SECONDS)
            summary["notifications"] = self._notify(summary["analysis_id"])
            done = {"status": summary.get("status", "success"), "analysis_id": summary.get("analysis_id"),
                    "summary": json.dumps(json_value(summary))}
        except Exception as exc:  # noqa: BLE001 - reported in the job, not lost in a thread
            log.error("analysis %s failed: %s", job_id, type(exc).__name__)
            done = {"status": "failed", "error": f"{type(exc).__name__}: {str(exc)[:300]}"}
        finally:
            stop.set()
        self._finish(job_id, **done)

    def _notify(self, analysis_id: str) -> list[str]:
        from cloudmap.findings import notify

        cfg = self.settings
        if cfg is None or not cfg.notify:
            return []
        return notify.send(self.graph, analysis_id, cfg.notify,
                           notify.Delivery(attempts=cfg.notify_attempts, timeout=cfg.notify_timeout))

    def get(self, job_id: str) -> dict | None:
        rows = self.graph.read_values(f"MATCH (j:AnalysisJob {{id: $id}}) RETURN {_JOB} AS j", id=job_id)
        if rows:
            job = rows[0]["j"]
            why = gone_because(job, _now()) if job["status"] == "running" else None
            if why is not None:
                self.graph.write("MATCH (j:AnalysisJob {id: $id, status: 'running'}) "
                                 "SET j.status = 'failed', j.error = $why, j.finished_at = $now",
                                 id=job_id, why=why, now=_now())
                return self.get(job_id)
            return public(job)
        rows = self.graph.read("MATCH (a:Analysis {id: $id}) RETURN a {.*} AS a", id=job_id)
        if not rows:
            return None
        a = rows[0]["a"]
        return {"id": job_id, "status": a.get("status"), "started_at": json_value(a.get("started_at")),
                "finished_at": json_value(a.get("finished_at")), "analysis_id": job_id,
                "summary": json.loads(a["summary"]) if a.get("summary") else None, "error": None}
