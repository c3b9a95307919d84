"""`cloudmap load trivy|grype REPORT.json...`: vulnerability scanner reports."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from cloudmap.cli.common import Format
from cloudmap.cli.sources.scanners import run_scanner

Files = Annotated[list[Path], typer.Argument(help="JSON reports: trivy ... --format json, grype ... -o json")]
Asset = Annotated[str | None, typer.Option("--asset", help="attach to this asset (host, directory and file "
                                           "reports): its id or ARN in any casing, a bare instance / VM id, or "
                                           "a unique name")]
Fmt = Annotated[Format, typer.Option("--format", help="table or json")]


def trivy(files: Files, asset: Asset = None, fmt: Fmt = Format.table) -> None:
    """Load Trivy vulnerability reports (image, vm, rootfs, filesystem; SchemaVersion 2; `trivy k8s`
    cluster reports, one per image the workloads run).

    Images attach to the ContainerImage with the same digest or repository:tag, hosts to the
    asset named in the report or given with --asset. Example: cloudmap load trivy nginx.json
    """
    from cloudmap.loaders.trivy.report import read_reports

    run_scanner("trivy", read_reports, files, asset, fmt)


def grype(files: Files, asset: Asset = None, fmt: Fmt = Format.table) -> None:
    """Load Grype vulnerability reports (image, directory, file sources).

    Images attach to the ContainerImage with the same digest or repository:tag, hosts to the
    asset named in the report or given with --asset. Example: cloudmap load grype nginx.json
    """
    from cloudmap.loaders.grype.report import read_reports

    run_scanner("grype", read_reports, files, asset, fmt)


def register(app: typer.Typer) -> None:
    app.command("trivy")(trivy)
    app.command("grype")(grype)
