"""`cloudmap hunt "MATCH ..."`: read-only ad-hoc Cypher, the same service as POST /api/v1/hunt."""

from __future__ import annotations

import typer

from cloudmap.cli.common import EXIT_USAGE, Format, fail, info, open_graph, output, print_json
from cloudmap.config import settings
from cloudmap.services.hunt import HuntError, HuntResult, run_hunt


def parse_params(pairs: list[str]) -> dict[str, str]:
    """--param k=v pairs as a dict of strings (saved queries convert them to the declared types)."""
    out = {}
    for pair in pairs or []:
        name, sep, value = pair.partition("=")
        if not sep or not name.strip():
            fail(f"--param {pair!r}: expected name=value", EXIT_USAGE)
        out[name.strip()] = value
    return out


def guess_value(text: str):
    """Ad-hoc hunts have no declared types: integers, floats, true/false and JSON lists are recognised."""
    import json

    for conv in (int, float):
        try:
            return conv(text)
        except ValueError:
            pass
    if text in ("true", "false"):
        return text == "true"
    if text.startswith("["):
        try:
            return json.loads(text)
        except ValueError:
            pass
    return text


def show(result: HuntResult, fmt: Format) -> None:
    if fmt == Format.json:
        print_json(result.as_dict())
        return
    output(result.rows, fmt, result.columns)
    info(f"{len(result.rows)} row(s){' (truncated: more matched, raise --max-rows)' if result.truncated else ''}")


def hunt(query: str = typer.Argument(..., help="one read-only Cypher statement"),
         param: list[str] = typer.Option(None, "--param", "-p", help="name=value (repeatable)"),
         fmt: Format = typer.Option(Format.table, "--format", help="table or json"),
         max_rows: int = typer.Option(None, "--max-rows", min=1, help="row cap (default hunt_max_rows)")) -> None:
    """Run read-only Cypher against the graph; writes and calls outside the graph are refused.

    Example: cloudmap hunt "MATCH (:Internet)-[r:CAN_REACH]->(vm) RETURN vm.name, r.ports" --format json
    """
    cfg = settings()
    params = {k: guess_value(v) for k, v in parse_params(param).items()}
    with open_graph(cfg) as graph:
        try:
            result = run_hunt(graph, query, params, max_rows=max_rows or cfg.hunt_max_rows,
                              timeout_s=cfg.hunt_timeout_s)
        except HuntError as exc:
            fail(f"{exc.message}{f' [{exc.code}]' if exc.code else ''}")
    show(result, fmt)


def register(app: typer.Typer) -> None:
    app.command("hunt")(hunt)
