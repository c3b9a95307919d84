"""Writes the corpus: real-format files for every file loader (shaped after each tool's documented
output), and hostile variants of them. Run from the repository root: python tests/corpus/build_corpus.py"""

from __future__ import annotations

import copy
import gzip
import json
from pathlib import Path

HERE = Path(__file__).parent
FIX = HERE.parent / "fixtures"
DEMO = HERE.parent.parent / "cloudmap" / "demo" / "data"


def put(rel: str, data: bytes | str) -> None:
    path = HERE / rel
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data.encode() if isinstance(data, str) else data)


def js(doc) -> str:
    return json.dumps(doc, indent=1) + "\n"


def utf16(text: str) -> bytes:  # what Windows PowerShell's `>` writes
    return text.encode("utf-16")


def bom(text: str) -> bytes:
    return b"\xef\xbb\xbf" + text.encode()


def deep(levels: int = 5000) -> str:
    return "[" * levels + "]" * levels


def gz(text: str) -> bytes:
    return gzip.compress(text.encode(), mtime=0)


def bomb(mb: int = 8) -> bytes:  # a few KB that expand to megabytes of JSON whitespace
    return gzip.compress(b"[" + b" " * (mb << 20) + b"]", mtime=0)


def trivy() -> None:
    nginx = json.loads((FIX / "scanners" / "trivy-image-nginx.json").read_text())
    put("trivy/image-nginx.json", js(nginx))
    unnamed = copy.deepcopy(nginx)
    unnamed["ArtifactName"] = ""
    unnamed["Metadata"].pop("RepoTags", None)
    put("trivy/image-without-artifact-name.json", js(unnamed))
    put("trivy/vm-utf16.json", utf16(js(json.loads((FIX / "scanners" / "trivy-vm.json").read_text()))))
    results = nginx["Results"]
    put("trivy/k8s-cluster.json", js({
        "ClusterName": "kind-prod",
        "Resources": [
            {"Namespace": "shop", "Kind": "Deployment", "Name": "web",
             "Metadata": [{"ImageID": nginx["Metadata"].get("ImageID"), "RepoTags": ["nginx:1.25.3"],
                           "RepoDigests": nginx["Metadata"].get("RepoDigests", [])}],
             "Results": [{**results[0], "Target": "nginx:1.25.3 (debian 12.4)"}]},
            {"Namespace": "shop", "Kind": "ReplicaSet", "Name": "web-7d9f",
             "Results": [{**results[0], "Target": "nginx:1.25.3 (debian 12.4)"}]},
            {"Namespace": "kube-system", "Kind": "DaemonSet", "Name": "agent",
             "Results": [{"Target": "quay.io/acme/agent:2.1 (alpine 3.19)", "Class": "os-pkgs", "Type": "alpine",
                          "Vulnerabilities": [{"VulnerabilityID": "CVE-2023-5363", "PkgName": "libcrypto3",
                                               "InstalledVersion": "3.1.3-r0", "FixedVersion": "3.1.4-r0",
                                               "Severity": "HIGH"}]}]},
            {"Namespace": "shop", "Kind": "ConfigMap", "Name": "settings", "Results": [
                {"Target": "ConfigMap/settings", "Class": "config", "Misconfigurations": []}]}]}))
    put("trivy/hostile-deep.json", deep())
    bad = copy.deepcopy(nginx)
    bad["Results"][0]["Vulnerabilities"][0]["VulnerabilityID"] = "[bold]x[/]"
    put("trivy/[prod]/hostile-markup.json", js(bad))
    put("trivy/hostile-bomb.json.gz", bomb())


def grype() -> None:
    doc = json.loads((FIX / "scanners" / "grype-image-nginx.json").read_text())
    put("grype/image.json", js(doc))
    put("grype/image-bom.json", bom(js(doc)))
    folder = copy.deepcopy(doc)
    folder["source"] = {"type": "directory", "target": "/srv/app"}
    put("grype/directory.json.gz", gz(js(folder)))
    wrong = copy.deepcopy(doc)
    wrong["matches"][0]["vulnerability"] = "GHSA-jfh8-c2jp-5v3q"
    put("grype/hostile-wrong-nested-type.json", js(wrong))
    put("grype/hostile-truncated.json", js(doc)[:700])


def terraform() -> None:
    for name in ("aws-state.json", "aws-plan.json", "azure-state.json"):
        put(f"terraform/{name}", (FIX / "terraform" / name).read_text())
    state = json.loads((FIX / "terraform" / "aws-state.json").read_text())
    put("terraform/aws-state-utf16.json", utf16(js(state)))
    sg = next(r for r in state["values"]["root_module"]["resources"] if r["type"] == "aws_security_group")
    index = state["values"]["root_module"]["resources"].index(sg)
    bad = copy.deepcopy(state)
    bad["values"]["root_module"]["resources"][index]["values"]["ingress"] = "0.0.0.0/0"
    put("terraform/hostile-ingress-string.json", js(bad))
    put("terraform/hostile-deep.json", deep())


