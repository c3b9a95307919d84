"""FIRST EPSS scores (epss_scores-YYYY-MM-DD.csv, usually gzipped).

The file starts with ``#model_version:...,score_date:...``, then the header ``cve,epss,percentile``.
Sets ``epss``, ``epss_percentile`` and ``epss_date`` on the Vulnerability nodes already in the graph;
load it after the scanners. Every line is checked before anything is written."""

from __future__ import annotations

import csv
import io
import re
from pathlib import Path

from cloudmap.loaders.inputfile import InputError, describe, read_text
from cloudmap.loaders.kit import LoadSummary
from cloudmap.loaders.vulns import enrich

from cloudmap.graph.driver import Graph

CVE = re.compile(r"^CVE-\d{4}-\d{4,}$")
HEADER = ["cve", "epss", "percentile"]


def _probability(value: str, name: str, where: str) -> float:
    try:
        number = float(value)
    except ValueError:
        number = -1.0
    if not 0.0 <= number <= 1.0:  # also rejects nan
        raise InputError(f"{where}: {name} {describe(value)} is not a number between 0 and 1")
    return number


def read_scores(path: Path) -> tuple[list[dict], str | None]:
    """(rows, score date) or InputError naming the file and line."""
    lines = read_text(path).splitlines()
    score_date = None
    start = 0
    if lines and lines[0].startswith("#"):
        meta = dict(part.split(":", 1) for part in lines[0][1:].split(",") if ":" in part)
        score_date = (meta.get("score_date") or "")[:10] or None
        start = 1
    if len(lines) <= start or [h.strip().lower() for h in lines[start].split(",")] != HEADER:
        raise InputError(f"{path} line {start + 1}: expected the header 'cve,epss,percentile'")
    rows = []
    for number, record in enumerate(csv.reader(io.StringIO("\n".join(lines[start + 1:]))), start=start + 2):
        if not record:
            continue
        where = f"{path} line {number}"
        if len(record) != 3:
            raise InputError(f"{where}: expected 3 columns (cve,epss,percentile), got {len(record)}")
        cve = record[0].strip().upper()
        if not CVE.match(cve):
            raise InputError(f"{where}: cve {describe(record[0])} is not a CVE id")
        rows.append({"id": cve, "epss": _probability(record[1], "epss", where),
                     "epss_percentile": _probability(record[2], "percentile", where), "epss_date": score_date})
    return rows, score_date


def load_scores(graph: Graph, path: Path) -> LoadSummary:
    rows, score_date = read_scores(path)
    result = enrich(graph, "epss", f"epss {path.name}", rows)
    result.details["score_date"] = score_date
    return result
