"""`cloudmap load <source>`: every module of `cloudmap.cli.sources` that has `register(app)`."""

from __future__ import annotations

import importlib
import pkgutil

import typer

from cloudmap.cli import sources
from cloudmap.loaders.inputfile import limits

app = typer.Typer(no_args_is_help=True, help="Load a source into the graph (one sync per run).\n\n"
                                             "Example: cloudmap load aws --region eu-west-1")


@app.callback()
def load(max_input_mb: int = typer.Option(
        limits.max_input_mb, "--max-input-mb", min=1, envvar="CLOUDMAP_MAX_INPUT_MB",
        help="refuse an input file larger than this once decompressed (gzip is read as it is decompressed)")) -> None:
    """Load a source into the graph (one sync per run)."""
    limits.max_input_mb = max_input_mb


def _register_loaders() -> None:
    for mod in sorted(pkgutil.iter_modules(sources.__path__), key=lambda m: m.name):
        module = importlib.import_module(f"cloudmap.cli.sources.{mod.name}")
        if hasattr(module, "register"):
            module.register(app)


_register_loaders()


def register(root: typer.Typer) -> None:
    root.add_typer(app, name="load")
