"""What a question may name: labels, relationship types and property names of the declared model.

Everything comes from the declarations (``cloudmap/graph/model.py`` and ``cloudmap/graph/kinds/``);
relationship kinds declared with ``derived=True`` are the engine's moves.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

from cloudmap.graph.model import node_kinds, rel_kinds

# What the ingestion core stamps on every node.
BOOKKEEPING_TYPES = {"first_seen": "datetime", "last_seen": "datetime", "sync_id": "str", "scope": "str"}
# What the edge writer stamps on every derived relationship.
DERIVED_BOOKKEEPING = {"derived": "bool", "derived_by": "str", "run_id": "str"}


class UnknownName(ValueError):
    """A label, relationship type or property the model does not declare; the message lists valid names."""


@dataclass(frozen=True)
class Vocabulary:
    labels: dict[str, dict[str, str]]         # label -> {property: declared type} of nodes that carry it
    relationships: dict[str, dict[str, str]]  # type -> {property: declared type}
    derived: frozenset[str]                   # relationship types the engine derives

    def label(self, name: str, where: str) -> str:
        if name not in self.labels:
            raise UnknownName(f"{where}: unknown kind {name!r}; valid kinds: {', '.join(sorted(self.labels))}")
        return name

    def node_property(self, label: str, name: str, where: str) -> str:
        valid = self.labels[label]
        if name not in valid:
            raise UnknownName(f"{where}: {label} has no property {name!r}; valid properties: "
                              f"{', '.join(sorted(valid))}")
        return name

    def relationship(self, name: str, where: str) -> str:
        if name not in self.relationships:
            raise UnknownName(f"{where}: unknown relationship type {name!r}; valid types: "
                              f"{', '.join(sorted(self.relationships))}")
        return name

    def rel_property(self, rel_type: str, name: str, where: str) -> str:
        valid = self.relationships[rel_type]
        if name not in valid:
            raise UnknownName(f"{where}: {rel_type} has no property {name!r}; valid properties: "
                              f"{', '.join(sorted(valid)) or '(none)'}")
        return name

    def node_type(self, label: str, name: str) -> str:
        return self.labels[label].get(name, "str")

    def rel_type(self, rel_type: str, name: str) -> str:
        return self.relationships[rel_type].get(name, "str")

    def as_dict(self) -> dict:
        return {"kinds": sorted(self.labels),
                "relationships": {t: {"derived": t in self.derived, "properties": sorted(p)}
                                  for t, p in sorted(self.relationships.items())}}


@lru_cache(maxsize=1)
def vocabulary() -> Vocabulary:
    labels: dict[str, dict[str, str]] = {}
    for kind in node_kinds().values():
        for label in kind.labels:
            props = labels.setdefault(label, dict(BOOKKEEPING_TYPES))
            for prop in kind.all_props:
                props.setdefault(prop.name, prop.type)
    rels: dict[str, dict[str, str]] = {}
    derived: set[str] = set()
    for kind in rel_kinds().values():
        props = rels.setdefault(kind.type, {})
        for prop in kind.properties:
            props.setdefault(prop.name, prop.type)
        if kind.derived:
            derived.add(kind.type)
            props.update(DERIVED_BOOKKEEPING)
    return Vocabulary(labels, rels, frozenset(derived))
