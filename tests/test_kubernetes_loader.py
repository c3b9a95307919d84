"""The Kubernetes loader: offline `kubectl get -o json` files and the live API (a local stdlib HTTP
server reached through a temporary kubeconfig), both through the real CLI into a real Neo4j."""

from __future__ import annotations

import json
import re
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import pytest
from cloudmap.loaders.kubernetes.load import load
from cloudmap.loaders.kubernetes.source import read_files
from cloudmap.loaders.kubernetes.transform import Cluster

from tests.conftest import FIXTURES
from tests.helpers import assert_nowhere, graph_text, run_cli, send_json

K8S = FIXTURES / "kubernetes"
EKS_ARN = "arn:aws:eks:eu-west-1:123456789012:cluster/prod"
ROLE_ARN = "arn:aws:iam::123456789012:role/web-irsa"
DIGEST = "sha256:" + "a1" * 32
C = f"kubernetes:{EKS_ARN}"
TOKEN = "k8s-test-token-do-not-store"


def cloud_nodes(graph, endpoint="https://abc.gr7.eu-west-1.eks.amazonaws.com"):
    """What the AWS loader would have written: the EKS cluster and the IRSA role."""
    graph.write("CREATE (:Asset:Cluster:AWSEKSCluster {id: $arn, name: 'prod', endpoint: $endpoint}) "
                "CREATE (:Asset:Identity:Role:AWSRole {id: $role, name: 'web-irsa'})",
                arn=EKS_ARN, role=ROLE_ARN, endpoint=endpoint)


def triples(graph, prefix=""):
    rows = graph.read("MATCH (a)-[r]->(b) WHERE a.id STARTS WITH $p AND type(r) <> 'SAME_AS' "
                      "RETURN a.id AS a, type(r) AS t, b.id AS b", p=prefix)
    return {(r["a"].removeprefix(prefix), r["t"], r["b"].removeprefix(prefix)) for r in rows}


def count_all(graph):
    return graph.read("MATCH (n) WHERE NOT n:Sync AND NOT n:SchemaVersion WITH count(n) AS n "
                      "OPTIONAL MATCH ()-[r]->() RETURN n, count(r) AS r")[0]


