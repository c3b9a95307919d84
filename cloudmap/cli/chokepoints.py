"""`cloudmap chokepoints`: what to fix first to remove the most attack paths."""

from __future__ import annotations

import typer

from cloudmap.cli.common import EXIT_USAGE, Format, fail, open_graph, print_json, print_table
from cloudmap.findings.query import QueryError
from cloudmap.findings.query import chokepoints as rank


def chokepoints(limit: int = typer.Option(20, "--limit", min=1, max=1000),
                min_level: str = typer.Option(None, "--min-level", help="count only paths at or above: critical, "
                                                                       "high, medium or low"),
                fmt: Format = typer.Option(Format.table, "--format", help="table or json")) -> None:
    """Rank the assets and edges whose fix removes the most score-weighted open attack paths.

    Example: cloudmap chokepoints --min-level high --limit 10
    """
    with open_graph() as graph:
        try:
            items = rank(graph, limit=limit, min_level=min_level)
        except QueryError as exc:
            fail(str(exc), EXIT_USAGE)
    if fmt == Format.json:
        print_json(items)
    else:
        print_table([{**i, "what": i.get("name") or i.get("type"), "labels": ",".join(i.get("labels", []))}
                     for i in items], ["kind", "what", "id", "findings", "weighted_score", "by_level"])


def register(app: typer.Typer) -> None:
    app.command("chokepoints")(chokepoints)
