"""`cloudmap load terraform STATE.json`: a `terraform show -json` state or plan."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from cloudmap.cli.common import Format, fail, open_graph
from cloudmap.cli.sources import print_summary
from cloudmap.config import settings
from cloudmap.loaders.inputfile import InputError
from cloudmap.loaders.terraform.load import load_file


def terraform(
    path: Annotated[Path, typer.Argument(help="`terraform show -json` (state) or `terraform show -json PLANFILE` "
                                              "(plan) output")],
    workspace: Annotated[str | None, typer.Option(
        "--workspace", help="scope name (default: the file name); a later load of the same scope replaces it")] = None,
    fmt: Annotated[Format, typer.Option("--format", help="table or json")] = Format.table,
) -> None:
    """Load a Terraform state or plan: AWS, Azure and Google Cloud resources on the same nodes as their loaders
    (same ids), marked source=terraform; what a plan creates is planned=true (id terraform:<address> until
    apply). Resource types without a mapping are counted in the summary. Every resource's attributes are
    scanned for credentials (the summary's `credentials`); only their kind, place and fingerprint are kept.

    Example: terraform show -json > tf.json && cloudmap load terraform tf.json
    """
    try:
        with open_graph(settings()) as graph:
            summary = load_file(graph, path, workspace, batch_size=settings().batch_size)
    except InputError as exc:
        fail(str(exc))
    unknown = summary.details["unknown_types"]
    print_summary(summary, fmt, ["not mapped: " + ", ".join(f"{t} ({n})" for t, n in unknown.items())]
                  if unknown else [])


def register(app: typer.Typer) -> None:
    app.command("terraform")(terraform)
