"""`cloudmap load kubernetes`: a cluster through its API, or offline from `kubectl get -o json` files."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from cloudmap.cli.common import Format, fail, info, open_graph
from cloudmap.cli.sources import print_summary
from cloudmap.config import settings
from cloudmap.loaders.kubernetes import load_files, load_live
from cloudmap.loaders.kubernetes.objects import KubernetesInputError


def kubernetes(
    files: Annotated[list[Path] | None, typer.Option(
        "--file", "-f", help="`kubectl get namespaces,pods,services,ingresses,serviceaccounts -A -o json` "
                             "output (repeatable); reads no cluster")] = None,
    context: Annotated[str | None, typer.Option(
        "--context", help="kubeconfig context (default: the current one)")] = None,
    kubeconfig: Annotated[Path | None, typer.Option(
        "--kubeconfig", help="kubeconfig file (default: $KUBECONFIG, ~/.kube/config, else in-cluster)")] = None,
    cluster_id: Annotated[str | None, typer.Option(
        "--cluster-id", help="EKS cluster ARN, AKS resource id or any stable name (default: the API server "
                             "URL); required with --file")] = None,
    fmt: Annotated[Format, typer.Option("--format", help="table or json")] = Format.table,
) -> None:
    """Load namespaces, pods (images, privileges), services, ingresses and service accounts (IRSA, EKS Pod
    Identity, AKS workload identity). Pod env values and ConfigMap data are scanned for credentials (only
    their kind, place and fingerprint are kept). Files may also hold `aws eks describe-pod-identity-association`
    output.

    Example: kubectl get ns,pods,svc,ingress,sa,configmaps -A -o json > k8s.json &&
    cloudmap load kubernetes --file k8s.json --cluster-id arn:aws:eks:eu-west-1:123456789012:cluster/prod
    """
    if files and not cluster_id:
        fail("--cluster-id is required with --file (the files do not say which cluster they come from)")
    progress = lambda scope: info(f"loading {scope}")  # noqa: E731
    try:
        with open_graph(settings()) as graph:
            if files:
                summary = load_files(graph, files, cluster_id, settings().batch_size, progress)
            else:
                summary = load_live(graph, context, kubeconfig, cluster_id, settings().batch_size, progress)
    except KubernetesInputError as exc:
        fail(str(exc))
    print_summary(summary, fmt)


def register(app: typer.Typer) -> None:
    app.command("kubernetes")(kubernetes)
