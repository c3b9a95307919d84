"""`cloudmap analyze`: derive attack edges, run every rule, score and store the findings."""

from __future__ import annotations

from pathlib import Path

import typer
from pydantic import ValidationError

from cloudmap.cli.common import EXIT_USAGE, Format, console, fail, info, open_graph, print_json
from cloudmap.config import NotifyTarget, settings
from cloudmap.findings import notify
from cloudmap.rules.loader import LEVELS


def analyze(
    rules_dir: Path = typer.Option(None, "--rules-dir", help="extra directory of *.cypher rules "
                                   "(default: CLOUDMAP_RULES_DIR)", file_okay=False),
    fmt: Format = typer.Option(Format.table, "--format", help="table or json"),
    derive: bool = typer.Option(True, "--derive/--no-derive", help="recompute derived edges first (default) or "
                                "run the rules on the derived edges already in the graph"),
    wait: float = typer.Option(0, "--wait", min=0, help="seconds to wait for running loads or another analysis "
                               "(default: exit 1 at once, naming the holder)"),
    exemptions_file: Path = typer.Option(None, "--exemptions", help="YAML file of accepted risks "
                                         "(default: the exemptions_file setting)", dir_okay=False),
    notify_urls: list[str] = typer.Option(None, "--notify", help="POST the new and reopened findings to this URL "
                                          "(repeatable; besides the notify entries of the config)"),
    notify_level: str = typer.Option("high", "--notify-level", help="--notify: the lowest level sent"),
    notify_format: str = typer.Option("json", "--notify-format", help="--notify: json or slack"),
) -> None:
    """Derive attack edges, run all rules, write scored findings and print a summary.

    Example: cloudmap analyze && cloudmap findings --level critical
    """
    from cloudmap.findings.analysis import configured_exemptions, run_analysis
    from cloudmap.findings.exemptions import ExemptionError, load_file

    cfg = settings()
    try:
        targets = [*cfg.notify, *(NotifyTarget(url=u, min_level=notify_level, format=notify_format)
                                  for u in notify_urls or [])]
    except ValidationError as exc:
        fail(f"--notify: {exc.errors()[0]['msg']} (a http(s) URL; --notify-level one of {', '.join(LEVELS)}; "
             "--notify-format json or slack)", EXIT_USAGE)
    try:
        entries = load_file(exemptions_file) if exemptions_file else configured_exemptions()
    except ExemptionError as exc:
        fail(str(exc), EXIT_USAGE)
    with open_graph(cfg) as graph:
        summary = run_analysis(graph, rules_dir=rules_dir or cfg.user_rules_dir, progress=info, derive=derive,
                               wait=wait, exempt=entries)
        sent = notify.send(graph, summary["analysis_id"], targets,
                           notify.Delivery(attempts=cfg.notify_attempts, timeout=cfg.notify_timeout))
    for line in sent:
        info(line)
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
    console.print("Open findings: " + ", ".join(f"{f['by_level'][lv]} {lv}" for lv in LEVELS) + f" ({f['open']} total)"
                  + (f", {f['suppressed']} suppressed" if f["suppressed"] else ""))
    console.print(f"Since the last analysis: {f['new']} new, {f['reopened']} reopened, {f['resolved']} resolved"
                  + (f", {f['retired']} retired (rule no longer loaded)" if f["retired"] else ""))


def register(app: typer.Typer) -> None:
    app.command("analyze")(analyze)
