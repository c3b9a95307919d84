"""A small Cypher builder: patterns (fixed and quantified steps), parameterized predicates, projections.

Names reach the text only through :func:`ident` (backtick-quoted, after the compiler checked them
against the declared model); values only through :meth:`Params.add` (``$p0``, ``$p1``, ...). Hop
bounds are the only numbers written into the text, and they are validated integers, because
Cypher does not accept parameters inside a quantifier.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

ARROWS = {"out": ("-", "->"), "in": ("<-", "-"), "both": ("-", "-")}


def ident(name: str) -> str:
    """A label, type, property or variable name as a quoted Cypher identifier."""
    return "`" + name.replace("`", "``") + "`"


@dataclass
class Params:
    values: dict[str, Any] = field(default_factory=dict)

    def add(self, value: Any, name: str | None = None) -> str:
        name = name or f"p{len(self.values)}"
        self.values[name] = value
        return "$" + name


def prop(var: str, name: str) -> str:
    return f"{var}.{ident(name)}"


def node(var: str = "", label: str | None = None) -> str:
    return f"({var}{':' + ident(label) if label else ''})"


def rel(var: str, rel_type: str, direction: str, where: str = "") -> str:
    left, right = ARROWS[direction]
    return f"{left}[{var}:{ident(rel_type)}{' WHERE ' + where if where else ''}]{right}"


def step(var: str, rel_type: str, direction: str, low: int, high: int, where: str = "") -> str:
    """One hop as a plain relationship, or a quantified path pattern ``(()-[r:T]->()){low,high}``."""
    if (low, high) == (1, 1):
        return rel(var, rel_type, direction, where)
    if not (isinstance(low, int) and isinstance(high, int) and 0 <= low <= high):
        raise ValueError(f"bad hop range {low}..{high}")
    return f" ((){rel(var, rel_type, direction, where)}()){{{low},{high}}} "


def all_of(predicates: list[str]) -> str:
    return " AND ".join(predicates)


def any_of(predicates: list[str]) -> str:
    return "(" + " OR ".join(predicates) + ")" if len(predicates) > 1 else predicates[0]


def exists(pattern: str, where: str = "") -> str:
    return f"EXISTS {{ MATCH {pattern}{' WHERE ' + where if where else ''} }}"


@dataclass
class Query:
    """MATCH ... WHERE ... RETURN ... ORDER BY ... LIMIT, assembled clause by clause."""

    match: str = ""
    where: list[str] = field(default_factory=list)
    returns: list[str] = field(default_factory=list)
    distinct: bool = False
    order: list[str] = field(default_factory=list)
    limit: str = ""

    def text(self) -> str:
        lines = [f"MATCH {self.match}"]
        if self.where:
            lines.append("WHERE " + "\n  AND ".join(self.where))
        lines.append(f"RETURN {'DISTINCT ' if self.distinct else ''}{', '.join(self.returns)}")
        if self.order:
            lines.append("ORDER BY " + ", ".join(self.order))
        if self.limit:
            lines.append(f"LIMIT {self.limit}")
        return "\n".join(lines)
