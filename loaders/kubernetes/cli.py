"""`cloudmap load kubernetes`: a cluster through its API, or offline from `kubectl get -o json` files."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from cloudmap.loaders.kubernetes.load import load
from cloudmap.loaders.kubernetes.objects import KubernetesInputError
from cloudmap.loaders.kubernetes.source import Live, read_files
from cloudmap.loaders.kubernetes.transform import Cluster

from cloudmap.cli.common import EXIT_ERROR, Format, fail, info, open_graph, output, print_json
from cloudmap.config import settings


def print_summary(summary: dict, fmt: Format) -> None:
    """The sync's outcome: counts written for people, the whole summary for machines."""
    if fmt == Format.json:
        print_json(summary)
    else:
        rows = [{"kind": kind, "written": n} for kind, n in sorted(summary["written"].items())]
        output(rows, fmt, title=f"{summary['sync_id']}: {summary['status']}")
        for err in summary["errors"]:
            info(f"failed: {err}")
    if summary["status"] != "success":
        raise typer.Exit(EXIT_ERROR)


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
    Identity, AKS workload identity). Files may also hold `aws eks describe-pod-identity-association` output.

    Example: kubectl get ns,pods,svc,ingress,sa -A -o json > k8s.json &&
    cloudmap load kubernetes --file k8s.json --cluster-id arn:aws:eks:eu-west-1:123456789012:cluster/prod
    """
    failed: dict[str, str] = {}
    try:
        if files:
            if not cluster_id:
                fail("--cluster-id is required with --file (the files do not say which cluster they come from)")
            objs = read_files(files)
            cluster = Cluster.from_id(cluster_id)
            source = f"kubernetes files {', '.join(p.name for p in files)}"
        else:
            live = Live(context, kubeconfig)
            objs, failed = live.read()
            cluster = Cluster.from_id(cluster_id or live.endpoint, endpoint=live.endpoint, context=live.context,
                                      version=live.version())
            source = f"kubernetes {live.context or live.endpoint}"
        with open_graph(settings()) as graph:
            summary = load(graph, objs, cluster, source, failed=failed, batch_size=settings().batch_size,
                           progress=lambda scope: info(f"loading {scope}"))
    except KubernetesInputError as exc:
        fail(str(exc))
    print_summary(summary, fmt)


def register(app: typer.Typer) -> None:
    app.command("kubernetes")(kubernetes)
