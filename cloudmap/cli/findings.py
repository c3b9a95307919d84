"""`cloudmap findings`: list, filter and export findings; `--fail-on` for CI gates."""

from __future__ import annotations

import sys
from enum import Enum

import typer

from cloudmap.cli.common import EXIT_FINDINGS, EXIT_USAGE, fail, info, open_graph, print_json, print_table
from cloudmap.findings.query import QueryError, count_findings, get_finding, list_findings
from cloudmap.rules.loader import LEVELS

PAGE = 500


class ExportFormat(str, Enum):
    table = "table"
    json = "json"
    sarif = "sarif"
    csv = "csv"


def all_findings(graph, limit: int, **filters) -> list[dict]:
    """Page through the findings (``limit`` 0 = all)."""
    out, cursor = [], None
    while True:
        size = PAGE if not limit else min(PAGE, limit - len(out))
        items, cursor = list_findings(graph, limit=size, cursor=cursor, **filters)
        out += items
        if not cursor or (limit and len(out) >= limit):
            return out


def show_finding(graph, finding_id: str, fmt) -> None:
    """One finding: its hops as numbered steps (table format) or the whole JSON."""
    from cloudmap.findings.explain import as_text

    item = get_finding(graph, finding_id)
    if item is None:
        fail(f"no finding {finding_id!r}")
    if fmt == ExportFormat.table:
        typer.echo(as_text(item))
    else:
        print_json(item)


def findings(
    level: str = typer.Option(None, "--level", help="only this level: critical, high, medium or low"),
    rule: str = typer.Option(None, "--rule", help="only this rule id, e.g. CM-VM-003"),
    status: str = typer.Option("open", "--status", help="open, resolved, retired or all"),
    account: str = typer.Option(None, "--account", help="only paths through this account / subscription id"),
    asset: str = typer.Option(None, "--asset", help="only paths through this asset id"),
    risk_factor: str = typer.Option(None, "--risk-factor", help="e.g. sensitive-data"),
    sort: str = typer.Option("score", "--sort", help="score, first_seen, last_seen or rule"),
    limit: int = typer.Option(0, "--limit", min=0, help="at most this many (0 = all)"),
    finding_id: str = typer.Option(None, "--id", help="show one finding with its full path"),
    fmt: ExportFormat = typer.Option(ExportFormat.table, "--format", help="table, json, sarif or csv"),
    fail_on: str = typer.Option(None, "--fail-on", help="exit 3 if open findings at or above this level exist"),
) -> None:
    """List findings, highest score first.

    Example: cloudmap findings --level critical --format json;
    cloudmap findings --format sarif > cloudmap.sarif; cloudmap findings --fail-on high
    """
    for name, value in (("--level", level), ("--fail-on", fail_on)):
        if value is not None and value not in LEVELS:
            fail(f"{name} {value!r}: use one of {', '.join(LEVELS)}", EXIT_USAGE)
    filters = {"level": level, "rule": rule, "status": status, "account": account, "asset": asset, "risk_factor": risk_factor}
    with open_graph() as graph:
        if finding_id:
            show_finding(graph, finding_id, fmt)
            return
        try:
            items = all_findings(graph, limit, sort=sort, **filters)
            failing = count_findings(graph, min_level=fail_on, **{**filters, "level": None}) if fail_on else 0
        except QueryError as exc:
            fail(str(exc), EXIT_USAGE)
        if fmt == ExportFormat.json:
            print_json(items)
        elif fmt == ExportFormat.sarif:
            from cloudmap.config import settings
            from cloudmap.findings.sarif import to_sarif
            from cloudmap.rules import load_rules
            rules, _ = load_rules([settings().user_rules_dir] if settings().user_rules_dir else [])
            print_json(to_sarif(items, rules))
        elif fmt == ExportFormat.csv:
            from cloudmap.findings.csvout import to_csv
            sys.stdout.write(to_csv(items))
        else:
            rows = [{"id": f["id"], "level": f["level"], "score": f["score"], "rule": f["rule_id"],
                     "title": f["title"], "entry": f["entry"]["name"], "target": f["target"]["name"],
                     "status": f["status"]} for f in items]
            print_table(rows, ["level", "score", "rule", "title", "entry", "target", "status", "id"],
                        title=f"{len(rows)} finding(s)")
    if failing:
        info(f"{failing} open finding(s) at or above {fail_on}")
        raise typer.Exit(EXIT_FINDINGS)


def register(app: typer.Typer) -> None:
    app.command("findings")(findings)
