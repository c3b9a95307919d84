"""Asset search, one asset with its relationships, and its bounded neighbourhood in graph form."""

from __future__ import annotations

from cloudmap.graph.driver import Graph
from cloudmap.services.hunt import GraphCollector, json_value
from cloudmap.services.paging import CursorError, cut_page, decode_cursor, encode_cursor

MAX_NEIGHBOURS = 500
_LABEL = r"^[A-Za-z][A-Za-z0-9_]{0,63}$"


class AssetError(ValueError):
    """A filter or cursor that is not valid; the message names it."""


def search_assets(graph: Graph, *, q: str | None = None, label: str | None = None, tag: str | None = None,
                  account: str | None = None, limit: int = 50, cursor: str | None = None) -> tuple[list[dict], str | None]:
    """Assets whose id or name contains ``q`` (case-insensitive), ordered by id, keyset-paged."""
    import re

    where, params = [], {"limit": limit + 1}
    if q:
        where.append("(toLower(a.id) CONTAINS $q OR toLower(coalesce(a.name, '')) CONTAINS $q)")
        params["q"] = q.lower()
    if label:
        if not re.match(_LABEL, label):
            raise AssetError(f"label {label!r} is not a label name")
        where.append("$label IN labels(a)")
        params["label"] = label
    if tag:
        where.append("any(t IN coalesce(a.tags, []) WHERE t = $tag OR t STARTS WITH $tag + '=')")
        params["tag"] = tag
    if account:
        where.append("a.account_id = $account")
        params["account"] = account
    if cursor:
        where.append("a.id > $after")
        try:
            params["after"] = str(decode_cursor(cursor, 1)[0])
        except CursorError as exc:
            raise AssetError(str(exc)) from None
    query = (f"MATCH (a:Asset) {'WHERE ' + ' AND '.join(where) if where else ''} "
             "RETURN a.id AS id, a.name AS name, labels(a) AS labels, a.provider AS provider, "
             "a.account_id AS account_id, a.region AS region, a.tags AS tags ORDER BY a.id LIMIT $limit")
    rows, more = cut_page(graph.read(query, **params), limit)
    return [{k: json_value(v) for k, v in r.items()} for r in rows], (encode_cursor([rows[-1]["id"]]) if more else None)


def get_asset(graph: Graph, asset_id: str) -> dict | None:
    rows = graph.read(
        "MATCH (a:Asset {id: $id}) "
        "OPTIONAL MATCH (a)-[r]-(b) WITH a, r, b LIMIT $max "
        "RETURN properties(a) AS props, labels(a) AS labels, "
        "collect(CASE WHEN r IS NULL THEN NULL ELSE {type: type(r), direction: "
        "CASE WHEN startNode(r) = a THEN 'out' ELSE 'in' END, other_id: b.id, other_name: b.name, "
        "other_labels: labels(b), derived: coalesce(r.derived, false)} END) AS relationships",
        id=asset_id, max=MAX_NEIGHBOURS)
    if not rows:
        return None
    row = rows[0]
    return {"id": asset_id, "labels": row["labels"], "properties": json_value(row["props"]),
            "relationships": row["relationships"]}


def neighbourhood(graph: Graph, asset_id: str, depth: int = 1, limit: int = MAX_NEIGHBOURS) -> dict | None:
    """Paths of up to ``depth`` hops (1..3) around the asset, in graph form, at most ``limit`` paths."""
    if not 1 <= depth <= 3:
        raise AssetError("depth must be 1, 2 or 3")
    collector = GraphCollector()
    with graph.session() as session:
        def work(tx):
            start = tx.run("MATCH (a:Asset {id: $id}) RETURN a", id=asset_id).single()
            if start is None:
                return None, []
            paths = tx.run(f"MATCH p = (a:Asset {{id: $id}})-[*1..{int(depth)}]-() RETURN p LIMIT $limit",
                           id=asset_id, limit=limit + 1).values()
            return start["a"], [v[0] for v in paths]
        start, paths = session.execute_read(work)
    if start is None:
        return None
    collector.convert(start)
    truncated = len(paths) > limit
    for p in paths[:limit]:
        collector.convert(p)
    return {"center": start.element_id, "depth": depth, "truncated": truncated, **collector.graph()}
