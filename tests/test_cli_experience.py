"""The CLI reads consistently: `cloudmap --help` lists the verbs with an example, and every verb and
sub-verb's help carries an example line."""

from __future__ import annotations

import typer

from cloudmap.cli.main import app
from tests.helpers import run_cli


def _commands(cmd, path=()):
    yield path, cmd
    for name, sub in getattr(cmd, "commands", {}).items():
        yield from _commands(sub, (*path, name))


def test_every_verb_has_an_example_line():
    missing = [" ".join(path) or "cloudmap" for path, cmd in _commands(typer.main.get_command(app))
               if "example:" not in f"{cmd.help or ''} {cmd.epilog or ''}".lower()]
    assert missing == [], f"verbs whose --help has no 'Example:' line: {missing}"


def test_root_help_lists_the_verbs_with_an_example(tmp_path):
    env = {"PATH": "/usr/bin:/bin", "CLOUDMAP_CONFIG": str(tmp_path / "none.toml"), "NO_COLOR": "1",
           "COLUMNS": "200"}
    proc = run_cli(env, "--help")
    assert proc.returncode == 0, proc.stderr
    for verb in ("demo", "db", "load", "browser", "findings", "analyze", "hunt", "serve"):
        assert f" {verb} " in proc.stdout, verb
    assert "Example: cloudmap demo" in proc.stdout
    proc = run_cli(env, "demo", "--help")
    assert proc.returncode == 0 and "Example: cloudmap demo --top 15" in proc.stdout
