"""File loaders never lose data: a kubectl file without pods and an Azure export without a table keep
what they no longer list."""

from __future__ import annotations

import json

import pytest

from tests.conftest import FIXTURES
from tests.helpers import run_cli
from tests.reliability.snapshot import assets_by_scope

CLUSTER = "arn:aws:eks:eu-west-1:123456789012:cluster/prod"
FULL = FIXTURES / "kubernetes" / "cluster.json"


def snapshot(graph) -> dict:
    """The cluster's assets and the relationships between them, each once."""
    nodes = [r["id"] for r in graph.read(
        "MATCH (n:Asset) WHERE n.provider = 'kubernetes' RETURN n.id AS id ORDER BY id")]
    rels = [r["r"] for r in graph.read("MATCH (a:Asset)-[r]->(b:Asset) WHERE a.provider = 'kubernetes' "
                                       "RETURN a.id + ' ' + type(r) + ' ' + b.id AS r ORDER BY r")]
    assert len(set(nodes)) == len(nodes) and len(set(rels)) == len(rels), "duplicates"
    return {"nodes": nodes, "rels": rels}


def pods(snap: dict) -> list[str]:
    return [n for n in snap["nodes"] if "/pods/" in n]


def load(env, path, *options: str):
    return run_cli(env, "load", *options, "kubernetes", "--file", str(path), "--cluster-id", CLUSTER,
                   "--format", "json")


@pytest.mark.parametrize("kept", [(), ("Namespace", "ServiceAccount", "Service")], ids=["empty", "no-pods"])
def test_a_kubectl_file_without_pods_keeps_them_until_allow_empty(graph, cli_env, tmp_path, kept):
    assert load(cli_env, FULL).returncode == 0
    before = snapshot(graph)
    assert len(pods(before)) == 2
    items = [item for item in json.loads(FULL.read_text())["items"] if item["kind"] in kept]
    lacking = tmp_path / "lacking.json"
    lacking.write_text(json.dumps({"apiVersion": "v1", "kind": "List", "items": items}))
    proc = load(cli_env, lacking)
    assert proc.returncode == 1, proc.stderr  # refused: the file loaders exit 1 on a partial load
    summary = json.loads(proc.stdout)
    assert summary["status"] == "partial" and not summary["removed"].get("nodes")
    assert f"kubernetes/{CLUSTER}/pods" in summary["scopes_suspect"], summary
    assert any("pods: the source yielded nothing where the last sync found 2" in e for e in summary["errors"])
    assert snapshot(graph) == before, "a file without pods removed or orphaned assets"
    rec = graph.read("MATCH (s:Sync {id: $id}) RETURN s.status AS st, s.scopes_suspect AS sus", id=summary["sync_id"])
    assert rec[0]["st"] == "partial" and f"kubernetes/{CLUSTER}/pods" in rec[0]["sus"]
    proc = load(cli_env, lacking, "--allow-empty")
    assert proc.returncode == 0, proc.stderr
    assert json.loads(proc.stdout)["status"] == "success"
    after = snapshot(graph)
    assert not pods(after) and not [r for r in after["rels"] if "/pods/" in r]
    gone = set(before["nodes"]) - set(after["nodes"])
    assert gone >= set(pods(before)) and (gone == set(pods(before)) or not kept), gone


def test_two_files_of_one_cluster_share_its_lease(graph, cli_env):
    from cloudmap.graph.lease import Lease

    with Lease(graph, f"sync:kubernetes {CLUSTER}", "write", holder="kubernetes-other-load"):
        proc = load(cli_env, FULL)
    assert proc.returncode == 1
    assert f"kubernetes {CLUSTER} is locked by kubernetes-other-load" in proc.stderr, proc.stderr
    assert not snapshot(graph)["nodes"]


def azure_assets(graph) -> dict[str, list[str]]:
    return assets_by_scope(graph, "n.provider = 'azure'")


def test_an_azure_export_without_a_table_keeps_its_assets_until_allow_empty(graph, cli_env):
    tables = {name: FIXTURES / "azure" / f"{name}.json" for name in ("resources", "authorization", "containers",
                                                                       "security")}

    def load_azure(*names: str, options=()):
        return run_cli(cli_env, "load", *options, "azure", *[a for n in names for a in ("--export", str(tables[n]))],
                       "--format", "json")

    assert load_azure(*tables).returncode == 0
    before = azure_assets(graph)
    held = [s for s in before if s and s.endswith("/authorization")]
    assert held, before.keys()
    proc = load_azure("resources", "containers", "security")  # the role assignments' table is missing
    assert proc.returncode == 1, proc.stderr
    summary = json.loads(proc.stdout)
    assert summary["status"] == "partial" and set(held) <= set(summary["scopes_suspect"]), summary
    assert azure_assets(graph) == before
    assert load_azure("resources", "containers", "security", options=("--allow-empty",)).returncode == 0
    assert not set(held) & set(azure_assets(graph))
