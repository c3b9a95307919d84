"""`cloudmap explore`: ask the graph a structured question without writing Cypher.

Example: cloudmap explore --from VirtualMachine --where exposed --step CAN_AUTHENTICATE_AS
         --step CAN_ACCESS --to DataStore --to-where sensitivity=pci
"""

from __future__ import annotations

import csv
import io
import sys
from enum import Enum
from pathlib import Path

import typer

from cloudmap.cli.common import EXIT_USAGE, fail, info, open_graph, print_json, print_table
from cloudmap.config import settings
from cloudmap.explorer import Question, QuestionError, compile_question
from cloudmap.services.explore import Answer, load_question_file, parse_question, template, templates
from cloudmap.services.explore import explore as run_question
from cloudmap.services.hunt import HuntError


class Output(str, Enum):
    table = "table"
    json = "json"
    csv = "csv"


def parse_step(text: str) -> dict:
    """``REL``, ``REL*3`` / ``REL*1..3`` (hop range), ``REL@in`` / ``REL@both`` (direction), ``REL:Kind``
    (the kind of the node it reaches), combined in that order: ``CAN_ASSUME*1..3@out:Role``."""
    rest, _, kind = text.partition(":")
    rest, _, direction = rest.partition("@")
    rel, star, hops = rest.partition("*")
    step: dict = {"rel": rel.strip()}
    if star:
        step["hops"] = hops.strip()
    if direction:
        step["direction"] = direction.strip()
    if kind:
        step["to"] = {"kind": kind.strip()}
    return step


def parse_order(text: str) -> dict:
    """``[node.]property[:desc]``."""
    body, _, how = text.partition(":")
    node, dot, prop = body.rpartition(".")
    order: dict = {"property": prop, "descending": how.strip().lower() == "desc"}
    if dot:
        order["node"] = int(node) if node.isdigit() else node
    return order


def parse_group(text: str) -> dict:
    node, dot, prop = text.rpartition(".")
    if not dot:
        fail(f"--group-by {text!r}: expected node.property, e.g. datastore.account_id", EXIT_USAGE)
    return {"node": int(node) if node.isdigit() else node, "property": prop}


def question_from_flags(start: str | None, where: list[str], steps: list[str], to: str | None,
                        to_where: list[str], returns: str | None, group_by: list[str], order_by: list[str],
                        limit: int | None) -> Question:
    if not start:
        fail("say where to start: --from KIND (or --file question.yaml, or --template NAME)", EXIT_USAGE)
    data: dict = {"from": {"kind": start, "where": list(where)}, "steps": [parse_step(s) for s in steps]}
    if to or to_where:
        if not data["steps"]:
            fail("--to and --to-where describe the node the last --step reaches; add a --step", EXIT_USAGE)
        last = data["steps"][-1].setdefault("to", {})
        if to:
            last["kind"] = to
        last["where"] = list(to_where)
    data["return"] = {"kind": returns or "nodes", "group_by": [parse_group(g) for g in group_by]}
    data["order_by"] = [parse_order(o) for o in order_by]
    if limit:
        data["limit"] = limit
    return parse_question(data, "flags")


def show(answer: Answer, fmt: Output) -> None:
    result = answer.result
    if fmt == Output.json:
        print_json(answer.as_dict())
        return
    rows = [{c: _flat(row[c]) for c in result.columns} for row in result.rows]
    if fmt == Output.csv:
        buf = io.StringIO()
        writer = csv.writer(buf, lineterminator="\n")
        columns = [c for col in result.columns for c in _csv_columns(col, result.rows)]
        writer.writerow(columns)
        for row in result.rows:
            writer.writerow([_csv_cell(row, c) for c in columns])
        sys.stdout.write(buf.getvalue())
    else:
        print_table(rows, result.columns, title=answer.question.title)
    info(f"{len(rows)} row(s){' (truncated: more matched, raise --limit or --max-rows)' if result.truncated else ''}")


def _flat(value):
    """A node as its name, a path as ``a -[TYPE]-> b``, anything else as it is."""
    if isinstance(value, dict) and "labels" in value:
        return value["properties"].get("name") or value["properties"].get("id")
    if isinstance(value, dict) and "relationships" in value:
        names = {n["id"]: n["properties"].get("name") or n["properties"].get("id") for n in value["nodes"]}
        text = names[value["nodes"][0]["id"]] if value["nodes"] else ""
        for r in value["relationships"]:
            text += f" -[{r['type']}]-> {names.get(r['end'], '?')}" if r["start"] in names else ""
        return text
    return value


