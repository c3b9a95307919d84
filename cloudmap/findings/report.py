"""The HTML report: one self-contained page (inline CSS and SVG, no script, nothing fetched) for people who
do not run the CLI. It shows the summary by level and account, the trend over the last analyses, the top
findings with their attack paths drawn, the chokepoints (``query.chokepoints``) and the suppressed findings
with their reasons."""

from __future__ import annotations

import json
from collections import Counter
from html import escape

from cloudmap import __version__
from cloudmap.findings.query import EXPIRED, chokepoints, count_by_status, list_findings
from cloudmap.findings.triage import today
from cloudmap.graph.driver import Graph
from cloudmap.graph.ingest import now
from cloudmap.rules.loader import LEVELS
from cloudmap.rules.scoring import level_rank

TREND = 12
COLOURS = {"critical": "#8b0000", "high": "#d9480f", "medium": "#e0a800", "low": "#5c7cfa"}
BOX_W, BOX_H, GAP = 150, 46, 70

_OPEN = f"MATCH (f:Finding) WHERE f.status = 'open' OR {EXPIRED} RETURN f.level AS level, f.account_ids AS accounts"
_TREND = ("MATCH (a:Analysis) WHERE a.status IN ['success', 'partial'] AND a.summary IS NOT NULL "
          "RETURN a.id AS id, toString(a.started_at) AS at, a.summary AS summary ORDER BY a.started_at DESC LIMIT $n")

CSS = """
body{font:14px/1.45 system-ui,sans-serif;margin:24px auto;max-width:1100px;color:#212529;padding:0 16px}
h1{font-size:22px}h2{font-size:18px;border-bottom:1px solid #dee2e6;padding-bottom:4px;margin-top:32px}
table{border-collapse:collapse;margin:8px 0}td,th{border:1px solid #dee2e6;padding:4px 8px;text-align:left;
vertical-align:top}th{background:#f1f3f5}.lvl{color:#fff;border-radius:3px;padding:1px 6px;font-size:12px}
article{border:1px solid #dee2e6;border-radius:6px;padding:8px 14px;margin:14px 0}
article h3{font-size:15px;margin:6px 0}.muted{color:#6c757d;font-size:12px}svg{max-width:100%;height:auto}
code{font-size:12px;background:#f1f3f5;padding:0 3px}
"""


def _lvl(level: str) -> str:
    return f'<span class="lvl" style="background:{COLOURS.get(level, "#868e96")}">{escape(level or "")}</span>'


def _table(head: list[str], rows: list[list], cls: str = "") -> str:
    if not rows:
        return '<p class="muted">none</p>'
    th = "".join(f"<th>{escape(h)}</th>" for h in head)
    body = "".join("<tr>" + "".join(f"<td>{c}</td>" for c in row) + "</tr>" for row in rows)
    return f'<table class="{cls}"><tr>{th}</tr>{body}</table>'


def _short(text, n: int = 22) -> str:
    text = str(text or "")
    return text if len(text) <= n else text[: n - 1] + "…"


def path_svg(path: dict) -> str:
    """The attack path as boxes (assets) joined by arrows labelled with the move."""
    nodes, rels = path.get("nodes", []), path.get("relationships", [])
    width = len(nodes) * BOX_W + max(len(nodes) - 1, 0) * GAP + 20
    height = BOX_H + 40
    parts = [f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width} {height}" width="{width}" '
             f'height="{height}" role="img" aria-label="attack path">',
             '<defs><marker id="arrow" viewBox="0 0 10 10" refX="10" refY="5" markerWidth="8" markerHeight="8" '
             'orient="auto"><path d="M0,0 L10,5 L0,10 z" fill="#495057"/></marker></defs>']
    for i, node in enumerate(nodes):
        x = 10 + i * (BOX_W + GAP)
        kind = next((lb for lb in node.get("labels", []) if lb not in ("Asset",)), "")
        fill = "#fff4e6" if "Internet" in node.get("labels", []) else "#e7f5ff"
        parts.append(f'<g><title>{escape(str(node.get("id")))}</title><rect x="{x}" y="20" width="{BOX_W}" '
                     f'height="{BOX_H}" rx="6" fill="{fill}" stroke="#495057"/>'
                     f'<text x="{x + BOX_W / 2}" y="40" text-anchor="middle" font-size="13">'
                     f'{escape(_short(node.get("name") or node.get("id")))}</text>'
                     f'<text x="{x + BOX_W / 2}" y="57" text-anchor="middle" font-size="10" fill="#6c757d">'
                     f'{escape(_short(kind, 26))}</text></g>')
    for i, rel in enumerate(rels[: max(len(nodes) - 1, 0)]):
        x1 = 10 + i * (BOX_W + GAP) + BOX_W
        parts.append(f'<line x1="{x1}" y1="{20 + BOX_H / 2}" x2="{x1 + GAP - 2}" y2="{20 + BOX_H / 2}" '
                     'stroke="#495057" marker-end="url(#arrow)"/>'
                     f'<text x="{x1 + GAP / 2}" y="14" text-anchor="middle" font-size="9">'
                     f'{escape(_short(rel.get("type", ""), 20))}</text>')
    return "".join(parts) + "</svg>"


