"""`cloudmap load classification FILE.yaml`"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from cloudmap.cli.common import Format


def classification(file: Annotated[Path, typer.Argument(help="classification YAML (format: docs/custom-graph.md)")],
                   fmt: Annotated[Format, typer.Option("--format", help="table or json")] = Format.table) -> None:
    """Mark sensitive data (STORES pci/pii/phi/secrets) and crown jewels (critical, criticality).

    Re-loading the same file name replaces what it set before. Example:
    cloudmap load classification classification.yaml
    """
    from cloudmap.cli.common import fail, info, open_graph, print_json
    from cloudmap.loaders.classification.file import load_classification
    from cloudmap.loaders.inputfile import InputError

    try:
        with open_graph() as graph:
            result = load_classification(graph, file)
    except InputError as exc:
        fail(str(exc))
    d = result.details
    if fmt == Format.json:
        print_json(result.as_json())
        return
    info(f"classification: {d['stores']} STORES links to {d['info_types']} info types, "
         f"{d['critical_marked']} crown jewels marked, {d['critical_unmarked']} unmarked "
         f"(sync {result.sync_id})")
    if d["unmatched"]:
        info(f"{len(d['unmatched'])} pattern(s) matched nothing: {'; '.join(d['unmatched'])}")


def register(app: typer.Typer) -> None:
    app.command("classification")(classification)
