"""`cloudmap findings`: list, filter and export findings; `--fail-on` for CI gates; suppress and
unsuppress findings; what changed between analyses (`diff`)."""

from __future__ import annotations

import getpass
import sys
from enum import Enum

import typer

from cloudmap.cli.common import EXIT_FINDINGS, EXIT_USAGE, fail, info, open_graph, print_json, print_table
from cloudmap.findings import triage
from cloudmap.findings.query import QueryError, count_by_status, count_findings, get_finding, list_findings
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
    ctx: typer.Context,
    level: str = typer.Option(None, "--level", help="only this level: critical, high, medium or low"),
    rule: str = typer.Option(None, "--rule", help="only this rule id, e.g. CM-VM-003"),
    status: str = typer.Option("open", "--status", help="open, suppressed, resolved, retired or all"),
    account: str = typer.Option(None, "--account", help="only paths through this account / subscription id"),
    asset: str = typer.Option(None, "--asset", help="only paths through this asset id"),
    risk_factor: str = typer.Option(None, "--risk-factor", help="e.g. sensitive-data"),
    sort: str = typer.Option("score", "--sort", help="score, first_seen, last_seen or rule"),
    limit: int = typer.Option(0, "--limit", min=0, help="at most this many (0 = all)"),
    finding_id: str = typer.Option(None, "--id", hidden=True, help="the same as `findings show ID`"),
    fmt: ExportFormat = typer.Option(ExportFormat.table, "--format", help="table, json, sarif or csv"),
    fail_on: str = typer.Option(None, "--fail-on", help="exit 3 if open findings at or above this level exist "
                                "(suppressed ones do not count)"),
) -> None:
    """List findings, highest score first (suppressed ones only with --status suppressed or all);
    `findings suppress`, `unsuppress` and `diff` triage them.

    Example: cloudmap findings --level critical --format json;
    cloudmap findings --format sarif > cloudmap.sarif; cloudmap findings --fail-on high
    """
    if ctx.invoked_subcommand:
        return
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
                     "status": f["status"], **_suppression_cells(f)} for f in items]
            columns = ["level", "score", "rule", "title", "entry", "target", "status", "id"]
            if any(f["suppression"] for f in items):
                columns += ["reason", "until", "by"]
            print_table(rows, columns, title=f"{len(rows)} finding(s)")
            if status == "open":
                hidden = count_by_status(graph)["suppressed"]
                if hidden:
                    info(f"{hidden} suppressed finding(s) not shown (cloudmap findings --status suppressed)")
    if failing:
        info(f"{failing} open finding(s) at or above {fail_on}")
        raise typer.Exit(EXIT_FINDINGS)


def _suppression_cells(f: dict) -> dict:
    s = f.get("suppression") or {}
    return {"reason": s.get("reason"), "until": s.get("until") or ("never" if s else None), "by": s.get("by")}


def _triage_call(fn, *args, **kw) -> None:
    with open_graph() as graph:
        try:
            changed = fn(graph, *args, **kw)
        except triage.TriageError as exc:
            fail(str(exc), EXIT_USAGE)
    for row in changed:
        info(f"{row['id']}: {row['status']}")


app = typer.Typer()
app.callback(invoke_without_command=True)(findings)


@app.command("suppress")
def suppress(
    ids: list[str] = typer.Argument(..., help="finding ids (cloudmap findings prints them)"),
    reason: str = typer.Option(..., "--reason", help="why the risk is accepted or not real"),
    until: str = typer.Option(None, "--until", help="YYYY-MM-DD: reopens by itself after this day (default: never)"),
    by: str = typer.Option(None, "--by", help="who decides (default: the login name)"),
) -> None:
    """Suppress findings: they stay evaluated but leave the default listing and --fail-on.

    Example: cloudmap findings suppress CM-VM-003-1a2b3c4d5e6f7a8b --reason "test estate" --until 2027-01-31
    """
    _triage_call(triage.suppress, ids, reason, until=until, by=by or getpass.getuser())


@app.command("unsuppress")
def unsuppress(ids: list[str] = typer.Argument(..., help="finding ids"),
               by: str = typer.Option(None, "--by", help="who decides (default: the login name)")) -> None:
    """Lift suppressions made with `findings suppress` (the finding is open again).

    Example: cloudmap findings unsuppress CM-VM-003-1a2b3c4d5e6f7a8b
    """
    _triage_call(triage.unsuppress, ids, by=by or getpass.getuser())


@app.command("show")
def show(finding_id: str = typer.Argument(..., help="a finding id (cloudmap findings prints them)"),
         fmt: ExportFormat = typer.Option(ExportFormat.table, "--format", help="table (the steps) or json")) -> None:
    """One finding's attack path as numbered steps, each naming its move and what allows it.

    Example: cloudmap findings show CM-PATH-001-1a2b3c4d5e6f7a8b --format json
    """
    with open_graph() as graph:
        show_finding(graph, finding_id, fmt)


class DiffFormat(str, Enum):
    table = "table"
    json = "json"
    markdown = "markdown"


@app.command("diff")
def diff(since: str = typer.Option(None, "--since", help="an analysis id or a YYYY-MM-DD date "
                                   "(default: what the last analysis changed)"),
         fmt: DiffFormat = typer.Option(DiffFormat.table, "--format", help="table, json or markdown")) -> None:
    """Findings that are new, resolved, reopened, or whose level changed, with counts.

    Example: cloudmap findings diff --since 2027-01-01 --format markdown > comment.md
    """
    from cloudmap.findings import diff as changes

    with open_graph() as graph:
        try:
            result = changes.diff(graph, since)
        except (changes.DiffError, triage.TriageError) as exc:
            fail(str(exc), EXIT_USAGE)
    if fmt == DiffFormat.json:
        print_json(result)
    elif fmt == DiffFormat.markdown:
        sys.stdout.write(changes.markdown(result))
    else:
        print_table(changes.table_rows(result), ["change", "level", "score", "rule", "title", "path", "status", "id"],
                    title=changes.headline(result))


def register(root: typer.Typer) -> None:
    root.add_typer(app, name="findings")
