"""Classification files: STORES links and crown jewels, replaced on re-load, validated up front."""

from __future__ import annotations

import json

import pytest
from cloudmap.loaders.classification.file import glob_regex, load_classification
from cloudmap.loaders.inputfile import InputError

from cloudmap.graph.ingest import Sync
from cloudmap.graph.model import node_kind
from tests.helpers import run_cli

STORE = node_kind("TestStore", ("DataStore", "Bucket"), description="test only")
APP = node_kind("TestApp", ("Function",), description="test only")
DB = "arn:aws:rds:eu-west-1:111122223333:db:payments"

FILE = """
version: 1
data:
  - match: {name: "prod-payments-*"}
    stores: [{name: credit-card-number, category: pci}, {name: email, category: pii}]
  - match: {id: "arn:aws:s3:::hr-*", label: Bucket}
    stores: [{name: salary, category: pii}]
  - match: {name: "nothing-like-this-*"}
    stores: [{name: api-key, category: secrets}]
critical:
  - match: {id: "%s"}
  - match: {name: "prod-payments-cards"}
    criticality: high
""" % DB


def estate(graph):
    with Sync(graph, "test", "estate") as sync, sync.scope("test/estate") as sc:
        sc.nodes(STORE, [{"id": "arn:aws:s3:::prod-payments-cards", "name": "prod-payments-cards"},
                         {"id": "arn:aws:s3:::prod-payments-logs", "name": "prod-payments-logs"},
                         {"id": "arn:aws:s3:::hr-records", "name": "hr-records"},
                         {"id": DB, "name": "payments"}])
        sc.nodes(APP, [{"id": "fn/prod-payments-api", "name": "prod-payments-api"}])  # not a DataStore


def stores(graph):
    return {(r["a"], r["t"]) for r in graph.read(
        "MATCH (a)-[r:STORES {source: 'classification-file'}]->(t:SensitiveInfoType) RETURN a.name AS a, t.id AS t")}


def jewels(graph):
    return {r["name"]: r["c"] for r in graph.read(
        "MATCH (n:Asset) WHERE n.critical RETURN n.name AS name, n.criticality AS c")}


def test_globs_are_anchored_and_literal():
    assert glob_regex("prod-*.db?") == r"prod\-.*\.db."


def test_classification_marks_data_and_crown_jewels_and_replaces_on_reload(graph, cli_env, tmp_path):
    estate(graph)
    path = tmp_path / "classification.yaml"
    path.write_text(FILE)
    proc = run_cli(cli_env, "load", "classification", str(path))
    assert proc.returncode == 0, proc.stderr
    assert "1 pattern(s) matched nothing: data[2] {name: 'nothing-like-this-*'}" in proc.stderr
    assert stores(graph) == {("prod-payments-cards", "pci:credit-card-number"), ("prod-payments-cards", "pii:email"),
                             ("prod-payments-logs", "pci:credit-card-number"), ("prod-payments-logs", "pii:email"),
                             ("hr-records", "pii:salary")}
    assert jewels(graph) == {"payments": "critical", "prod-payments-cards": "high"}

    path.write_text(FILE.replace('{name: "prod-payments-*"}', '{name: "prod-payments-cards"}')
                    .split("critical:")[0] + "critical:\n  - match: {id: \"%s\"}\n" % DB)
    result = load_classification(graph, path)
    assert result.removed["relationships"] == 2 and result.details["critical_unmarked"] == 1
    assert ("prod-payments-logs", "pii:email") not in stores(graph)
    assert jewels(graph) == {"payments": "critical"}


@pytest.mark.parametrize("content,expected", [
    ("version: 1\ndata:\n  - match: {name: x}\n    stores: [{name: y, category: secret}]\n",
     "data[0].stores[0].category: Input should be 'pci', 'pii', 'phi' or 'secrets', got 'secret'"),
    ("version: 1\ncritical:\n  - match: {label: Bucket}\n", "critical[0].match: Value error, give an id or a name"),
    ("version: 1\ncritical:\n  - match: {id: {$ne: 1}}\n", "critical[0].match.id: Input should be a valid string"),
    ("version: 2\n", "version: Input should be 1"),
    ("version: 1\ndata: [\n", "not valid YAML"),
], ids=["category", "no-pattern", "operator-object", "version", "yaml"])
def test_bad_files_name_the_entry(graph, tmp_path, content, expected):
    path = tmp_path / "bad.yaml"
    path.write_text(content)
    with pytest.raises(InputError) as err:
        load_classification(graph, path)
    assert str(err.value).startswith(f"{path}: ") and expected in str(err.value)


def test_bad_file_through_the_cli_leaves_the_graph(graph, cli_env, tmp_path):
    estate(graph)
    path = tmp_path / "bad.yaml"
    path.write_text(FILE.replace("category: pci", "category: " + "x" * 10_000_000, 1))
    proc = run_cli(cli_env, "load", "classification", str(path))
    assert proc.returncode == 1 and "data[0].stores[0].category: Input should be" in proc.stderr
    assert len(proc.stderr.strip().splitlines()) == 1
    assert stores(graph) == set() and jewels(graph) == {}
    assert json.dumps(graph.read("MATCH (s:Sync {provider: 'classification'}) RETURN count(s) AS n")) == '[{"n": 0}]'
