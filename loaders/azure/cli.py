"""`cloudmap load azure`: Azure Resource Graph, live (azure-identity + azure-mgmt-resourcegraph) or from
`az graph query -o json` / portal export files."""

from __future__ import annotations

from pathlib import Path

import typer
from cloudmap.loaders.azure.exports import read_export
from cloudmap.loaders.azure.load import known_principals, write_plan
from cloudmap.loaders.azure.plan import AzureInputError
from cloudmap.loaders.azure.resource_graph import AzureAccessError, fetch
from cloudmap.loaders.azure.transform import build_plan

from cloudmap.cli.common import EXIT_ERROR, Format, fail, info, open_graph, output, print_json
from cloudmap.config import settings


def azure(
    export: list[Path] = typer.Option(None, "--export", "-e", help="Resource Graph result file: `az graph query -q "
                                      "\"resources\" -o json` or a portal export (repeatable); reads no cloud"),
    subscription: list[str] = typer.Option(None, "--subscription", "-s", help="subscription id to query (repeatable; "
                                           "default: every subscription the credential can see)"),
    endpoint: str = typer.Option(None, "--endpoint", envvar="AZURE_RESOURCE_MANAGER_ENDPOINT",
                                 help="Resource Manager URL (sovereign clouds; default https://management.azure.com)"),
    fmt: Format = typer.Option(Format.table, "--format", help="table or json"),
) -> None:
    """Load management groups, subscriptions, resource groups, network, compute, data, RBAC and Defender
    vulnerabilities from the Resources, ResourceContainers, AuthorizationResources and SecurityResources tables.

    Credentials: DefaultAzureCredential (az login, environment, managed identity); CLOUDMAP_AZURE_ACCESS_TOKEN,
    when set, is a pre-issued Resource Manager token used instead.

    Example: az graph query -q "resources" --first 1000 -o json > resources.json &&
    cloudmap load azure --export resources.json
    """
    failed: dict[str, str] = {}
    try:
        if export:
            rows = [row for path in export for row in read_export(path)]  # every file checked before any write
            covered: set[str] = set()
            source = f"azure exports {', '.join(p.name for p in export)}"
        else:
            fetched = fetch(subscription, endpoint, progress=info)
            rows, covered, failed = fetched.rows, fetched.covered, fetched.failed
            source = f"azure {', '.join(subscription) if subscription else 'all subscriptions'}"
        with open_graph(settings()) as graph:
            plan = build_plan(rows, known_principals(graph), covered)
            summary = write_plan(graph, plan, source, settings().batch_size, progress=lambda s: info(f"loading {s}"))
    except (AzureInputError, AzureAccessError) as exc:
        fail(str(exc))
    if failed:
        summary["tables_failed"] = failed
        summary["status"] = "partial"
    _print_summary(summary, fmt)


def _print_summary(summary: dict, fmt: Format) -> None:
    if fmt == Format.json:
        print_json(summary)
    else:
        rows = [{"kind": kind, "written": n} for kind, n in sorted(summary["written"].items())]
        output(rows, fmt, title=f"{summary['sync_id']}: {summary['status']}")
        for table, reason in summary.get("tables_failed", {}).items():
            info(f"{table} not loaded (its previous data is kept): {reason}")
        if summary.get("skipped_types"):
            info(f"not modelled: {sum(summary['skipped_types'].values())} rows of "
                 f"{len(summary['skipped_types'])} other resource types")
        for err in summary["errors"]:
            info(f"failed: {err}")
    if summary["status"] != "success":
        raise typer.Exit(EXIT_ERROR)


def register(app: typer.Typer) -> None:
    app.command("azure")(azure)
