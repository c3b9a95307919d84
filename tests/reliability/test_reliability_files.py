"""File loaders never lose data: an empty kubectl file keeps the pods it no longer lists."""

from __future__ import annotations

import json

from tests.conftest import FIXTURES
from tests.helpers import run_cli

CLUSTER = "arn:aws:eks:eu-west-1:123456789012:cluster/prod"


def snapshot(graph) -> dict:
    nodes = graph.read("MATCH (n:Asset) WHERE n.provider = 'kubernetes' RETURN n.id AS id ORDER BY id")
    rels = graph.read("MATCH (a:Asset)-[r]->(b:Asset) WHERE a.provider = 'kubernetes' "
                      "RETURN a.id + ' ' + type(r) + ' ' + b.id AS r ORDER BY r")
    return {"nodes": [r["id"] for r in nodes], "rels": [r["r"] for r in rels]}


def load(env, *args: str):
    return run_cli(env, "load", *args[:-1], "kubernetes", "--file", args[-1], "--cluster-id", CLUSTER,
                   "--format", "json")


def test_an_empty_kubectl_file_keeps_the_pods_until_allow_empty(graph, cli_env, tmp_path):
    full = load(cli_env, str(FIXTURES / "kubernetes" / "cluster.json"))
    assert full.returncode == 0, full.stderr
    before = snapshot(graph)
    pods = [n for n in before["nodes"] if "/pods/" in n]
    assert len(pods) == 2 and len(set(before["nodes"])) == len(before["nodes"])
    empty = tmp_path / "empty.json"
    empty.write_text(json.dumps({"apiVersion": "v1", "kind": "List", "items": []}))
    proc = load(cli_env, str(empty))
    assert proc.returncode == 1, proc.stderr  # refused: the file loaders exit 1 on a partial load
    summary = json.loads(proc.stdout)
    assert summary["status"] == "partial" and not summary["removed"].get("nodes")
    assert any(s.endswith("/pods") for s in summary["scopes_suspect"])
    assert any("yielded nothing where the last sync found" in e for e in summary["errors"])
    assert snapshot(graph) == before, "an empty file removed or orphaned assets"
    proc = load(cli_env, "--allow-empty", str(empty))
    assert proc.returncode == 0, proc.stderr
    assert json.loads(proc.stdout)["status"] == "success"
    assert not [n for n in snapshot(graph)["nodes"] if "/pods/" in n]
