"""`cloudmap load trivy REPORT.json...`"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from cloudmap.cli.common import Format


def trivy(files: Annotated[list[Path], typer.Argument(help="Trivy JSON reports (trivy ... --format json)")],
          asset: Annotated[str | None, typer.Option("--asset", help="attach to this asset id (VM/rootfs reports)")] = None,
          fmt: Annotated[Format, typer.Option("--format", help="table or json")] = Format.table) -> None:
    """Load Trivy vulnerability reports (image, vm, rootfs, filesystem; SchemaVersion 2).

    Images attach to the ContainerImage with the same digest or repository:tag, hosts to the
    asset named in the report or given with --asset. Example: cloudmap load trivy nginx.json
    """
    from cloudmap.loaders.trivy.report import read_report
    from cloudmap.loaders.vulns import run_cli_load

    run_cli_load("trivy", read_report, files, asset, fmt)


def register(app: typer.Typer) -> None:
    app.command("trivy")(trivy)
