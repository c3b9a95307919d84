"""`cloudmap load gcp`: Cloud Asset Inventory exports (`gcloud asset export` NDJSON, `gcloud asset list
--format=json`, `gcloud asset search-all-resources --read-mask='*'`, `search-all-iam-policies`), or the
Cloud Asset API live for projects, a folder or an organization."""

from __future__ import annotations

from pathlib import Path

import typer

from cloudmap.cli.common import EXIT_ERROR, Format, fail, info, open_graph, output, print_json
from cloudmap.config import settings
from cloudmap.loaders.gcp.exports import GCPInputError
from cloudmap.loaders.gcp.live import ENDPOINT_ENV, GCPAccessError, parents
from cloudmap.loaders.gcp.load import load_exports, load_live


def gcp(
    export: list[Path] = typer.Option(None, "--export", "-e", help="Cloud Asset Inventory file: `gcloud asset export "
                                      "--content-type=resource|iam-policy` output (NDJSON), `gcloud asset list "
                                      "--format=json`, `gcloud asset search-all-resources --read-mask='*' "
                                      "--format=json` or `search-all-iam-policies --format=json` (repeatable); "
                                      "reads no cloud"),
    project: list[str] = typer.Option(None, "--project", "-p", help="live: a project id or number (repeatable)"),
    folder: str = typer.Option(None, "--folder", help="live: a folder number: every project below it"),
    organization: str = typer.Option(None, "--organization", help="live: an organization number"),
    endpoint: str = typer.Option(None, "--endpoint", envvar=ENDPOINT_ENV,
                                 help="live: the Cloud Asset API endpoint (default cloudasset.googleapis.com; "
                                      "plain http only for a loopback address)"),
    fmt: Format = typer.Option(Format.table, "--format", help="table or json"),
) -> None:
    """Load the hierarchy, VPC networks and firewall rules, instances, buckets, Cloud SQL, BigQuery, Secret
    Manager, KMS, Cloud Run, Cloud Functions, GKE, service accounts, custom roles and IAM policies from
    Cloud Asset Inventory: export files, or live through the Cloud Asset API with Application Default
    Credentials.

    Example: gcloud asset export --organization=123 --content-type=resource --output-path=gs://b/r.json;
    cloudmap load gcp --export resources.json --export iam.json; or cloudmap load gcp --organization 123
    """
    live = bool(project or folder or organization)
    if live == bool(export):
        fail("give either --export FILE... or --project/--folder/--organization (live), not both")
    try:
        with open_graph(settings()) as graph:
            progress = lambda s: info(f"loading {s}")  # noqa: E731
            if live:
                summary = load_live(graph, parents(project, folder, organization), endpoint,
                                    batch_size=settings().batch_size, progress=progress)
            else:
                summary = load_exports(graph, export, settings().batch_size, progress=progress)
    except (GCPInputError, GCPAccessError) as exc:
        fail(str(exc))
    if fmt == Format.json:
        print_json(summary.as_json())
    else:
        output([{"kind": k, "written": n} for k, n in sorted(summary.written.items())], fmt,
               title=f"{summary.sync_id}: {summary.status}")
        skipped = summary.details.get("skipped_types")
        if skipped:
            info(f"not modelled: {sum(skipped.values())} assets of {len(skipped)} other types")
        for what, why in summary.details.get("asset_types_failed", {}).items():
            info(f"refused, previous data kept: {what}: {why}")
    if summary.status != "success":
        raise typer.Exit(EXIT_ERROR)


def register(app: typer.Typer) -> None:
    app.command("gcp")(gcp)
