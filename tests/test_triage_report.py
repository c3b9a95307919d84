"""`cloudmap report` opened in a real headless Chromium: loads offline with no console message, shows the
expected findings, draws their paths, lists the suppressed one; a screenshot is taken."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from pathlib import Path

import pytest

from tests.helpers import cli_json, run_cli
from tests.test_findings import seed

CONSOLE = re.compile(r":CONSOLE[:(]")


@pytest.fixture(scope="session")
def chromium() -> str:
    """Debian's chromium, installed when missing and the set-up may (root with apt-get)."""
    found = shutil.which("chromium")
    if not found and os.geteuid() == 0 and shutil.which("apt-get"):
        subprocess.run(["apt-get", "install", "-y", "--no-install-recommends", "chromium"], capture_output=True,
                       timeout=1200, env={**os.environ, "DEBIAN_FRONTEND": "noninteractive"})
        found = shutil.which("chromium")
    if not found:
        pytest.skip("headless Chromium is not installed and cannot be here (needs root and apt-get: "
                    "apt-get install chromium)")
    return found


def browse(chromium: str, page: Path, *extra: str) -> subprocess.CompletedProcess:
    return subprocess.run([chromium, "--headless=new", "--no-sandbox", "--disable-gpu", "--no-first-run",
                           "--enable-logging=stderr", "--v=0", f"--user-data-dir={page.parent / 'profile'}",
                           *extra, page.resolve().as_uri()], capture_output=True, text=True, timeout=120)


def console_lines(proc: subprocess.CompletedProcess) -> list[str]:
    return [line for line in proc.stderr.splitlines() if CONSOLE.search(line)]


def test_console_check_catches_errors(chromium, tmp_path):
    page = tmp_path / "broken.html"
    page.write_text("<!DOCTYPE html><html><body><script>missing();</script></body></html>")
    assert any("missing is not defined" in line for line in console_lines(browse(chromium, page, "--dump-dom")))


def test_report_in_headless_chromium(graph, cli_env, chromium, tmp_path):
    seed(graph)
    cli_json(cli_env, "analyze", "--no-derive", "--format", "json")
    medium_up = [f for f in cli_json(cli_env, "findings", "--format", "json") if f["level"] != "low"]
    hidden = medium_up.pop(0)
    assert run_cli(cli_env, "findings", "suppress", hidden["id"], "--reason", "accepted <until> the migration",
                   "--until", "2099-01-01").returncode == 0
    cli_json(cli_env, "analyze", "--no-derive", "--format", "json")   # a second point on the trend

    out = tmp_path / "report.html"
    proc = run_cli(cli_env, "report", "--out", str(out), "--level", "medium")
    assert proc.returncode == 0 and f"{len(medium_up)} finding(s) at medium or above" in proc.stderr
    html = out.read_text()
    assert not re.search(r"""(src|href)=["']?(https?:)?//""", html) and "<script" not in html

    loaded = browse(chromium, out, "--dump-dom")
    assert loaded.returncode == 0, loaded.stderr[-2000:]
    assert console_lines(loaded) == []
    dom = loaded.stdout
    shown = re.findall(r'<article class="finding" data-finding-id="([^"]+)"', dom)
    assert len(medium_up) > 1 and shown == [f["id"] for f in medium_up]
    assert f"{len(medium_up)} finding(s) at medium or above shown" in dom
    assert dom.count('aria-label="attack path"') == len(medium_up) and "CAN_REACH" in dom
    assert "accepted &lt;until&gt; the migration" in dom and "2099-01-01" in dom   # escaped, not markup
    assert "Chokepoints" in dom and "web-b" in dom and 'aria-label="trend"' in dom

    shot = tmp_path / "report.png"
    taken = browse(chromium, out, f"--screenshot={shot}", "--window-size=1280,2200", "--hide-scrollbars")
    assert taken.returncode == 0 and shot.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    if os.environ.get("CLOUDMAP_SAVE_SCREENSHOTS"):   # refreshes the one in docs/
        shutil.copy(shot, Path(__file__).resolve().parents[1] / "docs" / "screenshot-report.png")