def test_offline_files_through_the_cli(graph, cli_env):
    cloud_nodes(graph)
    proc = run_cli(cli_env, "load", "kubernetes", "--file", str(K8S / "cluster.json"), "--file",
                   str(K8S / "ingresses.json"), "--cluster-id", EKS_ARN, "--format", "json")
    assert proc.returncode == 0, proc.stderr
    summary = json.loads(proc.stdout)
    assert summary["status"] == "success" and summary["ignored_kinds"] == {}
    assert "KubernetesConfigMap" not in summary["written"]   # its data holds no credential
    assert summary["written"]["KubernetesPod"] == 2 and summary["warnings"] == 0

    ns, pod = "/namespaces/shop", "/namespaces/shop/pods/web-7d9f"
    agent = "/namespaces/kube-system/pods/node-agent-x2"
    got = triples(graph, C)
    assert {("", "CONTAINS", ns), (ns, "CONTAINS", pod),
            (ns + "/services/web", "ROUTES_TO", pod), (ns + "/services/web-internal", "ROUTES_TO", pod),
            (ns + "/ingresses/shop", "ROUTES_TO", ns + "/services/web"),
            (pod, "RUNS_IMAGE", DIGEST), (pod, "USES_IDENTITY", ns + "/serviceaccounts/web"),
            (ns + "/serviceaccounts/web", "USES_IDENTITY", ROLE_ARN),
            (agent, "RUNS_IMAGE", "quay.io/acme/agent:2.1")} <= got
    # a selector only matches pods of its own namespace with every label
    assert not {t for t in got if t[1] == "ROUTES_TO" and t[0].startswith(ns) and "kube-system" in t[2]}

    same = graph.read("MATCH (k:KubernetesCluster)-[r:SAME_AS]->(c:Cluster) RETURN k.id AS k, c.id AS c, "
                      "r.matched_by AS m, k.account_id AS acct, k.region AS region")
    assert same == [{"k": C, "c": EKS_ARN, "m": "id", "acct": "123456789012", "region": "eu-west-1"}]
    lb = graph.read("MATCH (s:KubernetesService) RETURN s.name AS n, s.service_type AS t, s.scheme AS scheme, "
                    "s.ingress_hostnames AS h, s.node_ports AS np ORDER BY n")
    assert lb == [{"n": "agent-metrics", "t": "ClusterIP", "scheme": None, "h": [], "np": []},
                  {"n": "web", "t": "LoadBalancer", "scheme": "internet-facing",
                   "h": ["a1b2-123.eu-west-1.elb.amazonaws.com"], "np": ["31080/TCP"]},
                  {"n": "web-internal", "t": "LoadBalancer", "scheme": "internal", "h": [], "np": ["31443/TCP"]}]
    route = graph.read("MATCH (:KubernetesService {name: 'web'})-[r:ROUTES_TO]->(:Pod) RETURN r.ports AS p")
    assert route == [{"p": ["8080"]}]
    img = graph.read("MATCH (i:ContainerImage {id: $d}) RETURN labels(i) AS l, i.tags_list AS t, i.scope AS s", d=DIGEST)
    assert img == [{"l": ["Asset", "ContainerImage"], "t": ["nginx:1.25"], "s": None}]
    irsa = graph.read("MATCH (:ServiceAccount {name: 'web'})-[r:USES_IDENTITY]->(:Role) RETURN r.via AS via")
    assert irsa == [{"via": "irsa"}]
    pods = graph.read("MATCH (p:Pod) RETURN p.name AS n, labels(p) AS l, p.host_network AS hn, p.privileged AS priv, "
                      "p.run_as_root AS root, p.host_path_volumes AS hp, p.tags AS tags ORDER BY n")
    assert pods == [
        {"n": "node-agent-x2", "l": ["Asset", "Pod", "KubernetesPod"], "hn": True, "priv": True, "root": True,
         "hp": ["/"], "tags": ["app=node-agent"]},
        {"n": "web-7d9f", "l": ["Asset", "Pod", "KubernetesPod"], "hn": False, "priv": False, "root": False,
         "hp": [], "tags": ["app=web", "tier=front"]}]
    ing = graph.read("MATCH (i:Ingress) RETURN i.public AS p, i.hosts AS h, i.tls AS tls, i.ingress_class AS c")
    assert ing == [{"p": True, "h": ["shop.example.com"], "tls": True, "c": "alb"}]
    sa = graph.read("MATCH (s:Identity:ServiceAccount) RETURN s.name + '@' + s.namespace AS n, "
                    "s.automount_token AS m ORDER BY n")
    assert sa == [{"n": "default@kube-system", "m": True}, {"n": "default@shop", "m": False},
                  {"n": "web@shop", "m": True}]


def test_reload_cleans_per_kind_and_keeps_unlisted_kinds(graph, tmp_path):
    objs = read_files([K8S / "cluster.json", K8S / "ingresses.json"])
    cluster = Cluster.from_id(EKS_ARN)
    load(graph, objs, cluster, "first")
    # second load: the agent pod is gone, and no ingresses are listed at all
    doc = json.loads((K8S / "cluster.json").read_text())
    doc["items"] = [i for i in doc["items"] if i["metadata"]["name"] != "node-agent-x2"]
    (tmp_path / "k.json").write_text(json.dumps(doc))
    summary = load(graph, read_files([tmp_path / "k.json"]), cluster, "second")
    # the kind it no longer lists keeps its assets and is reported (--allow-empty would empty it)
    assert summary.status == "partial" and summary.removed["nodes"] == 1
    assert summary.scopes_suspect == [cluster.scope("ingresses")]
    names = {r["n"] for r in graph.read("MATCH (p:Pod) RETURN p.name AS n")}
    assert names == {"web-7d9f"}
    assert graph.read("MATCH (i:Ingress)-[:ROUTES_TO]->(s) RETURN s.name AS s") == [{"s": "web"}]
    # the image the removed pod ran is shared with the scanners: it stays
    assert graph.read("MATCH (i:ContainerImage {id: 'quay.io/acme/agent:2.1'}) RETURN count(i) AS c") == [{"c": 1}]


