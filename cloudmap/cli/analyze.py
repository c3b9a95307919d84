"""`cloudmap analyze`: derive attack edges, run every rule, score and store the findings."""

from __future__ import annotations

from pathlib import Path

import typer

from cloudmap.cli.common import Format, console, info, open_graph, print_json
from cloudmap.config import settings
from cloudmap.rules.loader import LEVELS


def analyze(
    rules_dir: Path = typer.Option(None, "--rules-dir", help="extra directory of *.cypher rules "
                                   "(default: CLOUDMAP_RULES_DIR)", file_okay=False),
    fmt: Format = typer.Option(Format.table, "--format", help="table or json"),
    derive: bool = typer.Option(True, "--derive/--no-derive", help="recompute derived edges first (default) or "
                                "run the rules on the derived edges already in the graph"),
    wait: float = typer.Option(0, "--wait", min=0, help="seconds to wait for running loads or another analysis "
                               "(default: exit 1 at once, naming the holder)"),
) -> None:
    """Derive attack edges, run all rules, write scored findings and print a summary.

    Example: cloudmap analyze && cloudmap findings --level critical
    """
    from cloudmap.findings.analysis import run_analysis

    cfg = settings()
    with open_graph(cfg) as graph:
        summary = run_analysis(graph, rules_dir=rules_dir or cfg.user_rules_dir, progress=info, derive=derive,
                               wait=wait)
    for problem in summary["problems"]:
        info(f"rule skipped: {problem}")
    if fmt == Format.json:
        print_json(summary)
        return
    f = summary["findings"]
    console.print(f"Analysis {summary['analysis_id']}: {summary['status']}")
    if summary["engine"]["status"] != "ok":
        console.print(f"Engine: {summary['engine']['message']}")
    console.print(f"Rules: {summary['rules']['run']} run, {summary['rules']['skipped']} skipped")
    console.print("Open findings: " + ", ".join(f"{f['by_level'][lv]} {lv}" for lv in LEVELS) + f" ({f['open']} total)")
    console.print(f"Since the last analysis: {f['new']} new, {f['reopened']} reopened, {f['resolved']} resolved"
                  + (f", {f['retired']} retired (rule no longer loaded)" if f["retired"] else ""))


def register(app: typer.Typer) -> None:
    app.command("analyze")(analyze)
