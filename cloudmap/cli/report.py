"""`cloudmap report`: one self-contained HTML page of the findings, for people who do not run the CLI."""

from __future__ import annotations

from pathlib import Path

import typer

from cloudmap.cli.common import EXIT_USAGE, fail, info, open_graph
from cloudmap.rules.loader import LEVELS


def report(out: Path = typer.Option(..., "--out", help="the HTML file to write", dir_okay=False),
           level: str = typer.Option("low", "--level", help="detail open findings at or above this level"),
           top: int = typer.Option(20, "--top", min=1, max=1000, help="at most this many detailed findings")) -> None:
    """Write the report: summary by level and account, trend, top findings with their attack paths drawn,
    chokepoints, suppressed findings. Works offline (no script, nothing fetched).

    Example: cloudmap report --out report.html --level high
    """
    from cloudmap.findings.report import build

    if level not in LEVELS:
        fail(f"--level {level!r}: use one of {', '.join(LEVELS)}", EXIT_USAGE)
    with open_graph() as graph:
        page, shown = build(graph, level=level, top=top)
    try:
        out.write_text(page, encoding="utf-8")
    except OSError as exc:
        fail(f"--out {out}: cannot write ({exc.strerror})")
    info(f"wrote {out}: {shown} finding(s) at {level} or above")


def register(app: typer.Typer) -> None:
    app.command("report")(report)
