"""The explorer's question: a start kind with conditions, a chain of steps, what to return.

The same model reads JSON (``POST /explore``), YAML (``--file``, the templates) and CLI flags
(:mod:`cloudmap.explorer.flags`). Names in it (kinds, relationship types, properties) are checked
against the declared model when the question is compiled; values only ever become parameters.
"""

from __future__ import annotations

from typing import Annotated, Any, ClassVar, Literal

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, field_validator, model_validator

MAX_STEPS = 6
MAX_HOPS = 6          # per step; a chain of moves longer than this is a hunt, not a question
MAX_CONDITIONS = 20   # per node or step
MAX_LIMIT = 10_000

Op = Literal["eq", "ne", "in", "contains", "starts_with", "ends_with", "gt", "gte", "lt", "lte",
             "exists", "missing"]
Direction = Literal["out", "in", "both"]


class Model(BaseModel):
    model_config = ConfigDict(extra="forbid", populate_by_name=True)


def _shorthands(value):
    if isinstance(value, (str, dict)):
        value = [value]
    return [parse_shorthand(v) if isinstance(v, str) else v for v in (value or [])]


class Test(Model):
    """One test on a property (``property`` + ``op`` + ``value``), a tag (``tag: env=prod`` or ``tag: env``),
    or a derived fact (``fact: exposed``)."""

    FORMS: ClassVar[tuple[str, ...]] = ("property", "tag", "fact")
    property: str | None = None
    op: Op = "eq"
    value: Any = None
    tag: str | None = None
    fact: Literal["exposed", "public", "sensitive"] | None = None

    @model_validator(mode="after")
    def _one_form(self) -> Test:
        forms = [f for f in self.FORMS if getattr(self, f) is not None]
        if len(forms) != 1:
            raise ValueError(f"a condition has exactly one of {', '.join(self.FORMS)}")
        if self.property is not None:
            if self.op in ("exists", "missing"):
                if self.value is not None:
                    raise ValueError(f"op {self.op} takes no value")
            elif self.value is None:
                raise ValueError(f"op {self.op} needs a value")
            elif self.op == "in" and not isinstance(self.value, list):
                raise ValueError("op in needs a list value")
            elif self.op != "in" and not isinstance(self.value, (str, int, float, bool)):
                raise ValueError(f"op {self.op} needs a string, number or boolean value")
        if self.fact == "sensitive" and self.value is not None and not isinstance(self.value, (str, list)):
            raise ValueError("fact sensitive takes a category (pci, pii, phi, secrets) or a list of them")
        return self


class Condition(Test):
    """A test, or ``any_of`` several tests (one level of OR: the schema stays flat, not recursive)."""

    FORMS: ClassVar[tuple[str, ...]] = ("property", "tag", "fact", "any_of")
    any_of: Annotated[list[Test], BeforeValidator(_shorthands)] | None = Field(default=None,
                                                                               max_length=MAX_CONDITIONS)


# A list of conditions; a string is the compact form (see parse_shorthand).
Conditions = Annotated[list[Condition], BeforeValidator(_shorthands)]


class Node(Model):
    kind: str = "Asset"
    where: Conditions = Field(default_factory=list, max_length=MAX_CONDITIONS)
    name: str | None = Field(default=None, alias="as", description="column name for this node in the answer")


class Hops(Model):
    min: int = Field(1, ge=0, le=MAX_HOPS)
    max: int = Field(1, ge=1, le=MAX_HOPS)

    @model_validator(mode="after")
    def _ordered(self) -> Hops:
        if self.min > self.max:
            raise ValueError(f"hops: min {self.min} is above max {self.max}")
        return self


