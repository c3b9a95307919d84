"""The declarative graph model: every node and relationship kind is declared once, here or in
``cloudmap/graph/kinds/``. Loaders hand plain rows to :mod:`cloudmap.graph.ingest`, which validates
them against these declarations and generates the Cypher.

Conventions (``docs/graph-model.md`` is generated from the declarations):

* Labels are cloud-agnostic first, provider second: ``("Asset", "VirtualMachine", "AWSInstance")``.
  The first label is the *key label*: ``id`` is unique for it (a constraint in ``cypher/schema``).
* Every node gets ``first_seen``, ``last_seen``, ``sync_id`` and ``scope`` from the core; assets also
  carry ``name``, ``provider``, ``account_id``, ``region`` and ``tags`` (a list of ``key=value``).
* Maps cannot be stored on Neo4j properties: such values (policy documents) are JSON strings, type
  ``json``; the core serialises dicts and lists for them.
"""

from __future__ import annotations

import json
import sys
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

# The property types a declaration may use, and how a row value is checked / coerced.
PROP_TYPES = ("str", "int", "float", "bool", "list[str]", "list[int]", "datetime", "json")


class RowError(ValueError):
    """A row does not match its declaration. The message names kind, resource id and field."""


@dataclass(frozen=True)
class Prop:
    name: str
    type: str = "str"
    description: str = ""
    required: bool = False

    def __post_init__(self):
        if self.type not in PROP_TYPES:
            raise ValueError(f"property {self.name}: unknown type {self.type}")


def props(*specs: Prop | tuple) -> tuple[Prop, ...]:
    """Shorthand: props(("state", "str", "running/stopped"), ("public", "bool")) ."""
    return tuple(p if isinstance(p, Prop) else Prop(*p) for p in specs)


ASSET_PROPS = props(
    Prop("id", "str", "unique, stable id: ARN, lower-case Azure resource id, or a documented synthetic key", True),
    ("name", "str", "display name"),
    ("provider", "str", "aws, azure, kubernetes, terraform, custom"),
    ("account_id", "str", "AWS account id / Azure subscription id"),
    ("region", "str", "region or location, where it applies"),
    ("tags", "list[str]", "tags as key=value strings"),
    ("critical", "bool", "a crown jewel (from a classification file, tag or rule)"),
    ("criticality", "str", "critical or high, when marked"),
    ("criticality_source", "str", "what marked it critical, e.g. classification/<file name>"),
    ("source", "str", "where it was read when not from the live API: terraform"),
    ("planned", "bool", "in a Terraform plan, not yet applied (its id may be terraform:<address>)"),
    ("terraform_address", "str", "the Terraform resource address that declares it"),
)
KEY_PROP = props(Prop("id", "str", "unique key", True))
BOOKKEEPING = ("first_seen", "last_seen", "sync_id", "scope")


@dataclass(frozen=True)
class NodeKind:
    name: str                      # the most specific label, unique among kinds
    labels: tuple[str, ...]        # key label first, then agnostic labels, then provider label
    properties: tuple[Prop, ...] = ()
    description: str = ""
    shared: bool = False           # written by several sources (Vulnerability): never scope-cleaned
    module: str = field(default="", compare=False)  # where it was declared (docs list cloudmap's own)

    @property
    def key_label(self) -> str:
        return self.labels[0]

    @property
    def is_asset(self) -> bool:
        return self.key_label == "Asset"

    @property
    def all_props(self) -> tuple[Prop, ...]:
        base = ASSET_PROPS if self.is_asset else KEY_PROP
        own = {p.name for p in self.properties}
        return tuple(p for p in base if p.name not in own) + self.properties

    def prop_map(self) -> dict[str, Prop]:
        return {p.name: p for p in self.all_props}


@dataclass(frozen=True)
class RelKind:
    type: str
    source: NodeKind | str         # a kind, or an abstract label ("Asset") matched by its key label
    target: NodeKind | str
    properties: tuple[Prop, ...] = ()
    description: str = ""
    module: str = field(default="", compare=False)
    derived: bool = False          # an attacker move the engine computes (never a loader)
    identity: tuple[str, ...] = () # derived: properties that tell parallel edges between two nodes apart

    @property
    def source_label(self) -> str:
        return _key_label(self.source)

    @property
    def target_label(self) -> str:
        return _key_label(self.target)

    @property
    def name(self) -> str:
        return f"({_name(self.source)})-[:{self.type}]->({_name(self.target)})"

    def prop_map(self) -> dict[str, Prop]:
        return {p.name: p for p in self.properties}


def _key_label(end: NodeKind | str) -> str:
    if isinstance(end, NodeKind):
        return end.key_label
    return end if end in KEY_LABELS else "Asset"


def _name(end: NodeKind | str) -> str:
    return end.name if isinstance(end, NodeKind) else end


# Labels that are keyed on their own (everything else is an Asset).
KEY_LABELS = ("Asset", "Vulnerability", "SensitiveInfoType", "Internet", "Finding", "Sync", "Package",
              "Analysis", "ScopeState", "Lease")

_NODE_KINDS: dict[str, NodeKind] = {}
_REL_KINDS: dict[str, RelKind] = {}


