"""Facts one source adds to nodes another source owns: KEV marks and EPSS scores on vulnerabilities,
crown-jewel criticality on assets. Only declared properties, on nodes that exist; the owner's
``sync_id`` and ``scope`` stay as they are, so the owner's cleanup is unaffected."""

from __future__ import annotations

from collections.abc import Iterable

from cloudmap.graph.driver import Graph
from cloudmap.graph.ingest import batched
from cloudmap.graph.model import ASSET_PROPS, NodeKind, Prop, RowError, coerce

BATCH = 5000
ASSET = ("Asset", {p.name: p for p in ASSET_PROPS})


def declared(target: NodeKind | tuple[str, dict[str, Prop]]) -> tuple[str, dict[str, Prop]]:
    return (target.key_label, target.prop_map()) if isinstance(target, NodeKind) else target


def check(target: NodeKind | tuple[str, dict[str, Prop]], row: dict) -> dict:
    """``{id, props}`` with every property declared and coerced, or RowError naming the property."""
    label, pmap = declared(target)
    out = {}
    for name, value in row.items():
        if name == "id":
            continue
        if name not in pmap:
            raise RowError(f"{label} {row.get('id')!r}: undeclared field {name!r}")
        out[name] = coerce(value, pmap[name])
    return {"id": row["id"], "props": out}


def annotate(graph: Graph, target: NodeKind | tuple[str, dict[str, Prop]], rows: Iterable[dict]) -> int:
    """Set (a None value removes) declared properties on existing nodes; the number of nodes matched."""
    label, _ = declared(target)
    checked = [check(target, row) for row in rows]
    updated = 0
    for batch in batched(checked, BATCH):
        updated += graph.write(f"UNWIND $rows AS row MATCH (n:`{label}` {{id: row.id}}) SET n += row.props "
                               f"RETURN count(n) AS n", rows=batch)[0]["n"]
    return updated
