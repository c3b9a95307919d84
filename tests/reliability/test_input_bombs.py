"""Hostile input through the real CLI: a gzip bomb, a deeply nested JSON and a huge JSON each end in
one clear error line, exit 1, and leave the graph exactly as it was (counts and property checksum)."""

from __future__ import annotations

import gzip
import zlib
from pathlib import Path

import pytest

from tests.helpers import run_cli
from tests.test_corpus import CORPUS, snapshot

CAP_MB = 16


def gzip_bomb(path: Path, expanded_mb: int) -> Path:
    """A small gzip file of JSON whitespace that expands to ``expanded_mb`` MB, written in chunks."""
    chunk = b" " * (1 << 20)
    with gzip.open(path, "wb", compresslevel=9) as out:
        out.write(b"[")
        for _ in range(expanded_mb):
            out.write(chunk)
        out.write(b"]")
    return path


@pytest.fixture
def baseline(graph, cli_env):
    proc = run_cli(cli_env, "load", "trivy", str(CORPUS / "trivy" / "image-nginx.json"))
    assert proc.returncode == 0, proc.stderr
    proc = run_cli(cli_env, "load", "azure", "--export", str(CORPUS / "azure" / "resources.json"))
    assert proc.returncode == 0, proc.stderr
    return snapshot(graph)


def one_error(proc) -> str:
    lines = [line for line in proc.stderr.splitlines() if line.strip()]
    assert proc.returncode == 1 and len(lines) == 1, proc.stderr
    return lines[0]


@pytest.mark.parametrize("verb", [("trivy",), ("azure", "--export")])
def test_gzip_bomb_is_refused_at_the_cap(graph, cli_env, tmp_path, baseline, verb):
    bomb = gzip_bomb(tmp_path / "report.json.gz", expanded_mb=4 * CAP_MB)
    assert bomb.stat().st_size < 200_000  # a few hundred KB on disk
    proc = run_cli(cli_env, "load", "--max-input-mb", str(CAP_MB), *verb, str(bomb))
    assert one_error(proc) == f"error: {bomb}: expands to more than {CAP_MB} MB (--max-input-mb)"
    assert snapshot(graph) == baseline


def test_default_cap_refuses_a_gigabyte_bomb(graph, cli_env, tmp_path, baseline):
    bomb = tmp_path / "export.json.gz"
    # 1 GiB of zeros in a ~1 MB file, compressed once at level 1 (zlib is fast on runs).
    comp = zlib.compressobj(1, zlib.DEFLATED, 31)
    zero = bytes(1 << 24)
    with bomb.open("wb") as out:
        for _ in range(64):
            out.write(comp.compress(zero))
        out.write(comp.flush())
    proc = run_cli(cli_env, "load", "azure", "--export", str(bomb))
    assert one_error(proc) == f"error: {bomb}: expands to more than 512 MB (--max-input-mb)"
    assert snapshot(graph) == baseline


def test_deeply_nested_json_is_one_error(graph, cli_env, tmp_path, baseline):
    deep = tmp_path / "deep.json"
    deep.write_text('{"SchemaVersion": 2, "x": ' + "[" * 100_000 + "]" * 100_000 + "}")
    proc = run_cli(cli_env, "load", "trivy", str(deep))
    assert one_error(proc) == f"error: {deep}: nested deeper than 100 levels"
    assert snapshot(graph) == baseline


def test_huge_json_is_refused_before_parsing(graph, cli_env, tmp_path, baseline):
    huge = tmp_path / "resources.json"
    with huge.open("w") as out:
        out.write('{"data": [')
        out.write(",".join(['{"id": "/subscriptions/x/resourcegroups/rg/providers/a/b/c", "type": "a/b"}'] * 300_000))
        out.write("]}")
    assert huge.stat().st_size > CAP_MB << 20
    proc = run_cli(cli_env, "load", "--max-input-mb", str(CAP_MB), "azure", "--export", str(huge))
    assert one_error(proc) == f"error: {huge}: is more than {CAP_MB} MB (--max-input-mb)"
    assert snapshot(graph) == baseline
