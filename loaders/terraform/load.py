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


def transform(doc: Document) -> Build:
    """Every row of the document; resource types without a mapping are counted, not fatal."""
    build = Build(doc.resources)
    a, z, g = aws.Aws(build, doc.resources), azure.Azure(build), gcp.Gcp(build)
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


def load(graph: Graph, doc: Document, scope_name: str, batch_size: int | None = None) -> LoadSummary:
    build = transform(doc)  # input errors surface before anything is written
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
