from __future__ import annotations

from pathlib import PurePath
from typing import Literal

from fastapi import APIRouter, Depends, Path, Query, Request
from fastapi.responses import JSONResponse

from cloudmap.api.auth import reader
from cloudmap.api.models import MAX_PAGE, Page
from cloudmap.api.problems import Problem
from cloudmap.api.routes.deps import graph
from cloudmap.findings import query as findings
from cloudmap.rules import load_rules
from cloudmap.services.hunt import json_value

router = APIRouter(tags=["findings"])


def text(description: str):
    """A text filter; each parameter needs a Query of its own (a shared one gets another's name)."""
    return Query(None, max_length=500, description=description)


@router.get("/rules", summary="The risk rules (built-in and the user's rules directory)")
def list_rules(request: Request, key: dict = Depends(reader)) -> dict:
    extra = request.app.state.settings.user_rules_dir
    rules, problems = load_rules([extra] if extra else [])
    # file names only: where the server keeps its files is none of an API client's business
    return {"items": [r.summary() | {"file": PurePath(r.file).name, "description": r.description} for r in rules],
            "problems": [f"{PurePath(p.file).name}:{p.line}: {p.message}" for p in problems]}


@router.get("/findings", response_model=Page, summary="Findings, filtered, sorted, cursor-paginated")
def list_findings(request: Request, key: dict = Depends(reader),
                  level: str | None = Query(None, max_length=100, description="one level or a comma list"),
                  rule: str | None = text("a rule id, e.g. CM-VM-001"),
                  status: Literal["open", "resolved", "retired", "all"] = "open",
                  account: str | None = text("an account or subscription id on the path"),
                  asset: str | None = text("an asset id the finding affects"),
                  risk_factor: str | None = text("a risk factor, e.g. internet-exposure"),
                  sort: Literal["score", "first_seen", "last_seen", "rule"] = "score",
                  limit: int = Query(50, ge=1, le=MAX_PAGE), cursor: str | None = Query(None, max_length=2000),
                  view: Literal["summary", "full"] = Query(
                      "summary", description="summary, or full: with the path, score factors, remediation")
                  ) -> JSONResponse:
    levels = [lv.strip() for lv in level.split(",") if lv.strip()] if level else None
    try:
        items, next_cursor = findings.list_findings(
            graph(request), level=levels, rule=rule, status=status, account=account, asset=asset,
            risk_factor=risk_factor, sort=sort, limit=limit, cursor=cursor, view=view)
    except findings.QueryError as exc:
        raise Problem(400, str(exc)) from None
    # items are JSON-native already: answer directly rather than re-validate every nested path
    return JSONResponse({"items": items, "next_cursor": next_cursor})


@router.get("/findings/{finding_id}", summary="One finding with its attack path in graph form",
            responses={404: {"description": "no such finding"}})
def get_finding(request: Request, finding_id: str = Path(max_length=500), key: dict = Depends(reader)) -> dict:
    found = findings.get_finding(graph(request), finding_id)
    if found is None:
        raise Problem(404, f"no finding with id {finding_id!r}")
    return json_value(found)


@router.get("/chokepoints", summary="Nodes and edges whose fix removes the most score-weighted findings")
def chokepoints(request: Request, limit: int = Query(20, ge=1, le=MAX_PAGE),
                min_level: Literal["critical", "high", "medium", "low"] | None = Query(
                    None, description="count only the paths of findings at or above this level"),
                key: dict = Depends(reader)) -> dict:
    return {"items": json_value(findings.chokepoints(graph(request), limit, min_level))}