def _finding(f: dict) -> str:
    factors = _table(["factor", "value", "points", "why"], [
        [escape(x["factor"]), escape(_short(json.dumps(x.get("value"), default=str), 60)), escape(str(x["contribution"])),
         escape(x.get("explanation") or "")] for x in f.get("factors", [])])
    risks = ", ".join(escape(r) for r in f["risk_factors"]) or "-"
    return (f'<article class="finding" data-finding-id="{escape(f["id"])}"><h3>{_lvl(f["level"])} {f["score"]} · '
            f'{escape(f["title"] or "")}</h3><p class="muted">{escape(f["rule_id"] or "")} · <code>{escape(f["id"])}</code>'
            f' · {escape(f["entry"]["name"] or "")} → {escape(f["target"]["name"] or "")} · {f["hops"]} hop(s)</p>'
            f'{path_svg(f["path"])}<p><b>Risk factors:</b> {risks}</p><details open><summary>Score breakdown'
            f'</summary>{factors}</details><p><b>Remediation:</b> {escape(f.get("remediation") or "-")}</p></article>')


def _trend(graph: Graph) -> str:
    runs = list(reversed(graph.read(_TREND, n=TREND)))
    if not runs:
        return '<p class="muted">no analysis yet</p>'
    counts = [json.loads(r["summary"]).get("findings", {}).get("by_level", {}) for r in runs]
    top = max([sum(c.values()) for c in counts] + [1])
    bar_w, h = 36, 120
    parts = [f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {len(runs) * (bar_w + 10) + 10} {h + 30}" '
             f'width="{len(runs) * (bar_w + 10) + 10}" height="{h + 30}" role="img" aria-label="trend">']
    for i, (run, c) in enumerate(zip(runs, counts, strict=True)):
        x, y = 10 + i * (bar_w + 10), h
        for lv in reversed(LEVELS):
            dh = h * c.get(lv, 0) / top
            y -= dh
            if dh:
                parts.append(f'<rect x="{x}" y="{y:.1f}" width="{bar_w}" height="{dh:.1f}" fill="{COLOURS[lv]}">'
                             f'<title>{escape(run["id"])}: {c.get(lv, 0)} {lv}</title></rect>')
        parts.append(f'<text x="{x + bar_w / 2}" y="{h + 14}" text-anchor="middle" font-size="10">'
                     f'{sum(c.values())}</text><text x="{x + bar_w / 2}" y="{h + 26}" text-anchor="middle" '
                     f'font-size="8" fill="#6c757d">{escape(run["at"][5:10])}</text>')
    return "".join(parts) + "</svg>"


def build(graph: Graph, level: str = "low", top: int = 20) -> tuple[str, int]:
    """(the page, how many findings it details): open findings at or above ``level``, at most ``top``."""
    levels = [lv for lv in LEVELS if level_rank(lv) >= level_rank(level)]
    day = today()
    statuses = count_by_status(graph, day)
    opened = graph.read(_OPEN, today=day)
    by_level = Counter(r["level"] for r in opened)
    by_account = Counter(a for r in opened for a in (r["accounts"] or ["(none)"]))
    shown, _ = list_findings(graph, level=levels, status="open", limit=top, today=day)
    suppressed, _ = list_findings(graph, status="suppressed", limit=500, view="summary", today=day)
    chokes = chokepoints(graph, limit=10)
    summary = _table(["level", "open findings"], [[_lvl(lv), by_level.get(lv, 0)] for lv in LEVELS])
    accounts = _table(["account", "open findings"], [[escape(a), n] for a, n in by_account.most_common(20)])
    chokes_html = _table(["what", "kind", "open findings through it", "summed score", "by level"], [
        [escape(c.get("name") or c["id"]), escape(c["kind"] + (f" {c['type']}" if c.get("type") else "")), c["findings"],
         c["weighted_score"], escape(", ".join(f"{n} {lv}" for lv, n in c["by_level"].items()))] for c in chokes])
    supp = _table(["level", "finding", "reason", "until", "by", "source"], [
        [_lvl(f["level"]), escape(f"{f['title']}: {f['entry']['name']} → {f['target']['name']}"),
         escape(f["suppression"]["reason"]), escape(f["suppression"]["until"] or "never"),
         escape(f["suppression"]["by"] or ""), escape(f["suppression"]["source"])] for f in suppressed])
    page = f"""<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'; img-src data:">
<meta name="viewport" content="width=device-width, initial-scale=1"><title>cloudmap report</title>
<style>{CSS}</style></head><body>
<h1>cloudmap report</h1>
<p class="muted">Generated {escape(now().strftime('%Y-%m-%d %H:%M UTC'))} by cloudmap {escape(__version__)}.
{statuses['open']} open, {statuses['suppressed']} suppressed, {statuses['resolved']} resolved finding(s).</p>
<h2>Summary</h2><div style="display:flex;gap:32px;flex-wrap:wrap"><div><h3>By level</h3>{summary}</div>
<div><h3>By account</h3>{accounts}</div><div><h3>Trend (last {TREND} analyses)</h3>{_trend(graph)}</div></div>
<h2>Top findings</h2><p id="shown">{len(shown)} finding(s) at {escape(level)} or above shown, highest score first.</p>
{"".join(_finding(f) for f in shown)}
<h2>Chokepoints</h2><p class="muted">Assets and moves on the most open attack paths: fixing one breaks every path
that runs through it (ranked by the summed score of those findings).</p>{chokes_html}
<h2>Suppressed findings</h2><p class="muted">Accepted risks and false positives: still evaluated, left out of the
listing and of <code>--fail-on</code>.</p>{supp}
</body></html>
"""
    return page, len(shown)
