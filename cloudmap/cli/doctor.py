"""`cloudmap doctor`: check Java, the Neo4j jars, ports, the connection, the schema and the last syncs."""

from __future__ import annotations

import typer
from rich.text import Text

from cloudmap.cli.common import EXIT_ERROR, Format, console, print_json
from cloudmap.config import settings


def doctor_command(fmt: Format = typer.Option(Format.table, "--format", help="table or json")) -> None:
    """Check what cloudmap needs, one line per check; each problem says how to fix it. Exit 1 on a problem.

    Example: cloudmap doctor
    """
    from cloudmap.services.doctor import run_checks

    checks = run_checks(settings())
    if fmt == Format.json:
        print_json([c.as_dict() for c in checks])
    else:
        for c in checks:
            line = Text.assemble(("ok   " if c.ok else "FAIL ", "green" if c.ok else "bold red"), f"{c.name}: {c.detail}")
            if c.fix:
                line.append(f"  fix: {c.fix}", style="yellow")
            console.print(line)
    if not all(c.ok for c in checks):
        raise typer.Exit(EXIT_ERROR)


def register(app: typer.Typer) -> None:
    app.command("doctor")(doctor_command)
