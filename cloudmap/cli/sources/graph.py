"""`cloudmap load graph FILE.json`"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from cloudmap.cli.common import Format


def graph(file: Annotated[Path, typer.Argument(help="custom graph JSON (format: docs/custom-graph.md)")],
          fmt: Annotated[Format, typer.Option("--format", help="table or json")] = Format.table) -> None:
    """Load nodes and edges in cloudmap's model from a JSON file (version 1), for sources without a loader.

    The whole file is validated against the declared kinds before anything is written; re-loading the
    same file name replaces what it wrote before. Example: cloudmap load graph onprem.json
    """
    from cloudmap.cli.common import fail, info, open_graph, print_json
    from cloudmap.loaders.graph.file import load_graph_file
    from cloudmap.loaders.inputfile import InputError

    try:
        with open_graph() as g:
            summary = load_graph_file(g, file)
    except InputError as exc:
        fail(str(exc))
    if fmt == Format.json:
        print_json(summary.as_json())
    else:
        written = ", ".join(f"{n} {k}" for k, n in sorted(summary.written.items())) or "nothing"
        info(f"graph: wrote {written}; removed {summary.removed or 'nothing'} (sync {summary.sync_id})")
    if summary.status != "success" or summary.warning_count:
        fail(f"graph: {summary.status}, {summary.warning_count} warning(s): {'; '.join(summary.errors)}")


def register(app: typer.Typer) -> None:
    app.command("graph")(graph)
