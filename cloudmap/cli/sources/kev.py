"""`cloudmap load kev FILE`"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from cloudmap.cli.common import Format
from cloudmap.cli.sources.scanners import run_feed


def kev(file: Annotated[Path, typer.Argument(help="known_exploited_vulnerabilities.json from CISA")],
        fmt: Annotated[Format, typer.Option("--format", help="table or json")] = Format.table) -> None:
    """Mark vulnerabilities in the CISA KEV catalog (kev, kev_date_added, kev_ransomware).

    Only vulnerabilities already in the graph are updated: load scanner reports first.
    Example: cloudmap load kev known_exploited_vulnerabilities.json
    """
    from cloudmap.loaders.kev.feed import load_catalog

    run_feed("kev", load_catalog, file, fmt)


def register(app: typer.Typer) -> None:
    app.command("kev")(kev)
