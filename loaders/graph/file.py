"""Custom graph files: nodes and edges in cloudmap's model for sources it does not support yet.

The format is documented in docs/custom-graph.md. The whole file is checked (shape, kinds,
properties, edge types and their ends, in the file or already in the graph) before the first write."""

from __future__ import annotations

import re
from collections import defaultdict
from pathlib import Path
from typing import Annotated, Any, Literal

from cloudmap.loaders.inputfile import MAX_TEXT, Id, InputError, describe, parse, read_json
from cloudmap.loaders.kit import LoadSummary
from cloudmap.loaders.kit.link import link
from pydantic import BaseModel, ConfigDict, StringConstraints

from cloudmap.graph.driver import Graph
from cloudmap.graph.ingest import Sync
from cloudmap.graph.model import (
    ASSET_PROPS,
    NodeKind,
    Prop,
    RelKind,
    RowError,
    node_kinds,
    rel_kinds,
    validate_row,
)

# The agnostic labels a custom kind may carry (docs/graph-model.md); provider labels are the kind itself.
VOCABULARY = frozenset({
    "Account", "Network", "Subnet", "RouteTable", "SecurityGroup", "FirewallRule", "NetworkInterface",
    "PublicIP", "LoadBalancer", "Gateway", "VirtualMachine", "Function", "Cluster", "Pod", "ContainerImage",
    "Identity", "User", "Group", "Role", "ServicePrincipal", "ManagedIdentity", "Policy", "RoleDefinition",
    "RoleAssignment", "DataStore", "Bucket", "StorageAccount", "Database", "Table", "Snapshot", "Secret", "Key",
    "Artifact"})
Name = Annotated[str, StringConstraints(pattern=r"^[A-Za-z][A-Za-z0-9_]{0,63}$")]
RelType = Annotated[str, StringConstraints(pattern=r"^[A-Z][A-Z0-9_]{0,63}$")]
MAX_LIST = 1000


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class NodeIn(_Strict):
    kind: Name
    id: Id
    labels: list[Name] = []
    properties: dict[Name, Any] = {}


class EdgeIn(_Strict):
    type: RelType
    source: Id
    target: Id
    properties: dict[Name, Any] = {}


class GraphFile(_Strict):
    version: Literal[1]
    nodes: list[NodeIn] = []
    edges: list[EdgeIn] = []


def _scalar_type(value: Any, where: str) -> str:
    if isinstance(value, bool):
        return "bool"
    if isinstance(value, int):
        return "int"
    if isinstance(value, float):
        return "float"
    if isinstance(value, str):
        if len(value) > MAX_TEXT:
            raise InputError(f"{where}: longer than {MAX_TEXT} characters")
        return "str"
    if isinstance(value, list) and len(value) <= MAX_LIST and all(isinstance(v, str) and len(v) <= MAX_TEXT
                                                                   for v in value):
        return "list[str]"
    raise InputError(f"{where}: {describe(value)} is not a string, number, boolean or list of strings")


def _custom_kind(node: NodeIn, where: str, known: dict[str, NodeKind]) -> NodeKind:
    bad = [label for label in node.labels if label not in VOCABULARY]
    if bad:
        raise InputError(f"{where}.labels: {bad[0]!r} is not in the agnostic vocabulary "
                         f"({', '.join(sorted(VOCABULARY))})")
    asset = {p.name for p in ASSET_PROPS}
    extra = tuple(Prop(k, _scalar_type(v, f"{where}.properties.{k}"))
                  for k, v in sorted(node.properties.items()) if k not in asset)
    return NodeKind(node.kind, ("Asset", *dict.fromkeys(node.labels), node.kind), extra,
                    "custom kind from a graph file", module="custom")


def _kind_for(node: NodeIn, where: str, known: dict[str, NodeKind], custom: dict[str, NodeKind]) -> NodeKind:
    if node.kind in known:
        if node.labels and set(node.labels) - set(known[node.kind].labels):
            raise InputError(f"{where}.labels: {node.kind} is a declared kind; its labels are "
                             f"{':'.join(known[node.kind].labels)}")
        return known[node.kind]
    if not node.labels:
        raise InputError(f"{where}.kind: unknown kind {node.kind!r}; use a declared kind or give \"labels\" "
                         f"from the agnostic vocabulary to add a custom one")
    kind = _custom_kind(node, where, known)
    prev = custom.get(node.kind)
    if prev and prev.labels != kind.labels:
        raise InputError(f"{where}.labels: differ from an earlier node of custom kind {node.kind}")
    if prev:  # the union of properties seen on this kind, first type wins
        names = {p.name for p in prev.properties}
        kind = NodeKind(prev.name, prev.labels, prev.properties + tuple(p for p in kind.properties
                                                                         if p.name not in names),
                        prev.description, module="custom")
    custom[node.kind] = kind
    return kind


