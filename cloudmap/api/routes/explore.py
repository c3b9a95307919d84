"""The cloud security explorer over HTTP: POST /explore runs a question, GET /explore/templates lists
the shipped ones. Readers may explore: questions compile to bounded read-only Cypher."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends, Request
from pydantic import BaseModel, Field

from cloudmap.api.auth import reader
from cloudmap.api.problems import Problem
from cloudmap.api.routes.deps import graph, hunt_problem, max_rows
from cloudmap.api.routes.hunt import BUSY, hunt_slot
from cloudmap.explorer import Question, QuestionError
from cloudmap.services.explore import explore as run_question
from cloudmap.services.explore import templates
from cloudmap.services.hunt import HuntError

router = APIRouter(tags=["explorer"])


class ExploreResponse(BaseModel):
    title: str | None = None
    columns: list[str]
    rows: list[dict[str, Any]]
    row_count: int
    truncated: bool
    graph: dict | None = None
    notifications: list[str] = Field(default_factory=list)
    cypher: str = Field(description="the compiled query, to paste into Browser or save as a saved query")
    params: dict[str, Any]


class Template(BaseModel):
    name: str
    title: str
    description: str
    question: dict[str, Any] = Field(description="the question, ready to POST to /explore")


@router.post("/explore", response_model=ExploreResponse, summary="Ask a structured question (no Cypher)",
             responses={400: {"description": "the question names an unknown kind, relationship or property"}, **BUSY})
def explore(question: Question, request: Request, key: dict = Depends(reader)) -> dict:
    """The question is compiled to read-only, parameterized Cypher (returned as `cypher` and `params`)
    and runs with the hunt limits: a read transaction, the server's timeout and row cap."""
    settings = request.app.state.settings
    try:
        with hunt_slot(request, key):  # the same pool and per-key rate as hunts
            answer = run_question(graph(request), question, max_rows=max_rows(request, None),
                                  timeout_s=settings.hunt_timeout_s)
    except QuestionError as exc:
        raise Problem(400, str(exc), type_="/problems/bad-question", title="The question cannot be compiled") from None
    except HuntError as exc:
        raise hunt_problem(exc) from None
    return answer.as_dict()


@router.get("/explore/templates", response_model=list[Template], summary="The shipped explorer templates")
def list_templates(key: dict = Depends(reader)) -> list[dict]:
    return [{"name": name, "title": q.title, "description": q.description,
             "question": q.model_dump(mode="json", by_alias=True, exclude_none=True)}
            for name, q in templates().items()]
