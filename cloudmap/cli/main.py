"""Entry point of the `cloudmap` console script."""

from __future__ import annotations

import importlib
import logging
import pkgutil

import typer
from rich.text import Text

from cloudmap import cli as cli_pkg
from cloudmap.cli.common import EXIT_ERROR, err_console

app = typer.Typer(
    name="cloudmap", no_args_is_help=True, rich_markup_mode="rich", pretty_exceptions_enable=False,
    help="Cloud security map: load your estate into Neo4j, find the attack paths that matter.\n\n"
         "Example: [bold]cloudmap demo[/] (starts Neo4j, loads a demo estate, prints ranked findings).",
    epilog="Exit codes: 0 ok, 1 error, 2 usage, 3 findings at or above --fail-on.")


def _register_all() -> None:
    for mod in sorted(pkgutil.iter_modules(cli_pkg.__path__), key=lambda m: m.name):
        if mod.name in ("main", "common"):
            continue
        module = importlib.import_module(f"cloudmap.cli.{mod.name}")
        register = getattr(module, "register", None)
        if register:
            register(app)


_register_all()


def run() -> None:
    from cloudmap.config import ConfigError
    from cloudmap.db.runtime import ServerError
    from cloudmap.graph.driver import GraphError
    from cloudmap.graph.lease import LeaseHeld, LeaseLost

    logging.basicConfig(level=logging.ERROR, format="%(levelname)s %(name)s: %(message)s")
    try:
        app()
    except (ConfigError, GraphError, ServerError, LeaseHeld, LeaseLost) as exc:
        err_console.print(Text.assemble(("error:", "bold red"), " ", str(exc)), soft_wrap=True)
        raise SystemExit(EXIT_ERROR) from None


if __name__ == "__main__":
    run()
