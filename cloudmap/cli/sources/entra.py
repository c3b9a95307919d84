"""`cloudmap load entra --export FILE...`: Microsoft Graph list responses or `az ad ... list` output."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from cloudmap.cli.common import Format, fail, open_graph
from cloudmap.cli.sources import print_summary
from cloudmap.config import settings
from cloudmap.loaders.entra.load import load_exports
from cloudmap.loaders.inputfile import InputError


def entra(
    export: Annotated[list[Path], typer.Option("--export", "-e", help="a saved Graph list response (/users, "
                                               "/groups?$expand=members, /servicePrincipals, /applications, "
                                               "/directoryRoles?$expand=members, /roleManagement/directory/"
                                               "roleAssignments) or `az ad ... list` output (repeatable)")],
    tenant: Annotated[str | None, typer.Option("--tenant", help="the tenant id, when the files do not name it")] = None,
    fmt: Annotated[Format, typer.Option("--format", help="table or json")] = Format.table,
) -> None:
    """Load Microsoft Entra ID users, groups (nested membership), applications and service principals
    (credential metadata, never a secret), owners, directory roles and app role assignments.

    Example: az ad user list > users.json && az ad group list > groups.json &&
    cloudmap load entra --export users.json --export groups.json --tenant <tenant id>
    """
    try:
        with open_graph(settings()) as graph:
            summary = load_exports(graph, export, tenant, batch_size=settings().batch_size)
    except InputError as exc:
        fail(str(exc))
    print_summary(summary, fmt)


def register(app: typer.Typer) -> None:
    app.command("entra")(entra)
