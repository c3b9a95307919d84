"""`cloudmap apikeys create | list | delete`: keys for the HTTP API."""

from __future__ import annotations

import typer

from cloudmap.cli.common import Format, console, fail, info, output
from cloudmap.config import settings
from cloudmap.services import apikeys
from cloudmap.services.authstore import open_store

app = typer.Typer(no_args_is_help=True, help="API keys for `cloudmap serve` (roles: reader, hunter, admin).\n\n"
                         "Example: cloudmap apikeys create --role hunter --name alice")


@app.command()
def create(role: str = typer.Option(..., help="reader, hunter or admin"),
           name: str = typer.Option(..., help="who or what uses the key")) -> None:
    """Create a key and print its token once (only a salted scrypt hash is stored, in auth_db).

    Example: cloudmap apikeys create --role reader --name dashboard
    """
    try:
        record, token = apikeys.create_key(open_store(settings()), name, role)
    except apikeys.ApiKeyError as exc:
        fail(str(exc))
    info(f"Created key {record['id']} ({record['role']}) for {record['name']}. The token is shown only now:")
    console.print(token, markup=False, highlight=False)


@app.command("list")
def list_cmd(fmt: Format = typer.Option(Format.table, "--format", help="table or json")) -> None:
    """List keys (ids, names, roles; never tokens). Example: cloudmap apikeys list --format json"""
    output(apikeys.list_keys(open_store(settings())), fmt, ["id", "name", "role", "created_at", "last_used_at"])


@app.command()
def delete(key_id: str = typer.Argument(..., help="the key id (the part after cm_)")) -> None:
    """Revoke a key. Example: cloudmap apikeys delete 3f9a1c2b"""
    if not apikeys.delete_key(open_store(settings()), key_id):
        fail(f"no API key with id {key_id!r}")
    info(f"Deleted key {key_id}.")


def register(root: typer.Typer) -> None:
    root.add_typer(app, name="apikeys")
