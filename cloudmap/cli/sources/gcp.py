"""`cloudmap load gcp`: Cloud Asset Inventory exports (`gcloud asset export` NDJSON, `gcloud asset list
--format=json`)."""

from __future__ import annotations

from pathlib import Path

import typer

from cloudmap.cli.common import EXIT_ERROR, Format, fail, info, open_graph, output, print_json
from cloudmap.config import settings
from cloudmap.loaders.gcp.exports import GCPInputError
from cloudmap.loaders.gcp.load import load_exports


def gcp(
    export: list[Path] = typer.Option(..., "--export", "-e", help="Cloud Asset Inventory file: `gcloud asset export "
                                      "--content-type=resource|iam-policy` output (NDJSON) or `gcloud asset list "
                                      "--format=json` (repeatable); reads no cloud"),
    fmt: Format = typer.Option(Format.table, "--format", help="table or json"),
) -> None:
    """Load the hierarchy, VPC networks and firewall rules, instances, buckets, Cloud SQL, service accounts
    and IAM policies from Cloud Asset Inventory.

    Example: gcloud asset export --organization=123 --content-type=resource --output-path=gs://b/r.json;
    cloudmap load gcp --export resources.json --export iam.json
    """
    try:
        with open_graph(settings()) as graph:
            summary = load_exports(graph, export, settings().batch_size, progress=lambda s: info(f"loading {s}"))
    except GCPInputError as exc:
        fail(str(exc))
    if fmt == Format.json:
        print_json(summary)
    else:
        output([{"kind": k, "written": n} for k, n in sorted(summary["written"].items())], fmt,
               title=f"{summary['sync_id']}: {summary['status']}")
        if summary.get("skipped_types"):
            info(f"not modelled: {sum(summary['skipped_types'].values())} assets of "
                 f"{len(summary['skipped_types'])} other types")
    if summary["status"] != "success":
        raise typer.Exit(EXIT_ERROR)


def register(app: typer.Typer) -> None:
    app.command("gcp")(gcp)
