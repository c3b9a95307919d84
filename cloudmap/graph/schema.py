"""Constraints and indexes from ``cypher/schema/``, applied once per process, idempotently."""

from __future__ import annotations

import re
from importlib import resources

from cloudmap.graph.driver import Graph, GraphError
from cloudmap.graph.model import rel_kinds

GENERATED = "relationship-indexes.cypher"
_applied: set[tuple[int, str]] = set()


def schema_dir():
    return resources.files("cloudmap.cypher").joinpath("schema")


def split_statements(text: str) -> list[str]:
    body = "\n".join(line for line in text.splitlines() if not line.strip().startswith("//"))
    return [s.strip() for s in body.split(";") if s.strip()]


def code_version() -> int:
    text = schema_dir().joinpath("constraints.cypher").read_text()
    return int(re.search(r"schema_version:\s*(\d+)", text).group(1))


def generated_indexes() -> str:
    """One (r.scope) index per raw relationship type (scoped cleanup looks rels up by scope) and one
    (r.derived_by) index per derived type (the engine's sweep looks edges up by derivation)."""
    kinds = rel_kinds(builtin_only=True).values()
    raw = sorted({k.type for k in kinds if not k.derived})
    derived = sorted({k.type for k in kinds if k.derived})
    lines = ["// Generated from the declarations in cloudmap/graph/kinds by `python -m cloudmap.graph.docs`.",
             "// One (r.scope) index per raw relationship type, used by scoped cleanup;",
             "// one (r.derived_by) index per derived type, used by the engine's sweep."]
    lines += [f"CREATE INDEX rel_scope_{t.lower()} IF NOT EXISTS FOR ()-[r:`{t}`]-() ON (r.scope);" for t in raw]
    lines += [f"CREATE INDEX rel_derived_{t.lower()} IF NOT EXISTS FOR ()-[r:`{t}`]-() ON (r.derived_by);"
              for t in derived]
    return "\n".join(lines) + "\n"


def statements() -> list[str]:
    out = []
    for f in sorted(schema_dir().iterdir(), key=lambda p: p.name):
        if f.name.endswith(".cypher"):
            out += split_statements(f.read_text())
    return out


def apply_schema(graph: Graph, force: bool = False) -> int:
    """Create what is missing; refuse a database whose schema is newer than this code."""
    key = (id(graph.driver), graph.database)
    if key in _applied and not force:
        return code_version()
    version = code_version()
    rows = graph.read("MATCH (v:SchemaVersion {id: 'cloudmap'}) RETURN v.version AS version")
    if rows and rows[0]["version"] is not None and rows[0]["version"] > version:
        raise GraphError(f"the database has cloudmap schema version {rows[0]['version']}, newer than this "
                         f"cloudmap's {version}: upgrade cloudmap (pip install -U cloudmap)")
    for stmt in statements():
        graph.write(stmt)
    graph.write("MERGE (v:SchemaVersion {id: 'cloudmap'}) SET v.version = $version", version=version)
    graph.driver.execute_query("CALL db.awaitIndexes(300)", database_=graph.database)
    _applied.add(key)
    return version
