"""`cloudmap serve`: the HTTP API (FastAPI on uvicorn)."""

from __future__ import annotations

import ipaddress
import os
import socket
import tempfile
from pathlib import Path

import typer

from cloudmap.cli.common import EXIT_USAGE, fail, info
from cloudmap.config import settings


def is_loopback(host: str) -> bool:
    """True only when every address the host name resolves to is a loopback address."""
    try:
        addrs = {ai[4][0] for ai in socket.getaddrinfo(host, None)}
    except socket.gaierror:
        return False
    return bool(addrs) and all(ipaddress.ip_address(a.split("%")[0]).is_loopback for a in addrs)


def serve(host: str = typer.Option("127.0.0.1", help="address to bind"),
          port: int = typer.Option(8000, min=1, max=65535, help="TCP port"),
          no_auth: bool = typer.Option(False, "--no-auth",
                                       help="local single-user mode without API keys (loopback addresses only)"),
          workers: int = typer.Option(1, min=1, max=64, help="worker processes (each answers any request: "
                                                             "analysis jobs live in the graph)")) -> None:
    """Serve the API under /api/v1 (OpenAPI docs at /api/v1/docs). Requests need an API key unless --no-auth.

    Example: cloudmap apikeys create --role hunter --name me && cloudmap serve --port 8000 --workers 2
    """
    if no_auth and not is_loopback(host):
        fail(f"--no-auth is refused on {host}: it would give anyone who can reach the address full access; "
             f"bind to 127.0.0.1 or create API keys with `cloudmap apikeys create`", EXIT_USAGE)
    import uvicorn

    from cloudmap.api.app import create_app

    app = create_app(settings(), auth=not no_auth)   # a bad setting or hunt file fails here, once
    mode = "no authentication" if no_auth else "API keys required"
    info(f"cloudmap API on http://{host}:{port}/api/v1 ({mode}, {workers} worker{'s' if workers > 1 else ''})")
    options = {"host": host, "port": port, "log_level": "warning", "access_log": False, "server_header": False}
    if workers == 1:
        uvicorn.run(app, **options)
        return
    from cloudmap.api.app import ENV_LIMITS_DB, ENV_NO_AUTH

    # the workers' shared limit state (hunt slots, rates, failed logins): a private file for this server
    with tempfile.TemporaryDirectory(prefix="cloudmap-serve-") as tmp:
        os.environ[ENV_LIMITS_DB] = str(Path(tmp) / "limits.sqlite3")
        os.environ[ENV_NO_AUTH] = "1" if no_auth else "0"
        uvicorn.run("cloudmap.api.app:worker_app", factory=True, workers=workers, **options)


def register(app: typer.Typer) -> None:
    app.command("serve")(serve)
