"""Write one cluster's rows as one sync, a scope per kind (`kubernetes/<cluster>/pods`, ...)."""

from __future__ import annotations

from pathlib import Path

from cloudmap.loaders.kit import LoadSummary
from cloudmap.loaders.kit.link import link
from cloudmap.loaders.kubernetes.objects import Objects
from cloudmap.loaders.kubernetes.transform import Cluster, transform

from cloudmap.graph.driver import Graph
from cloudmap.graph.ingest import Sync

# Written in this order; relationships always after every node.
SCOPES = ("cluster", "namespaces", "serviceaccounts", "pod-identities", "pods", "services", "ingresses",
          "configmaps")
_SCOPE_OF_KIND = {"Namespace": "namespaces", "ServiceAccount": "serviceaccounts", "Pod": "pods",
                  "Service": "services", "Ingress": "ingresses", "ConfigMap": "configmaps"}


def load(graph: Graph, objs: Objects, cluster: Cluster, source: str, failed: dict[str, str] | None = None,
         batch_size: int | None = None, progress=None) -> LoadSummary:
    """``failed`` maps a kind the API refused to the reason: its scope keeps its earlier data."""
    rows = transform(objs, cluster)  # every input error is raised here, before anything is written
    failed_scopes = {cluster.scope(_SCOPE_OF_KIND[kind]): msg for kind, msg in (failed or {}).items()}
    kw = {"batch_size": batch_size} if batch_size else {}
    with Sync(graph, provider="kubernetes", source=source, progress=progress, **kw) as sync:
        # every kind the cluster held counts as listed: an input without pods is refused, not ignored
        rows.write(sync, failed=failed_scopes, order=[cluster.scope(name) for name in SCOPES],
                   held=sync.held_scopes(cluster.scope("")))
        link(sync)
    return LoadSummary.of(sync, cluster=cluster.id, ignored_kinds=dict(sorted(objs.ignored.items())))


def source_of(cluster: Cluster) -> str:
    """One source (one lease, one line in /health) per cluster, whether read from files or its API."""
    return f"kubernetes {cluster.key}"


def load_files(graph: Graph, files: list[Path], cluster_id: str, batch_size: int | None = None,
               progress=None) -> LoadSummary:
    """`kubectl get ... -o json` files of one cluster (which the files cannot say: ``cluster_id``)."""
    from cloudmap.loaders.kubernetes.source import read_files

    objs = read_files(files)
    cluster = Cluster.from_id(cluster_id)
    return load(graph, objs, cluster, source_of(cluster), batch_size=batch_size, progress=progress)


def load_live(graph: Graph, context: str | None = None, kubeconfig: Path | None = None,
              cluster_id: str | None = None, batch_size: int | None = None, progress=None) -> LoadSummary:
    """The cluster behind a kubeconfig context (or in-cluster), through its API."""
    from cloudmap.loaders.kubernetes.source import Live

    live = Live(context, kubeconfig)
    objs, failed = live.read()
    cluster = Cluster.from_id(cluster_id or live.endpoint, endpoint=live.endpoint, context=live.context,
                              version=live.version())
    return load(graph, objs, cluster, source_of(cluster), failed=failed,
                batch_size=batch_size, progress=progress)
