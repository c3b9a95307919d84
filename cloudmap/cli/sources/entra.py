"""`cloudmap load entra`: Microsoft Graph v1.0 live, or `--export FILE...` (Graph list responses or
`az ad ... list` output)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from cloudmap.cli.common import Format, fail, info, open_graph
from cloudmap.cli.sources import print_summary
from cloudmap.config import settings
from cloudmap.loaders.entra.graph_api import ENDPOINT_ENV, GraphAccessError
from cloudmap.loaders.entra.load import load_exports, load_live
from cloudmap.loaders.inputfile import InputError


def entra(
    export: Annotated[list[Path] | None, typer.Option("--export", "-e", help="a saved Graph list response (/users, "
                                                      "/groups?$expand=members, /servicePrincipals, /applications, "
                                                      "/directoryRoles?$expand=members, /roleManagement/directory/"
                                                      "roleAssignments, /oauth2PermissionGrants, /reports/"
                                                      "authenticationMethods/userRegistrationDetails) or `az ad ... "
                                                      "list` output (repeatable); reads no cloud")] = None,
    tenant: Annotated[str | None, typer.Option("--tenant", help="the tenant id, when the files do not name it")] = None,
    endpoint: Annotated[str | None, typer.Option("--endpoint", envvar=ENDPOINT_ENV,
                                                 help="Microsoft Graph URL (national clouds; default "
                                                      "https://graph.microsoft.com)")] = None,
    fmt: Annotated[Format, typer.Option("--format", help="table or json")] = Format.table,
) -> None:
    """Load Microsoft Entra ID users (enabled, guest, sign-in and MFA registration), groups (nested
    membership, owners), applications and service principals (credential metadata, never a secret), owners,
    directory roles and their assignments, app role assignments and OAuth2 permission grants.

    Live (no --export): Microsoft Graph v1.0 with DefaultAzureCredential (az login, environment, managed
    identity; the application permissions Directory.Read.All, RoleManagement.Read.Directory and, for sign-in
    and MFA facts, AuditLog.Read.All); CLOUDMAP_GRAPH_ACCESS_TOKEN, when set, is a pre-issued Graph token
    used instead. A list Graph refuses keeps its earlier data (the load is partial).

    Example: az ad user list > users.json && az ad group list > groups.json &&
    cloudmap load entra --export users.json --export groups.json --tenant <tenant id>
    """
    try:
        with open_graph(settings()) as graph:
            if export:
                summary = load_exports(graph, export, tenant, batch_size=settings().batch_size)
            else:
                summary = load_live(graph, tenant, endpoint, batch_size=settings().batch_size,
                                    progress=lambda s: info(f"loading {s}"))
    except (InputError, GraphAccessError) as exc:
        fail(str(exc))
    print_summary(summary, fmt)


def register(app: typer.Typer) -> None:
    app.command("entra")(entra)