def node_kind(name: str, labels: tuple[str, ...] | list[str], properties=(), description: str = "",
              shared: bool = False) -> NodeKind:
    """Declare (register) a node kind. The key label is Asset unless the first label is a KEY_LABEL."""
    labels = tuple(labels)
    if labels[0] not in KEY_LABELS:
        labels = ("Asset", *labels)
    if name not in labels:
        labels = (*labels, name)
    kind = NodeKind(name, labels, props(*properties), description, shared, sys._getframe(1).f_globals["__name__"])
    if name in _NODE_KINDS and _NODE_KINDS[name] != kind:
        raise ValueError(f"node kind {name} declared twice")
    _NODE_KINDS[name] = kind
    return kind


def rel_kind(type_: str, source: NodeKind | str, target: NodeKind | str, properties=(),
             description: str = "", derived: bool = False, identity: tuple[str, ...] = ()) -> RelKind:
    kind = RelKind(type_, source, target, props(*properties), description, sys._getframe(1).f_globals["__name__"],
                   derived, tuple(identity))
    missing = [k for k in kind.identity if k not in kind.prop_map()]
    if missing or (kind.identity and not derived):
        raise ValueError(f"relationship kind {kind.name}: identity {kind.identity} must name declared "
                         "properties of a derived kind")
    if kind.name in _REL_KINDS and _REL_KINDS[kind.name] != kind:
        raise ValueError(f"relationship kind {kind.name} declared twice")
    _REL_KINDS[kind.name] = kind
    return kind


def node_kinds(builtin_only: bool = False) -> dict[str, NodeKind]:
    _load_all()
    return {k: v for k, v in _NODE_KINDS.items() if not builtin_only or v.module.startswith("cloudmap.")}


def rel_kinds(builtin_only: bool = False) -> dict[str, RelKind]:
    _load_all()
    return {k: v for k, v in _REL_KINDS.items() if not builtin_only or v.module.startswith("cloudmap.")}


def get_node_kind(name: str) -> NodeKind:
    kinds = node_kinds()
    if name not in kinds:
        raise RowError(f"unknown node kind {name!r}")
    return kinds[name]


def _load_all() -> None:
    import importlib
    import pkgutil

    from cloudmap.graph import kinds

    for mod in pkgutil.iter_modules(kinds.__path__):
        importlib.import_module(f"cloudmap.graph.kinds.{mod.name}")


# -- row validation ---------------------------------------------------------------------------------

def coerce(value: Any, prop: Prop) -> Any:
    """The value as Neo4j should store it, or RowError. None always passes (property removed)."""
    if value is None:
        return None
    t = prop.type
    if t == "json":
        return value if isinstance(value, str) else json.dumps(value, sort_keys=True, default=str)
    if t == "str":
        if isinstance(value, (str, int, float)) and not isinstance(value, bool):
            return str(value)
    elif t == "bool":
        if isinstance(value, bool):
            return value
    elif t == "int":
        if isinstance(value, int) and not isinstance(value, bool):
            return value
        if isinstance(value, str) and value.strip().lstrip("-").isdigit():
            return int(value)
    elif t == "float":
        if isinstance(value, (int, float)) and not isinstance(value, bool):
            return float(value)
        if isinstance(value, str):
            try:
                return float(value)
            except ValueError:
                pass
    elif t == "datetime":
        if isinstance(value, datetime):
            return value
        if isinstance(value, str):
            try:
                return datetime.fromisoformat(value.replace("Z", "+00:00"))
            except ValueError:
                pass
    elif t in ("list[str]", "list[int]"):
        inner = Prop(prop.name, t[5:-1])
        if isinstance(value, (list, tuple, set)):
            return [coerce(v, inner) for v in value if v is not None]
    raise RowError(f"field {prop.name!r}: expected {t}, got {type(value).__name__} {str(value)[:60]!r}")


def validate_row(kind: NodeKind | RelKind, row: dict, strict_keys: bool = True) -> dict:
    """Check one row against its declaration; returns the coerced row (RowError names what is wrong).

    Relationship rows come back as ``{"source", "target", "props"}``; their properties may be given
    flat or, when one is named like an end key (HAS_VULNERABILITY's ``source``), in a ``props`` map."""
    pmap = kind.prop_map()
    ident = row.get("id") if isinstance(kind, NodeKind) else f"{row.get('source')} -> {row.get('target')}"
    where = f"{kind.name} {ident!r}"
    if not isinstance(row, dict):
        raise RowError(f"{kind.name}: row is {type(row).__name__}, not an object")
    out: dict[str, Any] = {}
    ends: dict[str, str] = {}
    if isinstance(kind, RelKind):
        for end in ("source", "target"):
            if not isinstance(row.get(end), str) or not row.get(end):
                raise RowError(f"{where}: missing {end} id")
            ends[end] = row[end]
        fields = {k: v for k, v in row.items() if k not in ("source", "target", "props")}
        fields.update(row.get("props") or {})
    else:
        fields = row
    for name, value in fields.items():
        prop = pmap.get(name)
        if prop is None:
            if strict_keys:
                raise RowError(f"{where}: undeclared field {name!r}")
            continue
        try:
            out[name] = coerce(value, prop)
        except RowError as exc:
            raise RowError(f"{where}: {exc}") from None
    for prop in pmap.values():
        if prop.required and out.get(prop.name) in (None, ""):
            raise RowError(f"{where}: missing required field {prop.name!r}")
    return {**ends, "props": out} if ends else out
