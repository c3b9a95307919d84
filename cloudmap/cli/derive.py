"""`cloudmap derive`: recompute the derived edges (exposure, lateral movement, access, escalation)."""

from __future__ import annotations

import typer

from cloudmap.cli.common import Format, console, info, open_graph, print_json, print_table


def derive_command(fmt: Format = typer.Option(Format.table, "--format", help="table or json")) -> None:
    """Recompute every derived relationship from the raw facts and print what changed.

    Example: cloudmap derive --format json
    """
    from cloudmap.engine import derive

    with open_graph() as graph:
        summary = derive(graph, progress=lambda step: info(f"deriving {step} ..."))
    if fmt == Format.json:
        print_json(summary)
    else:
        rows = [{"relationship": k, **v} for k, v in summary["edges"].items()]
        print_table(rows, ["relationship", "written", "created", "removed"], title=f"derive {summary['run_id']}")
        print_table(summary["steps"], ["name", "status", "seconds", "error"], title="steps")
        console.print(f"status: {summary['status']} in {summary['seconds']} s")
    if summary["status"] != "ok":
        raise typer.Exit(1)


def register(app: typer.Typer) -> None:
    app.command("derive")(derive_command)
