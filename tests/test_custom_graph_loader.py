"""Custom graph files: declared and custom kinds, edges checked against the declarations, all before writing."""

from __future__ import annotations

import json

import pytest
from cloudmap.loaders.graph.file import load_graph_file
from cloudmap.loaders.inputfile import InputError

from tests.helpers import run_cli

DIGEST = "sha256:" + "a1" * 32
GRAPH = {
    "version": 1,
    "nodes": [
        {"kind": "ContainerImage", "id": DIGEST, "properties": {"name": "nginx:1.25.3", "tags_list": ["nginx:1.25.3"]}},
        {"kind": "OnPremPod", "labels": ["Pod"], "id": "onprem/web-1", "properties": {"name": "web-1", "rack": "r12",
                                                                                        "replicas": 3}},
        {"kind": "OnPremPod", "labels": ["Pod"], "id": "onprem/web-2", "properties": {"name": "web-2"}},
        {"kind": "Vulnerability", "id": "CVE-2023-44487", "properties": {"severity": "high", "cvss_score": 7.5}},
    ],
    "edges": [
        {"type": "RUNS_IMAGE", "source": "onprem/web-1", "target": DIGEST},
        {"type": "RUNS_IMAGE", "source": "onprem/web-2", "target": DIGEST},
        {"type": "HAS_VULNERABILITY", "source": DIGEST, "target": "CVE-2023-44487",
         "properties": {"package": "nghttp2", "source": "manual"}},
    ],
}


def counts(graph):
    return graph.read("MATCH (n) WHERE NOT n:SchemaVersion WITH count(n) AS nodes OPTIONAL MATCH ()-[r]->() RETURN nodes, count(r) AS rels")[0]


def test_graph_file_loads_declared_and_custom_kinds_and_replaces_on_reload(graph, cli_env, tmp_path):
    path = tmp_path / "onprem.json"
    path.write_text(json.dumps(GRAPH))
    proc = run_cli(cli_env, "load", "graph", str(path), "--format", "json")
    assert proc.returncode == 0, proc.stderr
    assert json.loads(proc.stdout)["written"] == {"ContainerImage": 1, "OnPremPod": 2, "Vulnerability": 1,
                                                  "RUNS_IMAGE": 2, "HAS_VULNERABILITY": 1}
    pod = graph.read("MATCH (p:Pod {id: 'onprem/web-1'})-[:RUNS_IMAGE]->(i:ContainerImage)-[r:HAS_VULNERABILITY]->(v) "
                     "RETURN labels(p) AS l, p.rack AS rack, p.replicas AS n, p.provider AS provider, "
                     "r.source AS source, v.cvss_score AS score")
    assert pod == [{"l": ["Asset", "Pod", "OnPremPod"], "rack": "r12", "n": 3, "provider": "custom",
                    "source": "manual", "score": 7.5}]

    smaller = dict(GRAPH, nodes=GRAPH["nodes"][:2] + GRAPH["nodes"][3:], edges=GRAPH["edges"][:1])
    path.write_text(json.dumps(smaller))
    summary = load_graph_file(graph, path)
    assert summary.removed == {"relationships": 2, "nodes": 1}  # web-2, its RUNS_IMAGE, the image's CVE link
    assert graph.read("MATCH (p:OnPremPod) RETURN collect(p.id) AS ids")[0]["ids"] == ["onprem/web-1"]


def _with(mutate):
    data = json.loads(json.dumps(GRAPH))
    mutate(data)
    return data


@pytest.mark.parametrize("data,expected", [
    (_with(lambda d: d["nodes"][1].pop("labels")), "nodes[1].kind: unknown kind 'OnPremPod'"),
    (_with(lambda d: d["nodes"][0]["properties"].update(colour="red")), "nodes[0].properties.colour: undeclared for this kind"),
    (_with(lambda d: d["nodes"][0].update(id={"$ne": 1})), "nodes[0].id: Input should be a valid string"),
    (_with(lambda d: d["nodes"][1].update(labels=["Mainframe"])), "nodes[1].labels: 'Mainframe' is not in the"),
    (_with(lambda d: d["nodes"][1]["properties"].update(rack={"$gt": ""})), "nodes[1].properties.rack: {'$gt': ''}"),
    (_with(lambda d: d["nodes"][3]["properties"].update(cvss_score="high")), "nodes[3].properties.cvss_score: expected float"),
    (_with(lambda d: d["nodes"][2]["properties"].update(name="x" * 10_000_000)), "nodes[2].properties.name: longer than"),
    (_with(lambda d: d["edges"][0].update(target="sha256:missing")), "edges[0].target: no node 'sha256:missing'"),
    (_with(lambda d: d["edges"][1].update(type="CAN_REACH")), "edges[1]: CAN_REACH does not connect"),
    (_with(lambda d: d["edges"][2].update(source="CVE-2023-44487", target=DIGEST)), "edges[2]: HAS_VULNERABILITY does not connect"),
    (_with(lambda d: d.update(version=2)), "version: Input should be 1"),
], ids=lambda v: v[:40] if isinstance(v, str) else "file")
def test_invalid_files_name_the_field_before_any_write(graph, tmp_path, data, expected):
    path = tmp_path / "bad.json"
    path.write_text(json.dumps(data))
    with pytest.raises(InputError) as err:
        load_graph_file(graph, path)
    assert str(err.value).startswith(f"{path}: ") and expected in str(err.value), str(err.value)
    assert counts(graph) == {"nodes": 0, "rels": 0}


def test_invalid_file_through_the_cli(graph, cli_env, tmp_path):
    path = tmp_path / "bad.json"
    path.write_text(json.dumps(_with(lambda d: d["edges"].append({"type": "RUNS_IMAGE", "source": "x"}))))
    proc = run_cli(cli_env, "load", "graph", str(path))
    assert proc.returncode == 1 and "bad.json: edges[3].target: Field required" in proc.stderr, proc.stderr
    assert len(proc.stderr.strip().splitlines()) == 1 and counts(graph) == {"nodes": 0, "rels": 0}
