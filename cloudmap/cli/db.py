"""`cloudmap db start | stop | status`: the local Neo4j server."""

from __future__ import annotations

import typer

from cloudmap.cli.common import Format, console, fail, info, print_json
from cloudmap.config import Settings, settings
from cloudmap.db import manage

app = typer.Typer(no_args_is_help=True, help="Run the local Neo4j server (JVM from Maven Central, or Docker).\n\n"
                                             "Example: cloudmap db start && cloudmap db status")


@app.command()
def start() -> None:
    """Start Neo4j 5.26 Community on 127.0.0.1 and wait until Bolt answers (idempotent).

    Example: cloudmap db start && cloudmap db status
    """
    start_local(settings())


def start_local(cfg: Settings) -> Settings:
    """Start the local Neo4j as a step; the first fetch of its jars reports how far it got."""
    from cloudmap.cli.progress import step

    with step("Neo4j") as s:
        cfg = manage.start(cfg, echo=info, progress=lambda jars: s.report(f"fetching jars from Maven Central: {jars}"))
        s.done("up")
    return cfg


@app.command()
def stop() -> None:
    """Stop the server that `cloudmap db start` started (never one of yours). Example: cloudmap db stop"""
    if manage.stop(settings()):
        info("Neo4j stopped.")
    else:
        info("No Neo4j started by cloudmap is running.")


@app.command()
def status(fmt: Format = typer.Option(Format.table, "--format", help="table or json")) -> None:
    """Show the Bolt URI, Browser URL, server version, node/relationship counts and log file.

    Example: cloudmap db status --format json
    """
    st = manage.status(settings())
    if fmt == Format.json:
        print_json(st.__dict__)
    else:
        console.print(f"Bolt:          {st.bolt_uri}")
        if st.browser_url:
            console.print(f"Browser:       {st.browser_url}")
        if st.reachable:
            console.print(f"Server:        Neo4j {st.version} {st.edition}")
            console.print(f"Graph:         {st.nodes} nodes, {st.relationships} relationships")
            if st.last_sync:
                s = st.last_sync
                console.print(f"Last sync:     {s['source']} {s['status']} at {s['started_at']}")
        if st.log_file:
            console.print(f"Log file:      {st.log_file}")
    if not st.reachable:
        fail(f"Neo4j is not reachable: {st.reason}")


def register(root: typer.Typer) -> None:
    root.add_typer(app, name="db")