class Step(Model):
    rel: str
    direction: Direction = "out"
    hops: Hops = Field(default_factory=Hops)
    where: Conditions = Field(default_factory=list, max_length=MAX_CONDITIONS,
                              description="conditions on the relationship's own properties")
    to: Node = Field(default_factory=Node)

    @field_validator("hops", mode="before")
    @classmethod
    def _hop_text(cls, value):
        """``hops: 3`` is 1..3, ``hops: "2..4"`` a range."""
        if isinstance(value, int) and not isinstance(value, bool):
            return {"min": 1, "max": value}
        if isinstance(value, str):
            low, sep, high = value.partition("..")
            if not (low.strip().isdigit() and (not sep or high.strip().isdigit())):
                raise ValueError(f"hops {value!r}: expected N or MIN..MAX")
            return {"min": int(low), "max": int(high if sep else low)}
        return value


class GroupBy(Model):
    node: str | int = Field(description="a node's column name, or its position (0 = the start node)")
    property: str


class OrderBy(Model):
    node: str | int | None = None
    property: str = "name"
    descending: bool = False


class Returns(Model):
    kind: Literal["nodes", "count", "paths"] = "nodes"
    nodes: list[str | int] | None = Field(default=None, min_length=1, max_length=MAX_STEPS + 1,
                                          description="which nodes (default: every node)")
    group_by: list[GroupBy] = Field(default_factory=list, max_length=5)


class Question(Model):
    title: str | None = Field(default=None, max_length=200)
    description: str | None = Field(default=None, max_length=2000)
    start: Node = Field(alias="from")
    steps: list[Step] = Field(default_factory=list, max_length=MAX_STEPS)
    returns: Returns = Field(default_factory=Returns, alias="return")
    order_by: list[OrderBy] = Field(default_factory=list, max_length=5)
    limit: int = Field(100, ge=1, le=MAX_LIMIT)

    @field_validator("returns", mode="before")
    @classmethod
    def _return_word(cls, value):
        return {"kind": value} if isinstance(value, str) else value


# -- the compact text form used by CLI flags and YAML lists -------------------------------------------

_OPS = (("!=", "ne"), (">=", "gte"), ("<=", "lte"), ("^=", "starts_with"), ("$=", "ends_with"),
        ("~=", "contains"), ("=", "eq"), (">", "gt"), ("<", "lt"))
_WORD_OPS = ((" in ", "in"), (" contains ", "contains"), (" starts with ", "starts_with"),
             (" ends with ", "ends_with"))


def parse_shorthand(text: str) -> dict:
    """``exposed`` / ``public`` / ``sensitive`` (facts), ``sensitivity=pci``, ``tag:env=prod``,
    ``severity in critical,high``, ``cvss_score>=9``, ``name^=prod``, ``name~=db``, ``kev`` (true),
    ``!mfa_enabled`` (false), ``mfa_enabled?`` (exists)."""
    text = text.strip()
    if text in ("exposed", "public", "sensitive"):
        return {"fact": text}
    if text.startswith("tag:"):
        return {"tag": text[4:]}
    if text.startswith("sensitivity="):
        cats = text.partition("=")[2].split(",")
        return {"fact": "sensitive", "value": cats[0] if len(cats) == 1 else cats}
    for word, op in _WORD_OPS:
        name, sep, rest = text.partition(word)
        if sep and name.strip() and " " not in name.strip():
            values = [typed(v.strip()) for v in rest.split(",")] if op == "in" else typed(rest.strip())
            return {"property": name.strip(), "op": op, "value": values}
    for sym, op in _OPS:
        name, sep, rest = text.partition(sym)
        if sep and name.strip():
            return {"property": name.strip(), "op": op, "value": typed(rest.strip())}
    if text.endswith("?"):
        return {"property": text[:-1], "op": "exists"}
    if text.startswith("!"):
        return {"property": text[1:], "op": "eq", "value": False}
    return {"property": text, "op": "eq", "value": True}


def typed(text: str):
    """Flag values carry no types: integers, floats and true/false are recognised, the rest is text."""
    if text in ("true", "false"):
        return text == "true"
    for conv in (int, float):
        try:
            return conv(text)
        except ValueError:
            pass
    return text
