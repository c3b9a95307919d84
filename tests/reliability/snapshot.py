"""What the reliability tests compare before and after: the assets, per scope, each id once."""

from __future__ import annotations


def assets_by_scope(graph, where: str, **params) -> dict[str, list[str]]:
    """The ids of the assets matching ``where`` (on ``n``) per scope; fails on a duplicated id."""
    rows = graph.read(f"MATCH (n:Asset) WHERE {where} RETURN n.scope AS scope, n.id AS id ORDER BY id", **params)
    ids = [row["id"] for row in rows]
    assert len(ids) == len(set(ids)), "duplicated assets"
    out: dict[str, list[str]] = {}
    for row in rows:
        out.setdefault(row["scope"], []).append(row["id"])
    return out
