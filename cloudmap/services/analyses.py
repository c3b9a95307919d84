"""Analyses started from the API run in a background thread; their status is kept per job id.

The analysis itself records an ``(:Analysis)`` node with its own id; a job maps to it when done.
One analysis runs at a time (they rewrite the same findings).
"""

from __future__ import annotations

import json
import logging
import threading
import uuid
from datetime import UTC, datetime

from cloudmap.graph.driver import Graph
from cloudmap.services.hunt import json_value

log = logging.getLogger("cloudmap.api.analyses")


class AnalysisBusy(Exception):
    pass


# A background analysis waits this long for running loads (it holds the analysis lease; they write).
JOB_WAIT_SECONDS = 600


class AnalysisRunner:
    def __init__(self, graph: Graph, settings=None):
        self.graph = graph
        self.settings = settings   # its notify targets hear of each analysis
        self.jobs: dict[str, dict] = {}
        self._lock = threading.Lock()

    def start(self) -> dict:
        with self._lock:
            running = [j for j in self.jobs.values() if j["status"] == "running"]
            if running:
                raise AnalysisBusy(f"analysis {running[0]['id']} is still running")
            job = {"id": f"job-{uuid.uuid4().hex[:12]}", "status": "running",
                   "started_at": datetime.now(UTC).isoformat(), "finished_at": None,
                   "analysis_id": None, "summary": None, "error": None}
            self.jobs[job["id"]] = job
        threading.Thread(target=self._run, args=(job,), name=f"analysis-{job['id']}", daemon=True).start()
        return dict(job)

    def _run(self, job: dict) -> None:
        from cloudmap.findings.analysis import run_analysis

        try:
            summary = run_analysis(self.graph, wait=JOB_WAIT_SECONDS)
            summary["notifications"] = self._notify(summary["analysis_id"])
            job.update(status=summary.get("status", "success"), summary=json_value(summary),
                       analysis_id=summary.get("analysis_id"))
        except Exception as exc:  # noqa: BLE001 - reported in the job, not lost in a thread
            log.error("analysis %s failed: %s", job["id"], type(exc).__name__)
            job.update(status="failed", error=f"{type(exc).__name__}: {str(exc)[:300]}")
        job["finished_at"] = datetime.now(UTC).isoformat()

    def _notify(self, analysis_id: str) -> list[str]:
        from cloudmap.findings import notify

        cfg = self.settings
        if cfg is None or not cfg.notify:
            return []
        return notify.send(self.graph, analysis_id, cfg.notify,
                           notify.Delivery(attempts=cfg.notify_attempts, timeout=cfg.notify_timeout))

    def get(self, job_id: str) -> dict | None:
        if job_id in self.jobs:
            return dict(self.jobs[job_id])
        rows = self.graph.read("MATCH (a:Analysis {id: $id}) RETURN a {.*} AS a", id=job_id)
        if not rows:
            return None
        a = rows[0]["a"]
        return {"id": job_id, "status": a.get("status"), "started_at": json_value(a.get("started_at")),
                "finished_at": json_value(a.get("finished_at")), "analysis_id": job_id,
                "summary": json.loads(a["summary"]) if a.get("summary") else None, "error": None}
