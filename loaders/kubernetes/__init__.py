"""Kubernetes loader: namespaces, pods, services, ingresses and service accounts, read live through the
official client (kubeconfig or in-cluster) or offline from `kubectl get ... -A -o json` files.
Entry points: ``load_files(graph, files, cluster_id)`` and ``load_live(graph, context, kubeconfig)``."""

from cloudmap.loaders.kubernetes.load import load_files, load_live

__all__ = ["load_files", "load_live"]
