"""Notifications: after an analysis, POST its new and reopened open findings at or above a level.

A target is a URL, a minimum level and a format: ``json`` (the findings as a list) or ``slack`` (an
incoming-webhook ``{"text": ...}`` message). A message carries ids, titles, levels, scores and the names of
the path's two ends only: never evidence, paths or properties, where secrets could hide. Delivery retries
on connection errors, time-outs, 429 and 5xx with a doubling pause, then gives up; a failure is reported
and never fails the analysis. Webhook URLs often hold a token, so reports name the host only.
"""

from __future__ import annotations

import json
import logging
import time
import urllib.error
import urllib.request
from dataclasses import dataclass
from urllib.parse import urlsplit

from cloudmap import __version__
from cloudmap.findings.diff import changes
from cloudmap.graph.driver import Graph
from cloudmap.rules.scoring import level_rank

log = logging.getLogger("cloudmap.notify")
RETRY_STATUSES = {429, 500, 502, 503, 504}


@dataclass(frozen=True)
class Delivery:
    attempts: int = 3
    timeout: float = 10.0
    backoff: float = 0.5   # seconds before the second attempt, doubled after each further one


def host_of(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.hostname}" + (f":{parts.port}" if parts.port else "")


def to_notify(graph: Graph, analysis_id: str) -> list[dict]:
    """The analysis's new and reopened findings that are open (not suppressed)."""
    return [i for i in changes(graph, [analysis_id]) if i["change"] in ("new", "reopened") and i["status"] == "open"]


def message(items: list[dict], analysis_id: str, fmt: str, min_level: str) -> dict:
    if fmt == "slack":
        lines = [f"*cloudmap*: {len(items)} new or reopened attack path(s) at {min_level} or above "
                 f"(analysis {analysis_id})"]
        lines += [f"• *{i['level']}* {i['score']} {i['rule_id']} {i['title']}: {i['entry']['name']} → "
                  f"{i['target']['name']} ({i['change']}, `{i['id']}`)" for i in items]
        return {"text": "\n".join(lines)}
    keep = ("change", "id", "rule_id", "title", "level", "score", "entry", "target")
    return {"source": "cloudmap", "version": __version__, "analysis_id": analysis_id, "min_level": min_level,
            "findings": [{k: i[k] for k in keep} for i in items]}


def post(url: str, body: dict, delivery: Delivery, sleep=time.sleep) -> tuple[bool, str]:
    """(delivered, what happened) after at most ``delivery.attempts`` tries."""
    data = json.dumps(body).encode()
    problem = ""
    for attempt in range(1, delivery.attempts + 1):
        if attempt > 1:
            sleep(delivery.backoff * 2 ** (attempt - 2))
        request = urllib.request.Request(url, data=data, method="POST", headers={
            "Content-Type": "application/json", "User-Agent": f"cloudmap/{__version__}"})
        try:
            with urllib.request.urlopen(request, timeout=delivery.timeout) as response:  # noqa: S310 - http(s) only
                return True, f"HTTP {response.status} after {attempt} attempt(s)"
        except urllib.error.HTTPError as exc:
            problem = f"HTTP {exc.code}"
            if exc.code not in RETRY_STATUSES:
                return False, f"{problem} (not retried)"
        except TimeoutError:
            problem = f"no answer within {delivery.timeout:g} s"
        except (urllib.error.URLError, OSError) as exc:
            reason = getattr(exc, "reason", exc)
            if isinstance(reason, TimeoutError):
                problem = f"no answer within {delivery.timeout:g} s"
            else:
                problem = f"cannot connect ({type(reason).__name__})"
    return False, f"{problem} after {delivery.attempts} attempt(s)"


def send(graph: Graph, analysis_id: str, targets, delivery: Delivery = Delivery()) -> list[str]:
    """Notify every target (url, min_level, format); one report line per target."""
    if not targets:
        return []
    items = to_notify(graph, analysis_id)
    report = []
    for t in targets:
        chosen = [i for i in items if level_rank(i["level"]) >= level_rank(t.min_level)]
        where = host_of(t.url)
        if not chosen:
            report.append(f"notification to {where}: nothing new at {t.min_level} or above")
            continue
        ok, what = post(t.url, message(chosen, analysis_id, t.format, t.min_level), delivery)
        line = f"notification to {where}: {len(chosen)} finding(s) " + ("delivered, " if ok else "NOT delivered: ") + what
        if not ok:
            log.warning("%s", line)
        report.append(line)
    return report
