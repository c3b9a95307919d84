"""`cloudmap load trivy REPORT.json...`"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from cloudmap.cli.common import Format
from cloudmap.cli.sources.scanners import run_scanner


def trivy(files: Annotated[list[Path], typer.Argument(help="Trivy JSON reports (trivy ... --format json)")],
          asset: Annotated[str | None, typer.Option("--asset", help="attach to this asset (VM/rootfs reports): its "
                                                    "id or ARN in any casing, a bare instance / VM id, or a "
                                                    "unique name")] = None,
          fmt: Annotated[Format, typer.Option("--format", help="table or json")] = Format.table) -> None:
    """Load Trivy vulnerability reports (image, vm, rootfs, filesystem; SchemaVersion 2).

    Images attach to the ContainerImage with the same digest or repository:tag, hosts to the
    asset named in the report or given with --asset. Example: cloudmap load trivy nginx.json
    """
    from cloudmap.loaders.trivy.report import read_reports

    run_scanner("trivy", read_reports, files, asset, fmt)


def register(app: typer.Typer) -> None:
    app.command("trivy")(trivy)
