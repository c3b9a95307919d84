"""Trivy / Grype reports, KEV and EPSS enrichment, through the real CLI against a real Neo4j."""

from __future__ import annotations

import gzip
import json
from pathlib import Path

import pytest
from cloudmap.loaders.trivy.report import read_report
from cloudmap.loaders.vulns import load_reports, tag_variants

from cloudmap.graph.ingest import Sync
from cloudmap.graph.kinds.common import CONTAINER_IMAGE, RUNS_IMAGE
from cloudmap.graph.model import node_kind
from tests.conftest import FIXTURES
from tests.helpers import run_cli

SCANNERS = FIXTURES / "scanners"
NGINX_DIGEST = "sha256:" + "a1" * 32
INSTANCE = "arn:aws:ec2:eu-west-1:111122223333:instance/i-0a1b2c3d4e5f60718"
HOST = "arn:aws:ec2:eu-west-1:111122223333:instance/i-0fedcba9876543210"

WORKLOAD = node_kind("TestWorkload", ("Pod",), description="test only")
HOST_VM = node_kind("TestHost", ("VirtualMachine",), description="test only")


def estate(graph):
    """Two pods: one runs nginx known by digest, one runs redis known only by repository:tag."""
    with Sync(graph, "test", "estate") as sync:
        with sync.scope("test/estate") as sc:
            sc.nodes(WORKLOAD, [{"id": "pod/web", "name": "web"}, {"id": "pod/cache", "name": "cache"}])
            sc.nodes(HOST_VM, [{"id": INSTANCE, "name": "bastion"}, {"id": HOST, "name": "build"}])
            sc.nodes(CONTAINER_IMAGE, [
                {"id": NGINX_DIGEST, "name": "nginx:1.25.3", "digest": NGINX_DIGEST, "tags_list": ["nginx:1.25.3"]},
                {"id": "redis:7.2", "name": "redis:7.2", "repository": "redis", "tags_list": ["redis:7.2"]}])
            sc.rels(RUNS_IMAGE, [{"source": "pod/web", "target": NGINX_DIGEST},
                                 {"source": "pod/cache", "target": "redis:7.2"}])


def links(graph, asset_id):
    return {r["v"]: r for r in graph.read(
        "MATCH (a:Asset {id: $id})-[r:HAS_VULNERABILITY]->(v:Vulnerability) "
        "RETURN v.id AS v, r.package AS package, r.fixed_version AS fixed, r.source AS source", id=asset_id)}


def vuln(graph, vid):
    rows = graph.read("MATCH (v:Vulnerability {id: $id}) RETURN properties(v) AS p", id=vid)
    return rows[0]["p"] if rows else None


def counts(graph):
    return graph.read("MATCH (n) WHERE NOT n:SchemaVersion WITH count(n) AS nodes OPTIONAL MATCH ()-[r]->() "
                      "RETURN nodes, count(r) AS rels")[0]


def test_tag_spellings_meet():
    assert "nginx:1.25" in tag_variants("docker.io/library/nginx:1.25")
    assert "docker.io/library/nginx:latest" in tag_variants("nginx")
    assert tag_variants("ghcr.io/acme/app:1") == {"ghcr.io/acme/app:1"}


