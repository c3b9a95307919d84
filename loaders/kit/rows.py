"""The row collector every loader fills before anything touches the graph.

Nodes are merged by id (the same resource seen twice is one row); relationships are one per
(source, target) and kind, the last properties winning. Each node and relationship belongs to a
*scope*: the unit whose cleanup may later remove it. Single-scope loaders leave the scope out and
name it when writing (:meth:`Rows.write`); loaders with several scopes pass it on every call.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable

from cloudmap.loaders.kit.tags import classify_tags, tags_list

from cloudmap.graph.ingest import Sync
from cloudmap.graph.kinds.common import SENSITIVE_INFO_TYPE, STORES
from cloudmap.graph.model import NodeKind, RelKind

DEFAULT = ""  # the scope named at write time
# Nodes written outside any scope (catalog nodes such as built-in role definitions): no cleanup removes them.
UNSCOPED = None


class Rows:
    def __init__(self) -> None:
        # kind -> id -> (scope, row)
        self.nodes: dict[NodeKind, dict[str, tuple[str, dict]]] = defaultdict(dict)
        # scope -> kind -> (source, target) -> properties
        self.rels: dict[str, dict[RelKind, dict[tuple[str, str], dict]]] = defaultdict(lambda: defaultdict(dict))
        self.covered: set[str] = set()  # scopes this input holds data for

    # -- filling -----------------------------------------------------------------------------------
    def node(self, kind: NodeKind, row: dict, scope: str | None = DEFAULT, weak: bool = False) -> str:
        """Add or merge a node row. A ``weak`` row (a reference seen from elsewhere) only fills gaps and
        never moves the node to its scope."""
        existing = self.nodes[kind].get(row["id"])
        if existing is None:
            self.nodes[kind][row["id"]] = (scope, dict(row))
        elif weak:
            existing[1].update({k: v for k, v in row.items() if k not in existing[1]})
        else:
            self.nodes[kind][row["id"]] = (scope, {**existing[1], **row})
        if scope is not UNSCOPED:
            self.covered.add(scope)
        return row["id"]

    def rel(self, kind: RelKind, source: str | None, target: str | None, scope: str = DEFAULT, /,
            props: dict | None = None, **more) -> None:
        """A relationship; properties named like an end (``source``) may come in ``props``."""
        if source and target:
            self.rels[scope][kind][(source, target)] = {**(props or {}), **more}
            self.covered.add(scope)

    def extend(self, kind: NodeKind | RelKind, rows: Iterable[dict], scope: str | None = DEFAULT) -> None:
        """Many rows at once: node rows, or relationship rows ``{source, target, **props}``."""
        for row in rows:
            if isinstance(kind, NodeKind):
                self.node(kind, row, scope)
            else:
                props = {k: v for k, v in row.items() if k not in ("source", "target")}
                self.rel(kind, row["source"], row["target"], scope, **props)
        if scope is not UNSCOPED:
            self.covered.add(scope)

    def asset(self, kind: NodeKind, ident: str, *, provider: str, name: str | None = None,
              account_id: str | None = None, region: str | None = None, tags: dict | None = None,
              scope: str = DEFAULT, **props) -> dict:
        """An asset row with the fields every asset carries and what its tags declare: crown-jewel
        criticality, and the sensitive data it STORES (``source: tag``)."""
        critical, info_types = classify_tags(tags)
        row = {"id": ident, "name": name or ident, "provider": provider, "account_id": account_id,
               "region": region, "tags": tags_list(tags), **critical, **props}
        self.node(kind, row, scope)
        for info in info_types:
            self.node(SENSITIVE_INFO_TYPE, info, scope)
            self.rel(STORES, ident, info["id"], scope, source="tag")
        return self.nodes[kind][ident][1]

    def update(self, kind: NodeKind, ident: str | None, **props) -> None:
        """Facts another record adds to a node already collected (a bucket policy, an address's tags)."""
        if ident in self.nodes[kind]:
            self.nodes[kind][ident][1].update({k: v for k, v in props.items() if v is not None})

    def has(self, kind: NodeKind, ident: str | None) -> bool:
        return ident in self.nodes.get(kind, {})

    def row(self, kind: NodeKind, ident: str) -> dict | None:
        found = self.nodes.get(kind, {}).get(ident)
        return found[1] if found else None

    def count(self, kind: NodeKind) -> int:
        return len(self.nodes.get(kind, {}))

    def rows_of(self, kind: NodeKind) -> list[dict]:
        return [row for _, row in self.nodes.get(kind, {}).values()]

    def links(self, kind: RelKind | None = None) -> list[dict]:
        """Every relationship of a kind (of every kind when None), in any scope, as ``{source, target, props}``."""
        return [{"source": s, "target": t, "props": p} for kinds in self.rels.values()
                for k, pairs in kinds.items() if kind is None or k is kind for (s, t), p in pairs.items()]

    # -- writing -----------------------------------------------------------------------------------
    def write(self, sync: Sync, scope: str | None = None, failed: dict[str, str] | None = None,
              order: Iterable[str] = (), held: Iterable[str] = ()) -> None:
        """Write every node of every scope, then each scope's relationships (which may cross scopes);
        a scope counts as complete once its relationships are in. ``scope`` names the default scope;
        ``failed`` scopes (the source refused them) are recorded as failed and keep their earlier data.
        ``order`` lists scope names to write first, in that order. ``held`` scopes (those that hold
        assets now, :meth:`Sync.held_scopes`) complete even when this input has nothing for them, so
        that an input that lost a kind is refused by the cleanup guard rather than silently ignored."""
        def real(name: str | None) -> str | None:
            return scope if name == DEFAULT and scope is not None else name

        nodes: dict[str, dict[NodeKind, list[dict]]] = defaultdict(lambda: defaultdict(list))
        for kind, by_id in self.nodes.items():
            for name, row in by_id.values():
                nodes[real(name)][kind].append(row)
        rels = {real(name): kinds for name, kinds in self.rels.items()}
        failed = failed or {}
        rank = {name: i for i, name in enumerate(order)}
        # The default scope is complete even when empty: the source listed nothing, so nothing is left.
        listed = {real(n) for n in self.covered} | ({scope} if scope is not None else set()) | set(held)
        names = sorted(listed - set(failed), key=lambda n: (rank.get(n, len(rank)), n))
        for kind, rows in nodes.get(UNSCOPED, {}).items():
            sync.write_nodes(kind, rows, None)
        for name in names:
            for kind, rows in nodes[name].items():
                sync.write_nodes(kind, rows, name)
        for name in names:
            with sync.scope(name) as sc:
                for kind, pairs in rels.get(name, {}).items():
                    sc.rels(kind, [{"source": s, "target": t, "props": p} for (s, t), p in pairs.items()])
        for name, reason in sorted(failed.items()):
            sync.scope_failed(name, reason)