@pytest.mark.parametrize("mutate, message", [
    (lambda d: d["items"][5]["metadata"].pop("namespace"), r"items\[5\] \(Pod web-7d9f\): field 'metadata.namespace'"),
    (lambda d: d["items"][5]["spec"]["containers"][0].pop("image"), (r"items\[5\] \(Pod shop/web-7d9f\): "
                                                                     r"container 0: field 'image'")),
    (lambda d: d["items"][8]["spec"].update(ports="80"), r"items\[8\]: field 'spec.ports' must be list"),
])
def test_malformed_file_is_one_error_and_graph_unchanged(graph, cli_env, tmp_path, mutate, message):
    load(graph, read_files([K8S / "cluster.json"]), Cluster.from_id(EKS_ARN), "before")
    before = count_all(graph)
    doc = json.loads((K8S / "cluster.json").read_text())
    mutate(doc)
    bad = tmp_path / "bad.json"
    bad.write_text(json.dumps(doc))
    proc = run_cli(cli_env, "load", "kubernetes", "--file", str(bad), "--cluster-id", EKS_ARN)
    assert proc.returncode == 1
    lines = [line for line in proc.stderr.splitlines() if line.strip()]
    assert len(lines) == 1 and lines[0].startswith(f"error: {bad}: ")
    assert re.search(message, lines[0]), lines[0]
    assert count_all(graph) == before


def test_not_json_and_missing_cluster_id(cli_env, tmp_path):
    bad = tmp_path / "x.json"
    bad.write_text("{not json")
    proc = run_cli(cli_env, "load", "kubernetes", "--file", str(bad), "--cluster-id", "c1")
    assert proc.returncode == 1 and f"{bad}: not valid JSON" in proc.stderr
    proc = run_cli(cli_env, "load", "kubernetes", "--file", str(K8S / "cluster.json"))
    assert proc.returncode == 1 and "--cluster-id is required with --file" in proc.stderr


# -- the live path ------------------------------------------------------------------------------------

def _api_lists() -> dict[str, list[dict]]:
    """The fixture objects as the API lists them (items carry no `kind`)."""
    items = json.loads((K8S / "cluster.json").read_text())["items"]
    out: dict[str, list[dict]] = {}
    for item in items:
        out.setdefault(item["kind"], []).append({k: v for k, v in item.items() if k != "kind"})
    return out


class FakeApiServer(ThreadingHTTPServer):
    """Answers the list endpoints the loader reads; pods come in two pages, ingresses are forbidden."""

    def __init__(self):
        super().__init__(("127.0.0.1", 0), _Handler)
        self.lists = _api_lists()
        self.seen: list[tuple[str, str | None]] = []


class _Handler(BaseHTTPRequestHandler):
    server: FakeApiServer

    def log_message(self, *args):  # keep test output quiet
        pass

    def _send(self, status: int, body: dict) -> None:
        send_json(self, status, body)

    def do_GET(self):
        url = urlsplit(self.path)
        query = parse_qs(url.query)
        self.server.seen.append((url.path, self.headers.get("Authorization")))
        kinds = {"/api/v1/namespaces": "Namespace", "/api/v1/pods": "Pod", "/api/v1/services": "Service",
                 "/api/v1/serviceaccounts": "ServiceAccount", "/api/v1/configmaps": "ConfigMap"}
        if url.path == "/version":
            return self._send(200, {"gitVersion": "v1.30.2-eks-1"})
        if url.path == "/apis/networking.k8s.io/v1/ingresses":
            return self._send(403, {"kind": "Status", "status": "Failure", "reason": "Forbidden", "code": 403})
        if url.path not in kinds:
            return self._send(404, {"kind": "Status", "code": 404})
        items = self.server.lists.get(kinds[url.path], [])
        meta: dict = {"resourceVersion": "1"}
        if kinds[url.path] == "Pod":
            page = query.get("continue", [""])[0]
            items, meta = (items[1:], meta) if page == "page-2" else (items[:1], {**meta, "continue": "page-2"})
        return self._send(200, {"kind": f"{kinds[url.path]}List", "apiVersion": "v1", "metadata": meta, "items": items})


