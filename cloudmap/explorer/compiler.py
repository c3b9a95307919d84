"""Question -> one read-only, parameterized Cypher query.

Every kind, relationship type and property is checked against the declared model
(:mod:`cloudmap.explorer.vocabulary`); every value becomes a parameter, coerced to the property's
declared type. The query always ends in ``LIMIT $limit``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from cloudmap.explorer import builder as b
from cloudmap.explorer.question import Condition, Node, Question
from cloudmap.explorer.vocabulary import UnknownName, Vocabulary, vocabulary
from cloudmap.graph.model import Prop, RowError, coerce

ALIAS = re.compile(r"[A-Za-z_][A-Za-z0-9_]{0,40}")
RESERVED_COLUMNS = ("path", "hops", "count")


class QuestionError(ValueError):
    """A question that cannot be compiled; the message names the field."""


@dataclass(frozen=True)
class Compiled:
    cypher: str
    params: dict
    columns: list[str]

    def as_dict(self) -> dict:
        return {"cypher": self.cypher, "params": self.params, "columns": self.columns}


def compile_question(question: Question, vocab: Vocabulary | None = None) -> Compiled:
    try:
        return _Compiler(question, vocab or vocabulary()).run()
    except (UnknownName, RowError) as exc:
        raise QuestionError(str(exc)) from None


class _Compiler:
    def __init__(self, question: Question, vocab: Vocabulary):
        self.q, self.vocab, self.params = question, vocab, b.Params()
        self.nodes: list[Node] = [question.start] + [s.to for s in question.steps]
        self.where = ["from"] + [f"steps[{i}].to" for i in range(len(question.steps))]
        self.labels = [vocab.label(n.kind, f"{w}.kind") for n, w in zip(self.nodes, self.where, strict=True)]
        self.aliases = self._aliases()

    def run(self) -> Compiled:
        q, query = self.q, b.Query()
        parts = [b.node("n0", self.labels[0])]
        for i, s in enumerate(q.steps, start=1):
            where = f"steps[{i - 1}]"
            rtype = self.vocab.relationship(s.rel, f"{where}.rel")
            rel_where = b.all_of([self._condition(c, f"r{i}", rtype, f"{where}.where[{j}]", rel=True)
                                  for j, c in enumerate(s.where)])
            parts.append(b.step(f"r{i}", rtype, s.direction, s.hops.min, s.hops.max, rel_where))
            parts.append(b.node(f"n{i}", self.labels[i]))
        query.match = ("p = " if q.returns.kind == "paths" else "") + "".join(parts).replace("  ", " ").strip()
        for i, n in enumerate(self.nodes):
            query.where += [self._condition(c, f"n{i}", self.labels[i], f"{self.where[i]}.where[{j}]")
                            for j, c in enumerate(n.where)]
        columns = getattr(self, f"_return_{q.returns.kind}")(query)
        query.limit = self.params.add(q.limit, "limit")
        return Compiled(query.text(), self.params.values, columns)

    # -- names ----------------------------------------------------------------------------------------

    def _aliases(self) -> list[str]:
        out: list[str] = []
        for n, where in zip(self.nodes, self.where, strict=True):
            alias = n.name or n.kind.lower()
            if n.name is not None and (not ALIAS.fullmatch(alias) or alias in RESERVED_COLUMNS):
                raise QuestionError(f"{where}.as: {alias[:60]!r} is not a column name (letters, digits, _; "
                                    f"not {', '.join(RESERVED_COLUMNS)})")
            if alias in out:
                if n.name is not None:
                    raise QuestionError(f"{where}.as: {alias!r} names two nodes")
                alias = next(f"{n.kind.lower()}_{k}" for k in range(2, 99) if f"{n.kind.lower()}_{k}" not in out)
            out.append(alias)
        return out

    def _node_index(self, ref: str | int, where: str) -> int:
        if isinstance(ref, int):
            if 0 <= ref < len(self.nodes):
                return ref
        elif ref in self.aliases:
            return self.aliases.index(ref)
        raise QuestionError(f"{where}: no node {ref!r}; nodes are {', '.join(self.aliases)} (or 0..{len(self.nodes) - 1})")

    def _node_prop(self, i: int, name: str, where: str) -> str:
        return self.vocab.node_property(self.labels[i], name, where)

    # -- conditions -----------------------------------------------------------------------------------

    def _condition(self, c: Condition, var: str, owner: str, where: str, rel: bool = False) -> str:
        if getattr(c, "any_of", None) is not None:   # a Test (inside any_of) has none
            if not c.any_of:
                raise QuestionError(f"{where}.any_of: empty")
            return b.any_of([self._condition(sub, var, owner, f"{where}.any_of[{k}]", rel)
                             for k, sub in enumerate(c.any_of)])
        if c.fact is not None:
            if rel:
                raise QuestionError(f"{where}.fact: facts describe nodes, not relationships")
            return self._fact(c, var)
        if c.tag is not None:
            if rel:
                raise QuestionError(f"{where}.tag: relationships have no tags")
            self.vocab.node_property(owner, "tags", where)
            key, sep, value = c.tag.partition("=")
            if not key:
                raise QuestionError(f"{where}.tag: expected key or key=value")
            if sep:
                return f"{self.params.add(c.tag)} IN {b.prop(var, 'tags')}"
            return f"any(t IN coalesce({b.prop(var, 'tags')}, []) WHERE t STARTS WITH {self.params.add(key + '=')})"
        name = (self.vocab.rel_property if rel else self.vocab.node_property)(owner, c.property, f"{where}.property")
        ptype = (self.vocab.rel_type if rel else self.vocab.node_type)(owner, name)
        target = b.prop(var, name)
        if c.op == "exists":
            return f"{target} IS NOT NULL"
        if c.op == "missing":
            return f"{target} IS NULL"
        scalar = ptype[5:-1] if ptype.startswith("list[") else ptype
        value = self._value(c.value, scalar, f"{where}.value", many=c.op == "in")
        p = self.params.add(value)
        if ptype.startswith("list["):
            if c.op in ("eq", "contains"):
                return f"{p} IN {target}"
            if c.op == "in":
                return f"any(v IN coalesce({target}, []) WHERE v IN {p})"
            if c.op == "ne":
                return f"NOT {p} IN coalesce({target}, [])"
            raise QuestionError(f"{where}.op: {c.op} does not apply to the list property {name}")
        if c.op in ("contains", "starts_with", "ends_with") and scalar != "str":
            raise QuestionError(f"{where}.op: {c.op} needs a text property; {name} is {ptype}")
        return f"{target} {OPS[c.op]} {p}"

    def _value(self, value, ptype: str, where: str, many: bool):
        if ptype == "json":
            ptype = "str"
        spec = Prop("value", ptype)
        try:
            return [coerce(v, spec) for v in value] if many else coerce(value, spec)
        except RowError as exc:
            raise QuestionError(f"{where}: {str(exc).removeprefix('field ' + repr('value') + ': ')}") from None

    def _fact(self, c: Condition, var: str) -> str:
        here = f"({var})"
        if c.fact == "exposed":
            return b.exists(f"{b.node('', 'Internet')}-[:{b.ident('CAN_REACH')}]->{here}")
        if c.fact == "public":
            return b.exists(f"{b.node('', 'Internet')}-[:{b.ident('CAN_ACCESS')}]->{here}")
        pattern = f"{here}-[:{b.ident('STORES')}]->{b.node('s', 'SensitiveInfoType')}"
        if c.value is None:
            return b.exists(pattern)
        cats = c.value if isinstance(c.value, list) else [c.value]
        return b.exists(pattern, f"s.{b.ident('category')} IN {self.params.add([str(v) for v in cats])}")

    # -- projections ----------------------------------------------------------------------------------

    def _returned(self) -> list[int]:
        refs = self.q.returns.nodes
        if refs is None:
            return list(range(len(self.nodes)))
        return [self._node_index(r, f"return.nodes[{k}]") for k, r in enumerate(refs)]

    def _return_nodes(self, query: b.Query) -> list[str]:
        shown = self._returned()
        query.distinct = True
        query.returns = [f"n{i} AS {b.ident(self.aliases[i])}" for i in shown]
        for k, o in enumerate(self.q.order_by):
            i = shown[0] if o.node is None else self._node_index(o.node, f"order_by[{k}].node")
            if i not in shown:
                raise QuestionError(f"order_by[{k}].node: {self.aliases[i]} is not returned")
            self._node_prop(i, o.property, f"order_by[{k}].property")
            query.order.append(b.prop(b.ident(self.aliases[i]), o.property) + (" DESC" if o.descending else ""))
        query.order += [f"{b.prop(b.ident(self.aliases[i]), 'id')}" for i in shown]
        return [self.aliases[i] for i in shown]

    def _return_count(self, query: b.Query) -> list[str]:
        refs = self.q.returns.nodes
        counted = self._returned()[0] if refs else 0
        if refs and len(refs) != 1:
            raise QuestionError("return.nodes: a count counts one node")
        columns = []
        for k, g in enumerate(self.q.returns.group_by):
            i = self._node_index(g.node, f"return.group_by[{k}].node")
            name = self._node_prop(i, g.property, f"return.group_by[{k}].property")
            column = f"{self.aliases[i]}_{name}"
            query.returns.append(f"{b.prop(f'n{i}', name)} AS {b.ident(column)}")
            columns.append(column)
        query.returns.append(f"count(DISTINCT n{counted}) AS {b.ident('count')}")
        if self.q.order_by:
            raise QuestionError("order_by: counts are ordered by count, then by the groups")
        query.order = [f"{b.ident('count')} DESC"] + [b.ident(c) for c in columns]
        return [*columns, "count"]

    def _return_paths(self, query: b.Query) -> list[str]:
        if self.q.returns.nodes is not None:
            raise QuestionError("return.nodes: paths return whole paths")
        query.returns = ["p AS " + b.ident("path"), "length(p) AS " + b.ident("hops")]
        query.order = ["length(p)"]
        for k, o in enumerate(self.q.order_by):
            i = 0 if o.node is None else self._node_index(o.node, f"order_by[{k}].node")
            query.order.append(b.prop(f"n{i}", self._node_prop(i, o.property, f"order_by[{k}].property"))
                               + (" DESC" if o.descending else ""))
        query.order.append(b.prop("n0", "id"))
        query.order.append(b.prop(f"n{len(self.nodes) - 1}", "id"))
        return ["path", "hops"]


OPS = {"eq": "=", "ne": "<>", "in": "IN", "contains": "CONTAINS", "starts_with": "STARTS WITH",
       "ends_with": "ENDS WITH", "gt": ">", "gte": ">=", "lt": "<", "lte": "<="}
