"""Progress on long steps: the first fetch of the Neo4j jars reports how many have arrived, and a step
draws a spinner on a terminal but prints one plain line elsewhere."""

from __future__ import annotations

import io
import re

from rich.console import Console

from cloudmap.cli.progress import step
from cloudmap.config import load_settings
from cloudmap.db.runtime import ensure_runtime


def test_first_jar_fetch_reports_progress(tmp_path):
    """A fresh data directory resolves the jars again with mvn (from its local repository once fetched)."""
    base = load_settings()
    heard: list[str] = []
    lib = ensure_runtime(tmp_path, base.neo4j_version, base.browser_version, echo=lambda _: None,
                         progress=heard.append) / "lib"
    assert (lib.parent / ".complete").exists() and len(list(lib.glob("*.jar"))) > 100
    assert heard and all(re.fullmatch(r"\d+ jars, \d+ MB", m) for m in heard), heard


def test_a_step_prints_one_plain_line_off_a_terminal():
    out = io.StringIO()
    console = Console(file=out, force_terminal=False, width=80)
    with step("Loading aws", console) as s:
        for n in range(3):
            s.report(f"scope {n}")
        s.done("51 assets")
    assert re.fullmatch(r"Loading aws: 51 assets in \d+\.\d s\n", out.getvalue())


def test_a_step_draws_a_spinner_on_a_terminal(monkeypatch):
    monkeypatch.delenv("CI", raising=False)   # the suite itself may run in CI
    out = io.StringIO()
    console = Console(file=out, force_terminal=True, width=80)
    with step("Deriving", console) as s:
        s.report("exposure")
        s.done("8,158 edges")
    text = out.getvalue()
    assert "\x1b[" in text and "✓" in text and "Deriving: 8,158 edges" in text


def test_a_step_stays_plain_in_ci(monkeypatch):
    monkeypatch.setenv("CI", "true")
    out = io.StringIO()
    with step("Deriving", Console(file=out, force_terminal=True, width=80)) as s:
        s.report("exposure")
        s.done("8,158 edges")
    assert re.fullmatch(r"Deriving: 8,158 edges in \d+\.\d s\n", re.sub(r"\x1b\[[0-9;]*m", "", out.getvalue()))
    assert "✓" not in out.getvalue()


def test_a_verbose_step_prints_every_report_on_a_line():
    out = io.StringIO()
    with step("Rules", Console(file=out, force_terminal=False, width=80), verbose=True) as s:
        s.report("rule 1/2 CM-X-001: 0 match(es)")
        s.report("rule 2/2 CM-X-002: 3 match(es)")
        s.done("3 findings")
    lines = out.getvalue().splitlines()
    assert lines[:2] == ["  rule 1/2 CM-X-001: 0 match(es)", "  rule 2/2 CM-X-002: 3 match(es)"], lines
    assert re.fullmatch(r"Rules: 3 findings in \d+\.\d s", lines[2]) and len(lines) == 3