@pytest.fixture
def api_server():
    server = FakeApiServer()
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield server
    server.shutdown()
    server.server_close()


def _kubeconfig(path: Path, server: str) -> Path:
    path.write_text(json.dumps({  # kubeconfig is YAML; JSON is YAML too
        "apiVersion": "v1", "kind": "Config", "current-context": "test",
        "clusters": [{"name": "local", "cluster": {"server": server}}],
        "users": [{"name": "tester", "user": {"token": TOKEN}}],
        "contexts": [{"name": "test", "context": {"cluster": "local", "user": "tester"}}]}))
    return path


def test_live_api_through_kubeconfig(graph, cli_env, tmp_path, api_server):
    endpoint = f"http://127.0.0.1:{api_server.server_address[1]}"
    cloud_nodes(graph, endpoint=endpoint)
    env = {**cli_env, "KUBECONFIG": str(_kubeconfig(tmp_path / "kubeconfig", endpoint))}
    github = "ghp_" + "".join(("Lv", "3q") * 9)   # planted in a ConfigMap the API lists
    api_server.lists["ConfigMap"].append({"metadata": {"name": "release", "namespace": "shop"},
                                          "data": {"GITHUB_TOKEN": github}})
    proc = run_cli(env, "load", "kubernetes", "--format", "json")
    # ingresses are forbidden: that scope fails (its earlier data would be kept), the rest is loaded
    assert proc.returncode == 1, proc.stderr
    summary = json.loads(proc.stdout)
    assert summary["status"] == "partial"
    assert summary["scopes_failed"] == [f"kubernetes/{endpoint}/ingresses"]
    assert "HTTP 403" in summary["errors"][0]
    assert ("/api/v1/pods", f"Bearer {TOKEN}") in api_server.seen
    assert len([p for p, _ in api_server.seen if p == "/api/v1/pods"]) == 2  # followed the continue token

    cid = f"kubernetes:{endpoint}"
    cluster = graph.read("MATCH (k:KubernetesCluster)-[r:SAME_AS]->(c) RETURN k.id AS k, k.context AS ctx, "
                         "k.version AS v, r.matched_by AS m, c.id AS c")
    assert cluster == [{"k": cid, "ctx": "test", "v": "v1.30.2-eks-1", "m": "endpoint", "c": EKS_ARN}]
    got = triples(graph, cid)
    assert {("/namespaces/shop/services/web", "ROUTES_TO", "/namespaces/shop/pods/web-7d9f"),
            ("/namespaces/shop/pods/web-7d9f", "RUNS_IMAGE", DIGEST),
            ("/namespaces/shop/serviceaccounts/web", "USES_IDENTITY", ROLE_ARN)} <= got
    assert graph.read("MATCH (p:Pod {privileged: true, host_network: true}) RETURN p.name AS n") == [
        {"n": "node-agent-x2"}]
    assert graph.read("MATCH (c:KubernetesConfigMap)-[h:HOLDS_CREDENTIAL]->(t:Credential) "
                      "RETURN c.name AS c, h.where AS where, t.kind AS kind") == [
        {"c": "release", "where": ["GITHUB_TOKEN"], "kind": "github-token"}]
    # neither the bearer token nor the planted one reaches the output or the graph
    assert_nowhere([TOKEN, github], output=proc.stdout + proc.stderr, graph=graph_text(graph))


def test_unreachable_api_server_is_one_error(cli_env, tmp_path):
    from cloudmap.db.server import free_port
    endpoint = f"http://127.0.0.1:{free_port()}"
    env = {**cli_env, "KUBECONFIG": str(_kubeconfig(tmp_path / "kubeconfig", endpoint))}
    proc = run_cli(env, "load", "kubernetes")
    assert proc.returncode == 1
    lines = [line for line in proc.stderr.splitlines() if line.strip()]
    assert lines == [f"error: cannot reach the API server {endpoint}: MaxRetryError"], proc.stderr
