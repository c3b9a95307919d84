"""Small helpers the tests share."""

from __future__ import annotations

import json
import subprocess
import sys


def run_cli(env: dict, *args: str, input: str | None = None, timeout: float = 300) -> subprocess.CompletedProcess:
    """Run the real `cloudmap` entry point (as a user would) and return the completed process."""
    return subprocess.run([sys.executable, "-m", "cloudmap", *args], env=env, capture_output=True, text=True,
                          input=input, timeout=timeout)


def cli_json(env: dict, *args: str):
    proc = run_cli(env, *args)
    assert proc.returncode == 0, proc.stderr + proc.stdout
    return json.loads(proc.stdout)
