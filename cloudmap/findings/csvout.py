"""CSV export: one row per finding, lists joined with `;` (for spreadsheets and ticket imports)."""

from __future__ import annotations

import csv
import io

COLUMNS = ("id", "rule_id", "title", "level", "score", "status", "risk_factors", "entry_id", "entry_name",
           "target_id", "target_name", "hops", "first_seen", "last_seen", "remediation")


def to_csv(findings: list[dict]) -> str:
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\n")
    writer.writerow(COLUMNS)
    for f in findings:
        flat = {**f, "risk_factors": ";".join(f["risk_factors"]), "entry_id": f["entry"]["id"],
                "entry_name": f["entry"]["name"], "target_id": f["target"]["id"], "target_name": f["target"]["name"]}
        writer.writerow([_text(flat.get(c)) for c in COLUMNS])
    return buf.getvalue()


def _text(value) -> str:
    if value is None:
        return ""
    if hasattr(value, "iso_format"):
        return value.iso_format()
    return str(value)