def test_trivy_and_grype_images_match_by_digest_and_tag(graph, cli_env):
    estate(graph)
    proc = run_cli(cli_env, "load", "trivy", str(SCANNERS / "trivy-image-nginx.json"),
                   str(SCANNERS / "trivy-image-redis.json"), str(SCANNERS / "trivy-image-unmatched.json"))
    assert proc.returncode == 0, proc.stderr
    assert "1 report(s) had no matching workload: ghcr.io/acme/batch-worker:0.9" in proc.stderr

    nginx = links(graph, NGINX_DIGEST)  # matched by digest
    assert set(nginx) == {"CVE-2023-44487", "CVE-2023-38545", "CVE-2021-44228"}
    assert nginx["CVE-2023-44487"]["package"] == "libnghttp2-14, nghttp2"
    assert nginx["CVE-2021-44228"] == {"v": "CVE-2021-44228", "package": "org.apache.logging.log4j:log4j-core",
                                       "fixed": "2.15.0", "source": "trivy"}
    assert set(links(graph, "redis:7.2")) == {"CVE-2023-4911"}  # matched by repository:tag
    assert graph.read("MATCH (i:ContainerImage) RETURN count(i) AS n")[0]["n"] == 3

    log4j = vuln(graph, "CVE-2021-44228")
    assert (log4j["severity"], log4j["cvss_score"], log4j["rce"]) == ("critical", 10.0, True)
    assert log4j["cvss_vector"].startswith("CVSS:3.1/AV:N") and "CWE-917" in log4j["cwes"]
    curl = vuln(graph, "CVE-2023-38545")
    assert (curl["cvss_score"], "rce" in curl, curl["published"]) == (9.8, False, "2023-10-18T04:15:11.077Z")
    kept = graph.read("MATCH (i:ContainerImage {id: $id})-[:HAS_VULNERABILITY]->(v) "
                      "RETURN i.tags_list AS tags, v.severity AS sev", id="sha256:" + "18" * 32)
    assert kept == [{"tags": ["ghcr.io/acme/batch-worker:0.9"], "sev": "unknown"}]

    proc = run_cli(cli_env, "load", "grype", str(SCANNERS / "grype-image-nginx.json"), "--format", "json")
    assert proc.returncode == 0, proc.stderr
    out = json.loads(proc.stdout)
    assert out["unmatched"] == [] and out["reports"][0]["matched"] == [NGINX_DIGEST]
    nginx = links(graph, NGINX_DIGEST)
    assert nginx["CVE-2021-44228"]["source"] == "grype"  # the GHSA match keyed by its CVE
    assert nginx["CVE-2005-2541"]["fixed"] is None and vuln(graph, "CVE-2005-2541")["severity"] == "low"
    assert vuln(graph, "GHSA-JFH8-C2JP-5V3Q") is None


def test_reloading_a_report_replaces_its_links(graph, tmp_path):
    estate(graph)
    report = read_report(SCANNERS / "trivy-image-nginx.json")
    load_reports(graph, [report], "trivy")
    newer = json.loads((SCANNERS / "trivy-image-nginx.json").read_text())
    newer["Results"] = newer["Results"][1:]  # the OS packages were patched
    path = tmp_path / "nginx-patched.json"
    path.write_text(json.dumps(newer))
    result = load_reports(graph, [read_report(path)], "trivy")
    assert result.removed["relationships"] == 2  # CVE-2023-44487 (two packages) and CVE-2023-38545
    assert set(links(graph, NGINX_DIGEST)) == {"CVE-2021-44228"}
    assert vuln(graph, "CVE-2023-38545") is not None  # shared vulnerability nodes stay


def test_hosts_by_id_in_artifact_name_or_asset_option(graph, cli_env):
    estate(graph)
    proc = run_cli(cli_env, "load", "trivy", str(SCANNERS / "trivy-vm.json"))
    assert proc.returncode == 0 and "no matching workload" not in proc.stderr, proc.stderr
    assert set(links(graph, INSTANCE)) == {"CVE-2024-6387"}
    assert vuln(graph, "CVE-2024-6387")["rce"] is True  # "remote code execution" in the description

    before = counts(graph)
    proc = run_cli(cli_env, "load", "trivy", str(SCANNERS / "trivy-rootfs.json"), "--asset", "i-missing")
    assert proc.returncode == 1 and "--asset 'i-missing': no asset matches (searched ids" in proc.stderr
    assert counts(graph) == before
    proc = run_cli(cli_env, "load", "trivy", str(SCANNERS / "trivy-rootfs.json"), "--asset", HOST)
    assert proc.returncode == 0, proc.stderr
    assert links(graph, HOST)["CVE-2024-6387"]["fixed"] == "1:8.9p1-3ubuntu0.10"


def test_unmatched_host_report_is_kept_as_artifact(graph):
    result = load_reports(graph, [read_report(SCANNERS / "trivy-rootfs.json")], "trivy")
    assert result.details["unmatched"] == ["/"]
    assert set(links(graph, "artifact:rootfs:/")) == {"CVE-2024-6387"}


