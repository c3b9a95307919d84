"""What every CLI verb shares: the console, one-line errors, the graph connection, output formats."""

from __future__ import annotations

import json
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date, datetime
from enum import Enum
from typing import Any, NoReturn

import typer
from rich.console import Console
from rich.table import Table
from rich.text import Text

from cloudmap.config import Settings, settings
from cloudmap.graph.driver import Graph, connect
from cloudmap.graph.schema import apply_schema

# markup=False: output holds user data (paths, names, values such as `[prod]`) that must print verbatim.
console = Console(highlight=False, soft_wrap=True, markup=False)
err_console = Console(stderr=True, highlight=False, soft_wrap=True, markup=False)

# Finding levels in colour (plain text where colour is off: NO_COLOR, pipes).
LEVEL_STYLES = {"critical": "bold red", "high": "red", "medium": "yellow", "low": "cyan"}

# Exit codes scripts can rely on.
EXIT_OK, EXIT_ERROR, EXIT_USAGE, EXIT_FINDINGS = 0, 1, 2, 3


class Format(str, Enum):
    table = "table"
    json = "json"


def fail(message: str, code: int = EXIT_ERROR) -> NoReturn:
    """One error line. The message often holds user data (paths, values): printed verbatim, never as markup."""
    err_console.print(Text.assemble(("error:", "bold red"), " ", message), soft_wrap=True)
    raise typer.Exit(code)


def info(message: str) -> None:
    err_console.print(message, markup=False, soft_wrap=True)


@contextmanager
def open_graph(cfg: Settings | None = None) -> Iterator[Graph]:
    """A connection with the schema applied."""
    graph = connect(cfg or settings())
    try:
        apply_schema(graph)
        yield graph
    finally:
        graph.close()


def to_jsonable(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: to_jsonable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple, set)):
        return [to_jsonable(v) for v in value]
    if isinstance(value, (datetime, date)):
        return value.isoformat()
    if hasattr(value, "iso_format"):  # neo4j.time types
        return value.iso_format()
    if isinstance(value, Enum):
        return value.value
    return value


def print_json(data: Any) -> None:
    sys.stdout.write(json.dumps(to_jsonable(data), indent=2, sort_keys=False, default=str) + "\n")


def print_table(rows: list[dict], columns: list[str] | None = None, title: str | None = None) -> None:
    columns = columns or (list(rows[0].keys()) if rows else [])
    table = Table(title=title, show_lines=False)
    for col in columns:
        table.add_column(col)
    for row in rows:
        table.add_row(*[Text(_cell(row.get(c))) for c in columns])
    console.print(table)


def _cell(v: Any) -> str:
    v = to_jsonable(v)
    if v is None:
        return ""
    if isinstance(v, (list, dict)):
        return json.dumps(v)[:120]
    return str(v)


def output(rows: list[dict], fmt: Format, columns: list[str] | None = None, title: str | None = None) -> None:
    if fmt == Format.json:
        print_json(rows)
    else:
        print_table(rows, columns, title)
