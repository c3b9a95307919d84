"""Progress for long steps: a live spinner with the step's latest news and its elapsed time on a
terminal, one plain line per step elsewhere (logs, CI, pipes), so output stays greppable.

Library code reports progress through plain ``callable(str)`` hooks; only this module draws.
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager

from rich.console import Console
from rich.status import Status
from rich.text import Text

from cloudmap.cli.common import err_console

Report = Callable[[str], None]


def live(console: Console) -> bool:
    """Draw spinners: on a terminal, except in CI, whose logs keep every frame."""
    return console.is_terminal and not console.is_dumb_terminal and os.environ.get("CI", "").lower() in ("", "0", "false")


class Step:
    """One long step. ``report(msg)`` is the hook handed to library code; ``say(msg)`` prints a line
    that stays; ``done(detail)`` sets the line printed when the step ends."""

    def __init__(self, title: str, console: Console, verbose: bool = False):
        self.title = title
        self.console = console
        self.verbose = verbose
        self.started = time.monotonic()
        self.events = 0
        self.detail = ""
        self._status: Status | None = None

    def report(self, message: str) -> None:
        self.events += 1
        if self.verbose:
            self.say(f"  {message}")
        if self._status is not None:
            self._status.update(Text(f"{self.title}: {message} ({self.elapsed:.0f} s)"))

    def say(self, message: str) -> None:
        self.console.print(message, soft_wrap=True)

    def done(self, detail: str) -> None:
        self.detail = detail

    @property
    def elapsed(self) -> float:
        return time.monotonic() - self.started


@contextmanager
def step(title: str, console: Console = err_console, verbose: bool = False) -> Iterator[Step]:
    """Run a step under a spinner (terminal only); print ``title: detail in N s`` when it ends.
    ``verbose``: every report is printed as a line too."""
    current = Step(title, console, verbose)
    drawn = live(console)
    if drawn:
        with console.status(Text(title), spinner="dots") as status:
            current._status = status
            yield current
    else:
        yield current
    line = Text.assemble(("✓ " if drawn else "", "green"), f"{title}")
    if current.detail:
        line.append(f": {current.detail}")
    line.append(f" in {current.elapsed:.1f} s", style="dim")
    console.print(line, soft_wrap=True)
