"""The loader kit: loaders stay a library (no CLI imports), `--asset` finds the ids users have, and
the cross-source link pass makes load order irrelevant."""

from __future__ import annotations

import ast
import json
from pathlib import Path

import pytest
from cloudmap.loaders.graph.file import load_graph_file
from cloudmap.loaders.inputfile import InputError
from cloudmap.loaders.kubernetes import load_files as load_kubernetes
from cloudmap.loaders.trivy.report import read_reports
from cloudmap.loaders.vulns import load_files, resolve_asset

from tests.test_corpus import CORPUS

LOADERS = Path(__file__).parent.parent / "loaders"
INSTANCE = "arn:aws:ec2:us-east-1:123456789012:instance/i-0abc1234def567890"
VM = "/subscriptions/5f1e6a7b-1111-4222-8333-444455556666/resourcegroups/rg-web/providers/microsoft.compute/virtualmachines/web-vm"


def test_no_loader_module_imports_the_cli_or_typer():
    offenders = []
    for path in LOADERS.rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text())):
            names = [a.name for a in node.names] if isinstance(node, ast.Import) else \
                [node.module or ""] if isinstance(node, ast.ImportFrom) else []
            offenders += [f"{path.relative_to(LOADERS)}: {n}" for n in names
                          if n.startswith(("cloudmap.cli", "typer", "rich"))]
    assert offenders == []


@pytest.fixture
def hosts(graph, tmp_path):
    doc = tmp_path / "hosts.json"
    doc.write_text(f'''{{"version": 1, "nodes": [
        {{"kind": "AWSInstance", "id": "{INSTANCE}", "properties": {{"name": "payments-web", "instance_id": "i-0abc1234def567890"}}}},
        {{"kind": "AzureVM", "id": "{VM}", "properties": {{"name": "web-vm"}}}},
        {{"kind": "AzureVM", "id": "{VM.replace('rg-web', 'rg-dr')}", "properties": {{"name": "web-vm"}}}},
        {{"kind": "AWSInstance", "id": "{INSTANCE.replace('0abc', '0def')}", "properties": {{"name": "batch"}}}}]}}''')
    load_graph_file(graph, doc)
    return graph


@pytest.mark.parametrize("given, expected", [
    (INSTANCE, INSTANCE), (INSTANCE.upper(), INSTANCE), ("i-0abc1234def567890", INSTANCE),
    ("I-0ABC1234DEF567890", INSTANCE), ("payments-web", INSTANCE), ("Batch", INSTANCE.replace("0abc", "0def")),
    (VM.replace("resourcegroups/rg-web", "resourceGroups/RG-Web").replace("microsoft.compute/virtualmachines",
                                                                        "Microsoft.Compute/virtualMachines"), VM),
])
def test_asset_resolves_the_ids_users_have(hosts, given, expected):
    assert resolve_asset(hosts, given) == expected


def test_ambiguous_asset_lists_the_candidates_and_unknown_says_what_was_searched(hosts):
    with pytest.raises(InputError) as ambiguous:
        resolve_asset(hosts, "web-vm")
    assert str(ambiguous.value) == (f"--asset 'web-vm': 2 assets match by bare resource id: "
                                    f"{VM.replace('rg-web', 'rg-dr')}, {VM}; give the full id")
    with pytest.raises(InputError) as unknown:
        resolve_asset(hosts, "i-0000000000000000f")
    assert str(unknown.value) == ("--asset 'i-0000000000000000f': no asset matches (searched ids and ARNs in any "
                                  "casing, bare instance / VM ids, and names); load its source first")


def test_scan_attaches_to_a_bare_instance_id(hosts):
    summary = load_files(hosts, "trivy", read_reports, [CORPUS / "trivy" / "vm-utf16.json"], "i-0abc1234def567890")
    assert summary.status == "success"
    assert hosts.read("MATCH (:AWSInstance {id: $id})-[r:HAS_VULNERABILITY]->() RETURN count(r) AS n",
                      id=INSTANCE)[0]["n"] == 1


EKS = "arn:aws:eks:eu-west-1:123456789012:cluster/prod"


@pytest.mark.parametrize("kubernetes_first", [True, False])
def test_kubernetes_and_cloud_clusters_link_whichever_loads_first(graph, tmp_path, kubernetes_first):
    cloud = tmp_path / "eks.json"
    cloud.write_text(f'{{"version": 1, "nodes": [{{"kind": "AWSEKSCluster", "id": "{EKS}", '
                     f'"properties": {{"name": "prod"}}}}]}}')
    steps = [lambda: load_kubernetes(graph, [CORPUS / "kubernetes" / "cluster.json"], EKS),
             lambda: load_graph_file(graph, cloud)]
    for step in steps if kubernetes_first else steps[::-1]:
        assert step().status == "success"
    assert graph.read("MATCH (:KubernetesCluster)-[r:SAME_AS]->(c:Cluster {id: $id}) RETURN r.matched_by AS m",
                      id=EKS) == [{"m": "id"}]


def test_external_principals_are_named_outside_the_loaded_accounts():
    from cloudmap.loaders.kit.link import external_principal, named_principals

    trust = {"Statement": [{"Effect": "Allow", "Principal": {"AWS": ["999988887777", "arn:aws:iam::111:role/x", "AROAOLD"],
                                                             "Federated": ["arn:aws:iam::111:oidc-provider/oidc.eks."
                                                                           "eu-west-1.amazonaws.com/id/AB12",
                                                                           "cognito-identity.amazonaws.com"]}},
                           {"Effect": "Deny", "Principal": "*"}, {"Effect": "Allow", "Principal": "*"}]}
    rows = [external_principal(key, name, loaded={"111"}) for key, name in named_principals(json.dumps(trust))]
    assert [(r["id"], r["principal_type"], r["external_account"]) if r else None for r in rows] == [
        ("external:arn:aws:iam::999988887777:root", "account", "999988887777"),
        None,   # a principal of a loaded account: its own node
        None,   # the unique id a deleted principal leaves
        None,   # an EKS cluster's pods: IRSA covers them
        ("external:cognito-identity.amazonaws.com", "federated", None),
        ("external:*", "anyone", "*")]   # the Deny names nobody
    assert list(named_principals("{not json")) == []
