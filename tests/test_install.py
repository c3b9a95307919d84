"""The distribution as a user gets it: the wheel builds and installs into a fresh virtualenv without a
single warning, and the installed `cloudmap` runs the demo (data files and rules come from the wheel,
not from this checkout)."""

from __future__ import annotations

import os
import re
import subprocess
import sys
import venv
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
WARNING = re.compile(r"warn|deprecat|!!", re.IGNORECASE)


def _run(cmd: list[str], **kwargs) -> subprocess.CompletedProcess:
    return subprocess.run(cmd, capture_output=True, text=True, timeout=900, **kwargs)


@pytest.fixture(scope="module")
def installed(tmp_path_factory) -> Path:
    """A fresh venv holding only the wheel built from this checkout (and its dependencies)."""
    work = tmp_path_factory.mktemp("install")
    built = _run([sys.executable, "-m", "pip", "wheel", "--no-deps", "--disable-pip-version-check",
                  "-w", str(work / "dist"), str(ROOT)])
    assert built.returncode == 0, built.stderr[-3000:]
    assert not WARNING.search(built.stdout + built.stderr), built.stdout + built.stderr
    (wheel,) = (work / "dist").glob("cloudmap-*.whl")

    venv.create(work / "venv", with_pip=True)
    python = str(work / "venv" / "bin" / "python")
    # the pip that ships with Python 3.11 warns about its own use of pkg_resources: a current pip first
    assert _run([python, "-m", "pip", "install", "-q", "--upgrade", "pip"]).returncode == 0
    env = {**os.environ, "PYTHONWARNINGS": "error", "PIP_DISABLE_PIP_VERSION_CHECK": "1"}
    done = _run([python, "-m", "pip", "install", f"{wheel}[demo]"], env=env)
    assert done.returncode == 0, done.stderr[-3000:]
    assert not WARNING.search(done.stdout + done.stderr), done.stdout + done.stderr
    return work / "venv"


def test_wheel_installs_without_warnings_and_ships_its_data(installed):
    probe = ("import importlib.resources as r, cloudmap.loaders.aws, cloudmap.rules as rules; "
             "print(sorted(p.name for p in r.files('cloudmap.cypher').joinpath('rules').iterdir())[0], "
             "r.files('cloudmap.demo').joinpath('data/kev.json').is_file(), "
             "r.files('cloudmap.db').joinpath('neo4j-runtime.pom.xml').is_file(), "
             "cloudmap.loaders.aws.__file__.startswith(%r))")
    out = _run([str(installed / "bin" / "python"), "-c", probe % str(installed)], cwd=installed)
    assert out.returncode == 0, out.stderr
    assert out.stdout.split() == ["CM-CRED-001.cypher", "True", "True", "True"]
    top_level = _run([str(installed / "bin" / "python"), "-c", "import loaders"], cwd=installed)
    assert top_level.returncode != 0, "loaders/ installs only as cloudmap.loaders"


@pytest.mark.neo4j
def test_installed_cloudmap_runs_the_demo(installed, graph, cli_env):
    """`cloudmap[demo]` (the extra that brings the AWS emulator) runs the demo end to end."""
    proc = _run([str(installed / "bin" / "cloudmap"), "demo", "--small", "--top", "5"], env=cli_env, cwd=installed)
    assert proc.returncode == 0, proc.stderr[-3000:] + proc.stdout[-2000:]
    assert "payments-web" in proc.stdout and "Where to look next" in proc.stdout
