"""`cloudmap load <source>`: every loader package that has a `cli` module with `register(app)`."""

from __future__ import annotations

import importlib
import pkgutil

import typer

from cloudmap import loaders

app = typer.Typer(no_args_is_help=True, help="Load a source into the graph (one sync per run).\n\n"
                                             "Example: cloudmap load aws --region eu-west-1")


def _register_loaders() -> None:
    for mod in sorted(pkgutil.iter_modules(loaders.__path__), key=lambda m: m.name):
        if not mod.ispkg:
            continue
        try:
            cli = importlib.import_module(f"cloudmap.loaders.{mod.name}.cli")
        except ModuleNotFoundError as exc:
            if exc.name == f"cloudmap.loaders.{mod.name}.cli":
                continue
            raise
        cli.register(app)


_register_loaders()


def register(root: typer.Typer) -> None:
    root.add_typer(app, name="load")
