"""Regenerate the parts of the docs and schema that follow from the declarations.

``python -m cloudmap.graph.docs`` rewrites the reference tables in ``docs/graph-model.md`` (between
the GENERATED markers) and ``cypher/schema/relationship-indexes.cypher``; a test fails when either is
stale, so the reference is always the declarations."""

from __future__ import annotations

import sys
from pathlib import Path

from cloudmap.graph.kinds.derived import WRITER_PROPS
from cloudmap.graph.model import node_kinds, rel_kinds
from cloudmap.graph.schema import GENERATED, generated_indexes

ROOT = Path(__file__).resolve().parents[2]
DOC = ROOT / "docs" / "graph-model.md"
BEGIN, END = "<!-- BEGIN GENERATED: python -m cloudmap.graph.docs -->", "<!-- END GENERATED -->"


def _end(end) -> str:
    return end if isinstance(end, str) else end.name


def reference() -> str:
    out = ["## Node kinds", ""]
    for kind in sorted(node_kinds(builtin_only=True).values(), key=lambda k: (k.labels[1:2], k.name)):
        out += [f"### {kind.name}", "", f"Labels: `{':'.join(kind.labels)}`" + (" (shared)" if kind.shared else ""),
                "", kind.description or "", "", "| property | type | description |", "|---|---|---|"]
        out += [f"| `{p.name}`{' (required)' if p.required else ''} | {p.type} | {p.description} |"
                for p in kind.all_props]
        out.append("")
    rels = sorted(rel_kinds(builtin_only=True).values(), key=lambda r: (r.type, r.name))
    out += ["## Relationship kinds", "", "| relationship | properties | description |", "|---|---|---|"]
    for rel in (r for r in rels if not r.derived):
        ps = ", ".join(f"`{p.name}` ({p.type})" for p in rel.properties) or "-"
        out.append(f"| `({_end(rel.source)})-[:{rel.type}]->({_end(rel.target)})` | {ps} | {rel.description} |")
    out += ["", "## Derived relationship kinds (attacker moves)", "",
            f"Written only by the engine; every edge also has {', '.join(f'`{p}`' for p in WRITER_PROPS)}. "
            "The identity key tells parallel edges of one type between the same nodes apart "
            "(with `derived_by`).", "",
            "| relationship | identity key | evidence properties | description |", "|---|---|---|---|"]
    for rel in (r for r in rels if r.derived):
        ps = ", ".join(f"`{p.name}` ({p.type}{', required' if p.required else ''})" for p in rel.properties) or "-"
        key = ", ".join(f"`{k}`" for k in rel.identity) or "-"
        out.append(f"| `({_end(rel.source)})-[:{rel.type}]->({_end(rel.target)})` | {key} | {ps} | {rel.description} |")
    return "\n".join(out) + "\n"


def render_doc(current: str) -> str:
    head, _, rest = current.partition(BEGIN)
    _, _, tail = rest.partition(END)
    return f"{head}{BEGIN}\n\n{reference()}\n{END}{tail}"


def main() -> int:
    DOC.write_text(render_doc(DOC.read_text()))
    (ROOT / "cypher" / "schema" / GENERATED).write_text(generated_indexes())
    print(f"wrote {DOC} and cypher/schema/{GENERATED}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
