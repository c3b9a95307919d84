"""`cloudmap load epss FILE`"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from cloudmap.cli.common import Format
from cloudmap.cli.sources.scanners import run_feed


def epss(file: Annotated[Path, typer.Argument(help="epss_scores-YYYY-MM-DD.csv or .csv.gz from FIRST")],
         fmt: Annotated[Format, typer.Option("--format", help="table or json")] = Format.table) -> None:
    """Set EPSS scores (epss, epss_percentile, epss_date) on vulnerabilities in the graph.

    Only vulnerabilities already in the graph are updated: load scanner reports first.
    Example: cloudmap load epss epss_scores-2024-05-01.csv.gz
    """
    from cloudmap.loaders.epss.scores import load_scores

    run_feed("epss", load_scores, file, fmt)


def register(app: typer.Typer) -> None:
    app.command("epss")(epss)
