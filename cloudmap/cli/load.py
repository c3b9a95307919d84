"""`cloudmap load <source>`: every module of `cloudmap.cli.sources` that has `register(app)`."""

from __future__ import annotations

import importlib
import pkgutil

import typer

from cloudmap.cli import sources
from cloudmap.graph.ingest import POLICY, SyncPolicy
from cloudmap.loaders.inputfile import limits

app = typer.Typer(no_args_is_help=True, help="Load a source into the graph (one sync per run).\n\n"
                                             "Example: cloudmap load aws --region eu-west-1")


def _register_loaders() -> None:
    for mod in sorted(pkgutil.iter_modules(sources.__path__), key=lambda m: m.name):
        module = importlib.import_module(f"cloudmap.cli.sources.{mod.name}")
        if hasattr(module, "register"):
            module.register(app)


@app.callback()
def load_options(
    max_input_mb: int = typer.Option(
        limits.max_input_mb, "--max-input-mb", min=1, envvar="CLOUDMAP_MAX_INPUT_MB",
        help="refuse an input file larger than this once decompressed (gzip is read as it is decompressed)"),
    wait: float = typer.Option(0, "--wait", min=0, help="seconds to wait while another load of the same source "
                               "(or an analysis) holds its lease; default: exit 1 at once, naming the holder"),
    max_delete_fraction: float = typer.Option(0.5, "--max-delete-fraction", min=0, max=1,
                                              help="refuse, and report, a scope cleanup that would remove more "
                                                   "than this share of the scope's assets"),
    force_cleanup: bool = typer.Option(False, "--force-cleanup", help="remove whatever the source no longer "
                                       "has, however large the share"),
    allow_empty: bool = typer.Option(False, "--allow-empty", help="accept a source that yields nothing for a "
                                     "scope (kind, table, service) that held assets last time, and empty it"),
) -> None:
    """Options shared by every source; they come before the source: cloudmap load --wait 300 aws"""
    limits.max_input_mb = max_input_mb
    POLICY.set(SyncPolicy(wait=wait, max_delete_fraction=max_delete_fraction, force_cleanup=force_cleanup,
                          allow_empty=allow_empty))


_register_loaders()


def register(root: typer.Typer) -> None:
    root.add_typer(app, name="load")