def _csv_columns(column: str, rows: list[dict]) -> list[str]:
    sample = next((r[column] for r in rows if r.get(column) is not None), None)
    return [column, f"{column}_id"] if isinstance(sample, dict) and "labels" in sample else [column]


def _csv_cell(row: dict, column: str):
    if column.endswith("_id") and column not in row:
        node = row.get(column[:-3])
        return node["properties"].get("id") if isinstance(node, dict) else ""
    value = _flat(row[column])
    return ";".join(map(str, value)) if isinstance(value, list) else ("" if value is None else value)


def explore(
    start: str = typer.Option(None, "--from", help="the kind to start from, e.g. VirtualMachine"),
    where: list[str] = typer.Option([], "--where", help="a condition on the start node (repeatable): exposed, "
                                    "public, sensitivity=pci, tag:env=prod, severity in critical,high, cvss_score>=9, "
                                    "name^=prod, name~=db, kev, !mfa_enabled, mfa_enabled?"),
    step: list[str] = typer.Option([], "--step", help="a relationship to follow (repeatable): REL[*MIN..MAX][@in|@both]"
                                   "[:Kind], e.g. CAN_ACCESS, CAN_ASSUME*1..3:Role, HAS_VULNERABILITY@in"),
    to: str = typer.Option(None, "--to", help="the kind the last step reaches"),
    to_where: list[str] = typer.Option([], "--to-where", help="a condition on the node the last step reaches"),
    returns: str = typer.Option(None, "--return", help="nodes (default), count or paths"),
    group_by: list[str] = typer.Option([], "--group-by", help="count per node.property (with --return count)"),
    order_by: list[str] = typer.Option([], "--order-by", help="[node.]property[:desc] (repeatable)"),
    limit: int = typer.Option(None, "--limit", min=1, help="at most this many rows (default 100)"),
    file: Path = typer.Option(None, "--file", "-f", help="a question as YAML or JSON"),
    template_name: str = typer.Option(None, "--template", "-t", help="run a shipped template (see --templates)"),
    list_templates: bool = typer.Option(False, "--templates", help="list the shipped templates and exit"),
    show_cypher: bool = typer.Option(False, "--show-cypher", help="print the compiled Cypher and parameters"),
    dry_run: bool = typer.Option(False, "--dry-run", help="compile only; with --show-cypher, print without running"),
    fmt: Output = typer.Option(Output.table, "--format", help="table, json or csv"),
    max_rows: int = typer.Option(None, "--max-rows", min=1, help="row cap (default hunt_max_rows)"),
) -> None:
    """Ask a question of the graph by kinds, conditions and steps; it is compiled to read-only Cypher.

    Example: cloudmap explore --from VirtualMachine --where exposed --step CAN_AUTHENTICATE_AS
    --step CAN_ACCESS --to DataStore --to-where sensitivity=pci
    """
    try:
        if list_templates:
            return _list_templates(fmt)
        if file or template_name:
            if start or step or where:
                fail("give either --file / --template or --from/--where/--step, not both", EXIT_USAGE)
            question = load_question_file(file) if file else template(template_name)
            if limit:
                question = question.model_copy(update={"limit": limit})
        else:
            question = question_from_flags(start, where, step, to, to_where, returns, group_by, order_by, limit)
        compiled = compile_question(question)
    except QuestionError as exc:
        fail(str(exc), EXIT_USAGE)
    if show_cypher:  # as Browser takes it: :param lines, then the query
        from cloudmap.cypher.browser.favorites import cypher_literal

        for key, value in compiled.params.items():
            info(f":param {key} => {cypher_literal(value)};")
        info(compiled.cypher)
    if dry_run:
        if fmt == Output.json:
            print_json(compiled.as_dict())
        return
    cfg = settings()
    with open_graph(cfg) as graph:
        try:
            answer = run_question(graph, question, max_rows=max_rows or cfg.hunt_max_rows,
                                  timeout_s=cfg.hunt_timeout_s)
        except HuntError as exc:
            fail(f"{exc.message}{f' [{exc.code}]' if exc.code else ''}")
    show(answer, fmt)


def _list_templates(fmt: Output) -> None:
    found = templates()
    if fmt == Output.json:
        print_json([{"name": k, "title": q.title, "description": q.description,
                     "question": q.model_dump(by_alias=True, exclude_none=True)} for k, q in found.items()])
        return
    print_table([{"name": k, "title": q.title} for k, q in found.items()], ["name", "title"],
                title="Explorer templates (run one with --template NAME)")


def register(app: typer.Typer) -> None:
    app.command("explore")(explore)
