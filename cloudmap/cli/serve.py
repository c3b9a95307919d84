"""`cloudmap serve`: the HTTP API (FastAPI on uvicorn)."""

from __future__ import annotations

import ipaddress
import socket

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
                                       help="local single-user mode without API keys (loopback addresses only)")) -> None:
    """Serve the API under /api/v1 (OpenAPI docs at /api/v1/docs). Requests need an API key unless --no-auth.

    Example: cloudmap apikeys create --role hunter --name me && cloudmap serve --port 8000
    """
    if no_auth and not is_loopback(host):
        fail(f"--no-auth is refused on {host}: it would give anyone who can reach the address full access; "
             f"bind to 127.0.0.1 or create API keys with `cloudmap apikeys create`", EXIT_USAGE)
    import uvicorn

    from cloudmap.api.app import create_app

    app = create_app(settings(), auth=not no_auth)
    info(f"cloudmap API on http://{host}:{port}/api/v1 ({'no authentication' if no_auth else 'API keys required'})")
    uvicorn.run(app, host=host, port=port, log_level="warning", access_log=False, server_header=False)


def register(app: typer.Typer) -> None:
    app.command("serve")(serve)