def test_kev_and_epss_enrich_existing_vulnerabilities(graph, cli_env, tmp_path):
    load_reports(graph, [read_report(SCANNERS / "trivy-image-nginx.json")], "trivy")
    proc = run_cli(cli_env, "load", "kev", str(SCANNERS / "kev.json"), "--format", "json")
    assert proc.returncode == 0, proc.stderr
    assert json.loads(proc.stdout)["matched"] == 1  # only CVE-2021-44228 of the three is in the graph
    log4j = vuln(graph, "CVE-2021-44228")
    assert (log4j["kev"], log4j["kev_date_added"], log4j["kev_ransomware"]) == (True, "2021-12-10", True)
    assert vuln(graph, "CVE-2014-0160") is None and "kev" not in vuln(graph, "CVE-2023-38545")

    gz = tmp_path / "epss_scores-2024-05-01.csv.gz"
    gz.write_bytes(gzip.compress((SCANNERS / "epss.csv").read_bytes()))
    proc = run_cli(cli_env, "load", "epss", str(gz))
    assert proc.returncode == 0, proc.stderr
    assert "3 matched vulnerabilities" in proc.stderr
    assert (vuln(graph, "CVE-2023-44487")["epss"], vuln(graph, "CVE-2023-44487")["epss_percentile"]) == (0.81948, 0.9895)
    assert vuln(graph, "CVE-2021-44228")["epss_date"] == "2024-05-01"

    withdrawn = json.loads((SCANNERS / "kev.json").read_text())
    withdrawn["vulnerabilities"] = withdrawn["vulnerabilities"][1:]
    path = tmp_path / "kev.json"
    path.write_text(json.dumps(withdrawn))
    proc = run_cli(cli_env, "load", "kev", str(path))
    assert proc.returncode == 0 and "1 no longer listed" in proc.stderr, proc.stderr
    assert vuln(graph, "CVE-2021-44228")["kev"] is False


def _trivy_with(mutate):
    report = json.loads((SCANNERS / "trivy-image-nginx.json").read_text())
    mutate(report)
    return json.dumps(report)


def _set_vuln(field, value):
    def mutate(report):
        report["Results"][0]["Vulnerabilities"][1][field] = value
    return mutate


@pytest.mark.parametrize("loader,name,content,expected", [
    ("trivy", "broken.json", '{"SchemaVersion": 2, "Results": [', "broken.json: not valid JSON"),
    ("trivy", "v1.json", _trivy_with(lambda r: r.update(SchemaVersion=1)), "v1.json: SchemaVersion: Input should be 2"),
    ("trivy", "huge.json", _trivy_with(_set_vuln("Description", "A" * 10_000_000)),
     "huge.json: Results[0].Vulnerabilities[1].Description: String should have at most 65536 characters"),
    ("trivy", "inject.json", _trivy_with(_set_vuln("VulnerabilityID", {"$ne": 1})),
     "inject.json: Results[0].Vulnerabilities[1].VulnerabilityID: Input should be a valid string"),
    ("grype", "grype.json", json.dumps({"matches": [{"vulnerability": {"id": "CVE-2024-1"}}],
                                        "source": {"type": "image", "target": "x"}}),
     "grype.json: matches[0].artifact: Field required"),
    ("kev", "kev.json", json.dumps({"vulnerabilities": [{"cveID": "CVE-2024-1' OR 1=1", "dateAdded": "2024-01-01"}]}),
     "kev.json: vulnerabilities[0].cveID: String should match pattern"),
    ("epss", "epss.csv", "#model_version:v1\ncve,epss,percentile\nCVE-2023-1111,0.5,0.5\nCVE-2023-2222,lots,0.1\n",
     "epss.csv line 4: epss 'lots' is not a number between 0 and 1"),
], ids=["bad-json", "schema-v1", "10mb-string", "operator-object", "grype-shape", "kev-id", "epss-number"])
def test_bad_files_fail_with_one_line_and_leave_the_graph(graph, cli_env, tmp_path, loader, name, content, expected):
    load_reports(graph, [read_report(SCANNERS / "trivy-image-redis.json")], "trivy")
    before = counts(graph)
    path: Path = tmp_path / name
    path.write_text(content)
    proc = run_cli(cli_env, "load", loader, str(path))
    assert proc.returncode == 1
    assert expected in proc.stderr and len(proc.stderr.strip().splitlines()) == 1, proc.stderr
    assert counts(graph) == before
