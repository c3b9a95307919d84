"""An earlier revision's engine, importable next to the current one, so that one benchmark run can
time both on the same graph: ``engine_at(ref)`` copies ``cloudmap/engine/`` as it was at the git
revision ``ref`` into a temporary package ``cloudmap_engine_<ref>`` (its own imports of
``cloudmap.engine`` pointed at the copy) and returns that package."""

from __future__ import annotations

import importlib
import re
import subprocess
import sys
import tempfile
from pathlib import Path
from types import ModuleType

ROOT = Path(__file__).resolve().parent.parent


def _git(*args: str) -> str:
    return subprocess.run(["git", *args], cwd=ROOT, check=True, capture_output=True, text=True).stdout


def engine_at(ref: str) -> ModuleType:
    sha = _git("rev-parse", "--short", ref).strip()
    name = f"cloudmap_engine_{sha}"
    target = Path(tempfile.mkdtemp(prefix="cloudmap-baseline-")) / name
    target.mkdir()
    for path in _git("ls-tree", "--name-only", f"{sha}:cloudmap/engine").split():
        if path.endswith(".py"):
            text = _git("show", f"{sha}:cloudmap/engine/{path}")
            (target / path).write_text(re.sub(r"\bcloudmap\.engine\b", name, text))
    sys.path.insert(0, str(target.parent))
    return importlib.import_module(name)