def _row_error(where: str, exc: RowError) -> InputError:
    """``Kind 'id': field 'x': expected float, ...`` -> ``nodes[3].properties.x: expected float, ...``"""
    found = re.search(r"(undeclared field|field) '([^']+)'(?:: (.*))?$", str(exc))
    if not found:
        return InputError(f"{where}.properties: {str(exc).split(': ', 1)[-1]}")
    undeclared, name, rest = found.group(1) != "field", found.group(2), found.group(3)
    return InputError(f"{where}.properties.{name}: {'undeclared for this kind' if undeclared else rest}")


def _check_sizes(where: str, properties: dict) -> None:
    for name, value in properties.items():
        values = value if isinstance(value, list) else [value]
        if isinstance(value, list) and len(value) > MAX_LIST:
            raise InputError(f"{where}.properties.{name}: more than {MAX_LIST} items")
        if any(isinstance(v, str) and len(v) > MAX_TEXT for v in values):
            raise InputError(f"{where}.properties.{name}: longer than {MAX_TEXT} characters")


def _end_fits(end: NodeKind | str, labels: set[str]) -> bool:
    return (end.name if isinstance(end, NodeKind) else end) in labels


def plan(graph: Graph, spec: GraphFile, path: Path) -> tuple[dict[NodeKind, list[dict]], dict[RelKind, list[dict]]]:
    """Validate everything; returns the rows to write per kind (nothing is written here)."""
    known, custom = node_kinds(), {}
    kinds: list[NodeKind] = []
    seen: dict[str, int] = {}
    for i, node in enumerate(spec.nodes):
        where = f"{path}: nodes[{i}]"
        _check_sizes(where, node.properties)
        if node.id in seen:
            raise InputError(f"{where}.id: {node.id!r} repeats nodes[{seen[node.id]}]")
        seen[node.id] = i
        kinds.append(_kind_for(node, where, known, custom))
    node_rows: dict[NodeKind, list[dict]] = defaultdict(list)
    labels_of: dict[str, set[str]] = {}
    for i, (node, kind) in enumerate(zip(spec.nodes, kinds, strict=True)):
        kind = custom.get(node.kind, kind)
        row = {**node.properties, "id": node.id}
        if kind.is_asset:
            row.setdefault("provider", "custom")
            row.setdefault("name", node.id)
        try:
            validate_row(kind, row)
        except RowError as exc:
            raise _row_error(f"{path}: nodes[{i}]", exc) from None
        node_rows[kind].append(row)
        labels_of[node.id] = set(kind.labels)
    outside = sorted({e for edge in spec.edges for e in (edge.source, edge.target)} - set(labels_of))
    for r in graph.read("MATCH (n) WHERE n.id IN $ids AND (n:Asset OR n:Vulnerability OR n:SensitiveInfoType "
                        "OR n:Internet) RETURN n.id AS id, labels(n) AS labels", ids=outside):
        labels_of[r["id"]] = set(r["labels"])
    by_type: dict[str, list[RelKind]] = defaultdict(list)
    for rk in rel_kinds().values():
        by_type[rk.type].append(rk)
    rel_rows: dict[RelKind, list[dict]] = defaultdict(list)
    for i, edge in enumerate(spec.edges):
        where = f"{path}: edges[{i}]"
        _check_sizes(where, edge.properties)
        if edge.type not in by_type:
            raise InputError(f"{where}.type: unknown relationship type {edge.type!r}")
        for end in ("source", "target"):
            if getattr(edge, end) not in labels_of:
                raise InputError(f"{where}.{end}: no node {getattr(edge, end)!r} in the file or the graph")
        src, tgt = labels_of[edge.source], labels_of[edge.target]
        fits = [rk for rk in by_type[edge.type] if _end_fits(rk.source, src) and _end_fits(rk.target, tgt)]
        if not fits:
            allowed = "; ".join(rk.name for rk in by_type[edge.type])
            raise InputError(f"{where}: {edge.type} does not connect {edge.source!r} to {edge.target!r} "
                             f"(declared: {allowed})")
        row = {"source": edge.source, "target": edge.target, "props": dict(edge.properties)}
        try:
            validate_row(fits[0], row)
        except RowError as exc:
            raise _row_error(where, exc) from None
        rel_rows[fits[0]].append(row)
    return node_rows, rel_rows


def load_graph_file(graph: Graph, path: Path) -> LoadSummary:
    spec = parse(GraphFile, read_json(path), path)
    node_rows, rel_rows = plan(graph, spec, path)
    with Sync(graph, provider="custom", source=f"graph {path.name}") as sync:
        with sync.scope(f"custom/{path.name}") as sc:
            for kind, rows in node_rows.items():
                sc.nodes(kind, rows)
            for rk, rows in rel_rows.items():
                sc.rels(rk, rows)
        link(sync)
    return LoadSummary.of(sync)
