"""Run explorer questions and list the templates. Questions compile to parameterized read-only
Cypher and run through the hunt service's checked, bounded execution, so readers may ask them."""

from __future__ import annotations

from dataclasses import dataclass
from importlib import resources
from pathlib import Path

import yaml
from pydantic import ValidationError

from cloudmap.explorer import Compiled, Question, QuestionError, compile_question
from cloudmap.graph.driver import Graph
from cloudmap.services.hunt import HuntResult, run_hunt


@dataclass(frozen=True)
class Answer:
    question: Question
    compiled: Compiled
    result: HuntResult

    def as_dict(self) -> dict:
        return {"title": self.question.title, **self.result.as_dict(), "cypher": self.compiled.cypher,
                "params": self.compiled.params}


def parse_question(data, where: str = "question") -> Question:
    """A Question from JSON/YAML data, or QuestionError naming the first bad field."""
    if not isinstance(data, dict):
        raise QuestionError(f"{where}: expected a mapping, got {type(data).__name__}")
    try:
        return Question.model_validate(data)
    except ValidationError as exc:
        err = exc.errors()[0]
        loc = ".".join(str(p) for p in err["loc"])
        raise QuestionError(f"{where}: {loc or 'question'}: {err['msg']}"
                            f"{f' (and {len(exc.errors()) - 1} more)' if len(exc.errors()) > 1 else ''}") from None


def load_question_file(path: Path) -> Question:
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise QuestionError(f"{path}: cannot read it ({exc.strerror})") from None
    except yaml.YAMLError as exc:
        raise QuestionError(f"{path}: not valid YAML/JSON ({str(exc).splitlines()[0]})") from None
    return parse_question(data, str(path))


def explore(graph: Graph, question: Question, *, max_rows: int, timeout_s: float) -> Answer:
    """Compile and run; the row cap is the smaller of the question's limit and ``max_rows``."""
    compiled = compile_question(question)
    rows = min(question.limit, max_rows)
    result = run_hunt(graph, compiled.cypher, compiled.params, max_rows=rows, timeout_s=timeout_s)
    return Answer(question, compiled, result)


# -- templates ------------------------------------------------------------------------------------------

def templates_dir() -> Path:
    return Path(str(resources.files("cloudmap.cypher").joinpath("explore")))


def templates() -> dict[str, Question]:
    """Every shipped template by id (its file name without .yaml), each checked and compiled once."""
    out = {}
    for path in sorted(templates_dir().glob("*.yaml")):
        question = load_question_file(path)
        if not question.title or not question.description:
            raise QuestionError(f"{path}: a template needs a title and a description")
        compile_question(question)
        out[path.stem] = question
    return out


def template(name: str) -> Question:
    found = templates()
    if name not in found:
        raise QuestionError(f"unknown template {name!r}; templates: {', '.join(found)}")
    return found[name]
