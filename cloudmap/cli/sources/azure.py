"""`cloudmap load azure`: Azure Resource Graph, live (azure-identity + azure-mgmt-resourcegraph) or from
`az graph query -o json` / portal export files."""

from __future__ import annotations

from pathlib import Path

import typer

from cloudmap.cli.common import Format, fail, info, open_graph
from cloudmap.cli.sources import print_summary
from cloudmap.config import settings
from cloudmap.loaders import azure as azure_loader
from cloudmap.loaders.azure.plan import AzureInputError
from cloudmap.loaders.azure.resource_graph import AzureAccessError


def azure(
    export: list[Path] = typer.Option(None, "--export", "-e", help="Resource Graph result file: `az graph query -q "
                                      "\"resources\" -o json` or a portal export (repeatable); reads no cloud"),
    subscription: list[str] = typer.Option(None, "--subscription", "-s", help="subscription id to query (repeatable; "
                                           "default: every subscription the credential can see)"),
    endpoint: str = typer.Option(None, "--endpoint", envvar="AZURE_RESOURCE_MANAGER_ENDPOINT",
                                 help="Resource Manager URL (sovereign clouds; default https://management.azure.com)"),
    max_workers: int = typer.Option(4, "--max-workers", min=1, max=16, help="Resource Graph tables paged at "
                                    "once (live queries); 1 queries one table after another"),
    fmt: Format = typer.Option(Format.table, "--format", help="table or json"),
) -> None:
    """Load management groups, subscriptions, resource groups, network, compute, data, RBAC and Defender
    vulnerabilities from the Resources, ResourceContainers, AuthorizationResources and SecurityResources tables,
    then each web app's app settings and connection strings (POST .../config/appsettings/list; an export holds
    them as rows of type Microsoft.Web/sites/config), scanned for credentials whose values are never stored.

    Credentials: DefaultAzureCredential (az login, environment, managed identity); CLOUDMAP_AZURE_ACCESS_TOKEN,
    when set, is a pre-issued Resource Manager token used instead.

    Example: az graph query -q "resources" --first 1000 -o json > resources.json &&
    cloudmap load azure --export resources.json
    """
    try:
        with open_graph(settings()) as graph:
            summary = azure_loader.load(graph, exports=export, subscriptions=subscription, endpoint=endpoint,
                                        batch_size=settings().batch_size, progress=lambda s: info(f"loading {s}"),
                                        max_workers=max_workers)
    except (AzureInputError, AzureAccessError) as exc:
        fail(str(exc))
    notes = [f"{table} not loaded (its previous data is kept): {reason}"
             for table, reason in summary.details.get("tables_failed", {}).items()]
    skipped = summary.details.get("skipped_types")
    if skipped:
        notes.append(f"not modelled: {sum(skipped.values())} rows of {len(skipped)} other resource types")
    print_summary(summary, fmt, notes)


def register(app: typer.Typer) -> None:
    app.command("azure")(azure)
