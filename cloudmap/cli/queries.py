"""`cloudmap queries list | show | run`: the saved hunting queries (shipped and your own)."""

from __future__ import annotations

import typer
from rich.text import Text

from cloudmap.cli.common import Format, console, fail, open_graph, output, print_json
from cloudmap.cli.hunt import parse_params, show
from cloudmap.config import settings
from cloudmap.services import queries as svc
from cloudmap.services.authstore import open_store
from cloudmap.services.hunt import HuntError

app = typer.Typer(no_args_is_help=True, help="Saved hunting queries: the shipped library and your own.\n\n"
                                             "Example: cloudmap queries run internet-exposed-vms")


def _library():
    try:
        return svc.load_library(settings().user_hunts_dir)
    except svc.QueryError as exc:
        fail(exc.message)


@app.command("list")
def list_cmd(tag: str = typer.Option(None, help="only queries with this tag"),
             fmt: Format = typer.Option(Format.table, "--format", help="table or json")) -> None:
    """List saved queries. Example: cloudmap queries list --tag exposure"""
    library = _library()
    items = [q.as_dict(with_query=False) for q in svc.list_queries(open_store(settings()), library, tag)]
    for item in items:
        item["params"] = ", ".join(f"{k}:{v['type']}" for k, v in item["params"].items())
        item["tags"] = ", ".join(item["tags"])
    output(items, fmt, ["id", "title", "tags", "params", "source"])


@app.command("show")
def show_query(query_id: str = typer.Argument(...),
               fmt: Format = typer.Option(Format.table, "--format", help="table or json")) -> None:
    """Show a saved query's metadata and Cypher. Example: cloudmap queries show public-data-stores"""
    library = _library()
    try:
        q = svc.get_query(open_store(settings()), library, query_id)
    except svc.QueryError as exc:
        fail(exc.message)
    if fmt == Format.json:
        print_json(q.as_dict())
        return
    console.print(Text.assemble((q.id, "bold"), f" — {q.title} ({q.source})"))
    if q.description:
        console.print(q.description)
    for name, spec in q.params.items():
        default = f" = {spec['default']!r}" if "default" in spec else " (required)"
        console.print(f"  ${name}: {spec['type']}{default}  {spec.get('description', '')}")
    console.print(q.query, markup=False, highlight=False)


@app.command("run")
def run_query(query_id: str = typer.Argument(...),
              param: list[str] = typer.Option(None, "--param", "-p", help="name=value (repeatable)"),
              fmt: Format = typer.Option(Format.table, "--format", help="table or json"),
              max_rows: int = typer.Option(None, "--max-rows", min=1)) -> None:
    """Run a saved query. Example: cloudmap queries run who-can-access --param target=my-bucket"""
    cfg = settings()
    library = _library()
    with open_graph(cfg) as graph:
        try:
            q = svc.get_query(open_store(cfg), library, query_id)
            result = svc.run_query(graph, q, parse_params(param), max_rows=max_rows or cfg.hunt_max_rows,
                                   timeout_s=cfg.hunt_timeout_s, from_text=True)
        except svc.QueryError as exc:
            fail(exc.message)
        except HuntError as exc:
            fail(f"{exc.message}{f' [{exc.code}]' if exc.code else ''}")
    show(result, fmt)



def register(root: typer.Typer) -> None:
    root.add_typer(app, name="queries")