def kubernetes() -> None:
    cluster = json.loads((FIX / "kubernetes" / "cluster.json").read_text())
    put("kubernetes/cluster.json", js(cluster))
    put("kubernetes/ingresses.json", (FIX / "kubernetes" / "ingresses.json").read_text())
    put("kubernetes/cluster-utf16.json", utf16(js(cluster)))
    bad = copy.deepcopy(cluster)
    pod = next(i for i in bad["items"] if i["kind"] == "Pod")
    pod["spec"]["containers"] = "nginx"
    put("kubernetes/hostile-containers-string.json", js(bad))
    put("kubernetes/hostile-bomb.json.gz", bomb())


def azure() -> None:
    for name in ("resources.json", "containers.json", "authorization.json"):
        put(f"azure/{name}", (FIX / "azure" / name).read_text())
    res = json.loads((FIX / "azure" / "resources.json").read_text())
    put("azure/resources-utf16.json", utf16(js(res)))
    bad = copy.deepcopy(res)
    vm = next(r for r in bad["data"] if r["type"] == "microsoft.compute/virtualmachines")
    vm["properties"]["networkProfile"]["networkInterfaces"] = vm["properties"]["networkProfile"]["networkInterfaces"][0]["id"]
    put("azure/hostile-vm-nics-string.json", js(bad))
    put("azure/hostile-deep.json", deep())


def kev() -> None:
    doc = json.loads((DEMO / "kev.json").read_text())
    put("kev/known_exploited_vulnerabilities.json", js(doc))
    put("kev/known_exploited_vulnerabilities.json.gz", gz(js(doc)))
    put("kev/kev-utf16.json", utf16(js(doc)))
    bad = copy.deepcopy(doc)
    bad["vulnerabilities"][1].pop("cveID")
    put("kev/hostile-missing-cve.json", js(bad))
    put("kev/hostile-bomb.json.gz", bomb())


def epss() -> None:
    text = (DEMO / "epss.csv").read_text()
    put("epss/epss_scores-2024-05-13.csv", text)
    put("epss/epss_scores-2024-05-13.csv.gz", gz(text))
    put("epss/epss-bom.csv", bom(text))
    lines = text.splitlines()
    put("epss/hostile-bad-probability.csv", "\n".join([*lines[:3], "CVE-2023-38545,[red]1.5[/],0.9", *lines[3:]]) + "\n")
    put("epss/hostile-bomb.csv.gz", gzip.compress(b"cve,epss,percentile\n" + b"CVE-2021-44228,0.5,0.5\n" * 400_000,
                                                  mtime=0))


def classification() -> None:
    text = (DEMO / "classification.yaml").read_text()
    put("classification/classification.yaml", text)
    put("classification/e2e.yaml", (FIX / "e2e" / "classification.yaml").read_text())
    put("classification/classification-utf16.yaml", utf16(text))
    put("classification/hostile-alias-bomb.yaml", "version: 1\na: &a [x, x, x, x, x, x, x, x, x]\n"
        "b: &b [*a, *a, *a, *a, *a, *a, *a, *a, *a]\nc: &c [*b, *b, *b, *b, *b, *b, *b, *b, *b]\n"
        "d: [*c, *c, *c, *c, *c, *c, *c, *c, *c]\n")
    put("classification/hostile-wrong-type.yaml", "version: 1\ndata:\n  - match: {name: orders-db}\n"
        "    stores: credit-card-number\n")


def graph() -> None:
    doc = {"version": 1,
           "nodes": [{"kind": "ContainerImage", "id": "sha256:" + "a1" * 32, "properties": {"name": "nginx:1.25.3"}},
                     {"kind": "OnPremServer", "labels": ["VirtualMachine"], "id": "cmdb:srv-0042",
                      "properties": {"name": "srv-0042", "rack": "r12", "os": "rhel 9"}},
                     {"kind": "Vulnerability", "id": "CVE-2023-44487", "properties": {"severity": "high"}}],
           "edges": [{"type": "RUNS_IMAGE", "source": "cmdb:srv-0042", "target": "sha256:" + "a1" * 32},
                     {"type": "HAS_VULNERABILITY", "source": "sha256:" + "a1" * 32, "target": "CVE-2023-44487",
                      "properties": {"package": "nghttp2", "source": "manual"}}]}
    put("graph/onprem.json", js(doc))
    put("graph/onprem-bom.json", bom(js(doc)))
    put("graph/onprem-utf16.json", utf16(js(doc)))
    bad = copy.deepcopy(doc)
    bad["nodes"][1]["properties"] = "rack r12"
    put("graph/hostile-wrong-nested-type.json", js(bad))
    put("graph/hostile-deep.json", deep())


if __name__ == "__main__":
    for build in (trivy, grype, terraform, kubernetes, azure, kev, epss, classification, graph):
        build()
