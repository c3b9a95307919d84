"""One Terraform document -> rows -> one sync under the scope `terraform/<state file name or workspace>`."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

from cloudmap.loaders.kit import LoadSummary
from cloudmap.loaders.kit.link import link
from cloudmap.loaders.terraform import aws, azure, gcp, state
from cloudmap.loaders.terraform.build import Build
from cloudmap.loaders.terraform.credentials import add_state_credentials
from cloudmap.loaders.terraform.state import Document

from cloudmap.graph.driver import Graph
from cloudmap.graph.ingest import Sync


def transform(doc: Document, gcp_projects: dict[str, str] | None = None) -> Build:
    """Every row of the document; resource types without a mapping are counted, not fatal.
    ``gcp_projects``: project id -> node of the Google Cloud projects the graph holds already."""
    build = Build(doc.resources)
    a, z, g = aws.Aws(build, doc.resources), azure.Azure(build), gcp.Gcp(build, gcp_projects)
    mapped = []
    for res in doc.resources:
        if res.provider == "aws" or res.type.startswith("aws_"):
            known = a.register(res)
        else:
            known = g.register(res) if res.type.startswith("google_") else z.register(res)
        if known:
            mapped.append(res)
        else:
            build.unknown[res.type] += 1
    if any(r.type.startswith("aws_") for r in mapped):
        a.account_row()
    order = {t: i for i, t in enumerate([*aws.ORDER, *azure.MAPPERS, *gcp.MAPPERS])}
    for res in sorted(mapped, key=lambda r: order[r.type]):
        if res.type in aws.MAPPERS:
            aws.MAPPERS[res.type](a, res)
        elif res.type in gcp.MAPPERS:
            gcp.MAPPERS[res.type](g, res)
        else:
            azure.MAPPERS[res.type](z, res)
    return build


def held_elsewhere(graph: Graph, build: Build, scope: str) -> set[str]:
    """The nodes the document references that the graph holds under another scope (or none)."""
    ids = sorted({i for rows in build.references.values() for i in rows})
    return {r["id"] for r in graph.read_values("MATCH (n:Asset) WHERE n.id IN $ids AND coalesce(n.scope, '') <> $scope "
                                               "RETURN n.id AS id", ids=ids, scope=scope)} if ids else set()


def load(graph: Graph, doc: Document, scope_name: str, batch_size: int | None = None) -> LoadSummary:
    has_gcp = any(r.type.startswith("google_") for r in doc.resources)
    build = transform(doc, gcp.known_projects(graph) if has_gcp else None)  # input errors: before any write
    build.add_references(held_elsewhere(graph, build, f"terraform/{scope_name}"))
    credentials = add_state_credentials(build, doc, scope_name)
    kw = {"batch_size": batch_size} if batch_size else {}
    with Sync(graph, provider="terraform", source=f"terraform {doc.kind} {doc.path.name}", **kw) as sync:
        build.write(sync, f"terraform/{scope_name}")
        link(sync)
    return LoadSummary.of(sync, document=doc.kind, resources=len(doc.resources),
                          planned=sum(1 for kind in build.nodes for r in build.rows_of(kind) if r.get("planned")),
                          unknown_types=dict(sorted(Counter(build.unknown).items())), credentials=credentials)


def load_file(graph: Graph, path: Path, workspace: str | None = None, batch_size: int | None = None) -> LoadSummary:
    """A `terraform show -json` file; its scope is the workspace name, else the file name."""
    return load(graph, state.read(path), workspace or Path(path).stem, batch_size)
