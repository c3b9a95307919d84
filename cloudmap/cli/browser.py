"""`cloudmap browser style | favorites | guide`: Neo4j Browser assets for analysts."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated

import typer

from cloudmap.cli.common import EXIT_USAGE, fail, info
from cloudmap.cypher.browser import GUIDE_PORT, asset_path, guide_base

app = typer.Typer(no_args_is_help=True, help="Neo4j Browser assets: style sheet, favorites, the :play guide.\n\n"
                                             "Example: cloudmap browser favorites cloudmap-favorites.zip")


@app.command()
def style(path: bool = typer.Option(False, "--path", help="print the file's path instead of its content")) -> None:
    """Print the GraSS style sheet (colours and captions by kind).

    Apply it in Browser: run `:style`, then drag the file onto the window.
    Example: cloudmap browser style > cloudmap.grass
    """
    grass = asset_path("style.grass")
    sys.stdout.write(f"{grass}\n" if path else grass.read_text(encoding="utf-8"))


@app.command()
def favorites(out: Annotated[Path, typer.Argument(help="the .zip to write")]) -> None:
    """Write the saved hunts, the rules and the attack-path queries as a Browser favorites archive.

    Drag the zip onto Browser's Favorites drawer (the import drop zone) to add them.
    Example: cloudmap browser favorites cloudmap-favorites.zip
    """
    from cloudmap.cypher.browser.favorites import write_archive

    if out.suffix.lower() != ".zip":
        fail(f"{out}: the favorites archive must be a .zip file (Browser imports zips)", EXIT_USAGE)
    try:
        count = write_archive(out)
    except OSError as exc:
        fail(f"{out}: cannot write ({exc.strerror})")
    info(f"Wrote {count} favorites to {out}; drag it onto Browser's Favorites drawer.")


@app.command()
def guide(port: int = typer.Option(GUIDE_PORT, "--port", min=1, max=65535, help="loopback port")) -> None:
    """Serve the :play guide (and the style sheet) on 127.0.0.1 until Ctrl-C.

    A Neo4j started by cloudmap plays it when Browser connects; elsewhere run the `:play` line printed.
    Example: cloudmap browser guide --port 7480
    """
    from cloudmap.demo.guide_server import make_server

    try:
        server = make_server(port)
    except OSError as exc:
        fail(f"--port {port}: cannot listen on 127.0.0.1:{port} ({exc.strerror})")
    base = guide_base(port)
    info(f"Serving the guide at {base}/guide and the style sheet at {base}/style.grass (Ctrl-C stops).")
    info(f"In Neo4j Browser: :play {base}/guide   and   :style {base}/style.grass")
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        server.server_close()


def register(root: typer.Typer) -> None:
    root.add_typer(app, name="browser")
