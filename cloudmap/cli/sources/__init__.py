"""`cloudmap load <source>`: one module per source, each a thin verb over the loader's `load` function.

Every verb reads and checks its whole input before writing, prints the loader's :class:`LoadSummary`
(a table for people, JSON for machines) and exits 1 when the sync is not a success."""

from __future__ import annotations

from collections.abc import Iterable

import typer

from cloudmap.cli.common import EXIT_ERROR, Format, info, output, print_json
from cloudmap.loaders.kit import LoadSummary


def print_summary(summaries: LoadSummary | Iterable[LoadSummary], fmt: Format, notes: Iterable[str] = (),
                  exit_on_failure: bool = True) -> None:
    """The syncs' outcomes: counts written for people, the whole summaries for machines."""
    many = not isinstance(summaries, LoadSummary)
    summaries = list(summaries) if many else [summaries]
    if fmt == Format.json:
        print_json([s.as_json() for s in summaries] if many else summaries[0].as_json())
    else:
        for s in summaries:
            rows = [{"kind": kind, "written": n} for kind, n in sorted(s.written.items())]
            output(rows, fmt, title=f"{s.sync_id}: {s.status}")
            if s.removed:
                info("removed: " + ", ".join(f"{k} {v}" for k, v in sorted(s.removed.items())))
            for err in s.errors:
                info(f"failed: {err}")
    for note in notes:  # on stderr, so JSON on stdout stays clean
        info(note)
    if exit_on_failure and any(s.status != "success" for s in summaries):
        raise typer.Exit(EXIT_ERROR)
