"""The corpus (tests/corpus/, built by build_corpus.py): real-format files of every file loader and
hostile variants. Each file loads into the graph with the contents asserted, or fails with its one
exact error line and leaves the graph as it was (counts and a property checksum)."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import pytest
from cloudmap.loaders import azure
from cloudmap.loaders.classification.file import load_classification
from cloudmap.loaders.epss.scores import load_scores
from cloudmap.loaders.graph.file import load_graph_file
from cloudmap.loaders.grype.report import read_reports as grype_reports
from cloudmap.loaders.inputfile import limits
from cloudmap.loaders.kev.feed import load_catalog
from cloudmap.loaders.kubernetes import load_files as load_kubernetes
from cloudmap.loaders.terraform.load import load_file as load_terraform
from cloudmap.loaders.trivy.report import read_reports as trivy_reports
from cloudmap.loaders.vulns import load_files as load_scans

from tests.helpers import run_cli

CORPUS = Path(__file__).parent / "corpus"
EKS = "arn:aws:eks:eu-west-1:123456789012:cluster/prod"

LOADERS = {
    "trivy": lambda g, p: load_scans(g, "trivy", trivy_reports, [p]),
    "grype": lambda g, p: load_scans(g, "grype", grype_reports, [p]),
    "terraform": lambda g, p: load_terraform(g, p),
    "kubernetes": lambda g, p: load_kubernetes(g, [p], EKS),
    "azure": lambda g, p: azure.load(g, exports=[p]),
    "kev": load_catalog,
    "epss": load_scores,
    "classification": load_classification,
    "graph": load_graph_file,
}
# What each loader's baseline file is, for the hostile cases (the graph they must leave unchanged).
BASELINE = {"trivy": "image-nginx.json", "grype": "image.json", "terraform": "aws-state.json",
            "kubernetes": "cluster.json", "azure": "resources.json", "kev": "known_exploited_vulnerabilities.json",
            "epss": "epss_scores-2024-05-13.csv", "classification": "classification.yaml", "graph": "onprem.json"}

VULNS = "MATCH (v:Vulnerability) RETURN count(v) AS n"
LOADS = [  # file, query, expected count
    ("trivy/image-nginx.json", "MATCH (:ContainerImage)-[r:HAS_VULNERABILITY]->() RETURN count(r) AS n", 3),
    ("trivy/image-without-artifact-name.json", "MATCH (i:ContainerImage) WHERE i.id STARTS WITH 'sha256:a1a1' "
                                               "AND EXISTS { (i)-[:HAS_VULNERABILITY]->() } RETURN count(i) AS n", 1),
    ("trivy/vm-utf16.json", "MATCH (a:Artifact)-[:HAS_VULNERABILITY]->(:Vulnerability {id: 'CVE-2024-6387'}) "
                            "RETURN count(a) AS n", 1),
    ("trivy/k8s-cluster.json", "MATCH (i:ContainerImage)-[:HAS_VULNERABILITY]->() RETURN count(DISTINCT i) AS n", 2),
    ("grype/image.json", "MATCH (:ContainerImage)-[r:HAS_VULNERABILITY]->() RETURN count(r) AS n", 3),
    ("grype/image-bom.json", "MATCH (:ContainerImage)-[r:HAS_VULNERABILITY]->() RETURN count(r) AS n", 3),
    ("grype/directory.json.gz", "MATCH (a:Artifact {name: '/srv/app'})-[r:HAS_VULNERABILITY]->() RETURN count(r) AS n",
     3),
    ("terraform/aws-state.json", "MATCH (n:Asset {source: 'terraform'}) RETURN count(n) > 5 AS n", True),
    ("terraform/aws-state-utf16.json", "MATCH (n:Asset {source: 'terraform'}) RETURN count(n) > 5 AS n", True),
    ("terraform/aws-plan.json", "MATCH (n:Asset {planned: true}) RETURN count(n) > 0 AS n", True),
    ("terraform/azure-state.json", "MATCH (n:Asset {provider: 'azure', source: 'terraform'}) RETURN count(n) > 5 AS n",
     True),
    ("kubernetes/cluster.json", "MATCH (p:KubernetesPod) RETURN count(p) AS n", 2),
    ("kubernetes/cluster-utf16.json", "MATCH (p:KubernetesPod) RETURN count(p) AS n", 2),
    ("kubernetes/ingresses.json", "MATCH (i:Ingress) RETURN count(i) AS n", 1),
    ("azure/resources.json", "MATCH (:Internet)-[:CAN_REACH]->(n) RETURN count(n) AS n", 0),  # no analysis yet
    ("azure/resources.json", "MATCH (:AzureSQLServer)-[:HAS_RULE]->(r:FirewallRule) RETURN count(r) AS n", 2),
    ("azure/resources-utf16.json", "MATCH (v:AzureVM) RETURN count(v) AS n", 2),
    ("azure/containers.json", "MATCH (g:AzureResourceGroup) RETURN count(g) > 0 AS n", True),
    ("azure/authorization.json", "MATCH (a:RoleAssignment)-[:ASSIGNED_TO]->() RETURN count(a) > 0 AS n", True),
    ("kev/known_exploited_vulnerabilities.json", VULNS, 0),
    ("kev/known_exploited_vulnerabilities.json.gz", VULNS, 0),
    ("kev/kev-utf16.json", VULNS, 0),
    ("epss/epss_scores-2024-05-13.csv", VULNS, 0),
    ("epss/epss_scores-2024-05-13.csv.gz", VULNS, 0),
    ("epss/epss-bom.csv", VULNS, 0),
    ("classification/classification.yaml", "MATCH (s:SensitiveInfoType) RETURN count(s) AS n", 4),
    ("classification/e2e.yaml", "MATCH (s:SensitiveInfoType) RETURN count(s) > 0 AS n", True),
    ("classification/classification-utf16.yaml", "MATCH (s:SensitiveInfoType) RETURN count(s) AS n", 4),
    ("graph/onprem.json", "MATCH (:OnPremServer)-[:RUNS_IMAGE]->(:ContainerImage) RETURN count(*) AS n", 1),
    ("graph/onprem-bom.json", "MATCH (:OnPremServer)-[:RUNS_IMAGE]->(:ContainerImage) RETURN count(*) AS n", 1),
    ("graph/onprem-utf16.json", "MATCH (:OnPremServer)-[:RUNS_IMAGE]->(:ContainerImage) RETURN count(*) AS n", 1),
]
DEEP = "nested deeper than 100 levels"
BOMB = "expands to more than 4 MB (--max-input-mb)"
FAILS = [  # file, the error after "<path>: "
    ("trivy/hostile-deep.json", DEEP),
    ("trivy/hostile-bomb.json.gz", BOMB),
    ("trivy/[prod]/hostile-markup.json", "Results[0].Vulnerabilities[0].VulnerabilityID: String should match pattern "
                                         "'^[A-Za-z0-9][A-Za-z0-9._:-]{1,127}$', got '[bold]x[/]'"),
    ("grype/hostile-truncated.json", "not valid JSON: Unterminated string starting at at line 31 column 5"),
    ("grype/hostile-wrong-nested-type.json", "matches[0].vulnerability: Input should be a valid dictionary or "
                                             "instance of Advisory, got 'GHSA-jfh8-c2jp-5v3q'"),
    ("terraform/hostile-deep.json", DEEP),
    ("terraform/hostile-ingress-string.json", "values.root_module.resources[2] (aws_security_group.web): "
                                              "values.ingress: Input should be a valid list, got '0.0.0.0/0'"),
    ("kubernetes/hostile-bomb.json.gz", BOMB),
    ("kubernetes/hostile-containers-string.json", "items[5]: field 'spec.containers' must be list, got str"),
    ("azure/hostile-deep.json", DEEP),
    ("azure/hostile-vm-nics-string.json", None),  # checked below: names the row and the field
    ("kev/hostile-bomb.json.gz", BOMB),
    ("kev/hostile-missing-cve.json", "vulnerabilities[1].cveID: Field required"),
    ("epss/hostile-bomb.csv.gz", BOMB),
    ("classification/hostile-alias-bomb.yaml", "not valid YAML: aliases (*name) are not allowed at line 3 column 8"),
    ("classification/hostile-wrong-type.yaml", "data[0].stores: Input should be a valid list, got 'credit-card-number'"),
    ("graph/hostile-deep.json", DEEP),
    ("graph/hostile-wrong-nested-type.json", "nodes[1].properties: Input should be a valid dictionary, got 'rack r12'"),
]
EPSS_BAD_LINE = "line 4: epss '[red]1.5[/]' is not a number between 0 and 1"


def snapshot(graph) -> tuple[int, int, str]:
    """Node and relationship counts and a checksum of every property (time stamps aside)."""
    nodes = graph.read("MATCH (n) WHERE NOT n:Sync AND NOT n:SchemaVersion AND NOT n:ScopeState "
                       "RETURN n.id AS id, labels(n) AS l, properties(n) AS p ORDER BY id")
    rels = graph.read("MATCH (a)-[r]->(b) RETURN a.id AS a, type(r) AS t, b.id AS b, properties(r) AS p "
                      "ORDER BY a, t, b")
    volatile = {"first_seen", "last_seen"}
    text = json.dumps([[{k: v for k, v in row["p"].items() if k not in volatile}, row.get("l") or row.get("t")]
                       for row in nodes + rels], sort_keys=True, default=str)
    return len(nodes), len(rels), hashlib.sha256(text.encode()).hexdigest()


@pytest.fixture(autouse=True)
def small_input_cap():
    saved = limits.max_input_mb
    limits.max_input_mb = 4
    yield
    limits.max_input_mb = saved


def test_every_file_loader_has_five_files_hostile_ones_included():
    for loader in LOADERS:
        files = [f for f in (CORPUS / loader).rglob("*") if f.is_file()]
        assert len(files) >= 5 and any("hostile" in f.name for f in files), loader


@pytest.mark.parametrize("rel, query, expected", LOADS, ids=[f"{r}:{q[:20]}" for r, q, _ in LOADS])
def test_real_format_file_loads(graph, rel, query, expected):
    loader = rel.split("/")[0]
    summary = LOADERS[loader](graph, CORPUS / rel)
    assert summary.status == "success", summary.errors
    assert graph.read(query)[0]["n"] == expected


@pytest.mark.parametrize("rel, message", FAILS, ids=[r for r, _ in FAILS])
def test_hostile_file_is_one_error_and_leaves_the_graph(graph, rel, message):
    loader = rel.split("/")[0]
    LOADERS[loader](graph, CORPUS / loader / BASELINE[loader])
    before = snapshot(graph)
    path = CORPUS / rel
    with pytest.raises(ValueError) as caught:
        LOADERS[loader](graph, path)
    error = str(caught.value)
    assert "\n" not in error
    if message is None:
        assert error.startswith(f"{path} row 11 (") and error.endswith(
            "field 'properties.networkProfile.networkInterfaces' must be a list of references, got str"), error
    else:
        assert error == f"{path}: {message}"
    assert snapshot(graph) == before


def test_epss_line_error_names_the_line(graph):
    before = snapshot(graph)
    path = CORPUS / "epss" / "hostile-bad-probability.csv"
    with pytest.raises(ValueError) as caught:
        load_scores(graph, path)
    assert str(caught.value) == f"{path} {EPSS_BAD_LINE}"
    assert snapshot(graph) == before


def test_cli_prints_user_data_verbatim(graph, cli_env):
    """A path with [prod] and a value with markup: printed as they are, on one line."""
    path = CORPUS / "trivy" / "[prod]" / "hostile-markup.json"
    proc = run_cli(cli_env, "load", "trivy", str(path))
    assert proc.returncode == 1
    lines = [line for line in proc.stderr.splitlines() if line.strip()]
    assert lines == [f"error: {path}: Results[0].Vulnerabilities[0].VulnerabilityID: String should match pattern "
                     f"'^[A-Za-z0-9][A-Za-z0-9._:-]{{1,127}}$', got '[bold]x[/]'"]
