"""FIRST EPSS scores (epss_scores-YYYY-MM-DD.csv, usually gzipped).

The file starts with ``#model_version:...,score_date:...``, then the header ``cve,epss,percentile``.
Sets ``epss``, ``epss_percentile`` and ``epss_date`` on the Vulnerability nodes already in the graph;
load it after the scanners. Every line is checked before anything is written."""

from __future__ import annotations

import csv
import re
from collections.abc import Callable
from pathlib import Path

from cloudmap.loaders.inputfile import InputError, describe, open_lines
from cloudmap.loaders.kit import LoadSummary
from cloudmap.loaders.vulns import enrich, existing_cves

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


def read_scores(path: Path, keep: Callable[[str], bool] | None = None) -> tuple[list[dict], str | None, int]:
    """(rows, score date, number of CVEs in the file) or InputError naming the file and line. The file is
    streamed; only rows whose CVE ``keep`` accepts are kept, so memory follows the graph, not the feed."""
    score_date, rows, total = None, [], 0
    with open_lines(path) as lines:
        first, header_line = next(lines, ""), 1
        if first.startswith("#"):
            meta = dict(part.split(":", 1) for part in first[1:].split(",") if ":" in part)
            score_date = (meta.get("score_date") or "")[:10] or None
            first, header_line = next(lines, ""), 2
        if [h.strip().lower() for h in first.split(",")] != HEADER:
            raise InputError(f"{path} line {header_line}: expected the header 'cve,epss,percentile'")
        for number, record in enumerate(csv.reader(lines), start=header_line + 1):
            if not record:
                continue
            where = f"{path} line {number}"
            if len(record) != 3:
                raise InputError(f"{where}: expected 3 columns (cve,epss,percentile), got {len(record)}")
            cve = record[0].strip().upper()
            if not CVE.match(cve):
                raise InputError(f"{where}: cve {describe(record[0])} is not a CVE id")
            epss = _probability(record[1], "epss", where)
            percentile = _probability(record[2], "percentile", where)
            total += 1
            if keep is None or keep(cve):
                rows.append({"id": cve, "epss": epss, "epss_percentile": percentile, "epss_date": score_date})
    return rows, score_date, total


def load_scores(graph: Graph, path: Path) -> LoadSummary:
    known = existing_cves(graph)
    rows, score_date, total = read_scores(path, keep=known.__contains__)
    result = enrich(graph, "epss", f"epss {path.name}", rows, in_feed=total)
    result.details["score_date"] = score_date
    return result
