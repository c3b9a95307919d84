"""`cloudmap load grype REPORT.json...`"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from cloudmap.cli.common import Format
from cloudmap.cli.sources.scanners import run_scanner


def grype(files: Annotated[list[Path], typer.Argument(help="Grype JSON reports (grype ... -o json)")],
          asset: Annotated[str | None, typer.Option("--asset", help="attach to this asset (directory/file reports): its "
                                                    "id or ARN in any casing, a bare instance / VM id, or a "
                                                    "unique name")] = None,
          fmt: Annotated[Format, typer.Option("--format", help="table or json")] = Format.table) -> None:
    """Load Grype vulnerability reports (image, directory, file sources).

    Images attach to the ContainerImage with the same digest or repository:tag, hosts to the
    asset named in the report or given with --asset. Example: cloudmap load grype nginx.json
    """
    from cloudmap.loaders.grype.report import read_reports

    run_scanner("grype", read_reports, files, asset, fmt)


def register(app: typer.Typer) -> None:
    app.command("grype")(grype)
