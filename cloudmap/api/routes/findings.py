from __future__ import annotations

from pathlib import PurePath
from typing import Literal

from fastapi import APIRouter, Depends, Path, Query, Request
from fastapi.responses import JSONResponse, Response

from cloudmap.api.auth import hunter, reader
from cloudmap.api.models import MAX_PAGE, Page, SuppressIn, UnsuppressIn
from cloudmap.api.problems import Problem
from cloudmap.api.routes.deps import graph, store
from cloudmap.findings import diff, triage
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
                  status: Literal["open", "suppressed", "resolved", "retired", "all"] = Query(
                      "open", description="open (suppressed findings left out), suppressed, resolved, retired, all"),
                  account: str | None = text("an account or subscription id on the path"),
                  asset: str | None = text("an asset id the finding affects"),
                  risk_factor: str | None = text("a risk factor, e.g. internet-exposure"),
                  sort: Literal["score", "first_seen", "last_seen", "rule"] = "score",
                  limit: int = Query(50, ge=1, le=MAX_PAGE), cursor: str | None = Query(None, max_length=2000),
                  view: Literal["summary", "full"] = Query(
                      "summary", description="summary, or full: with the path, score factors, remediation")
                  ) -> JSONResponse:
    levels = [lv.strip() for lv in level.split(",") if lv.strip()] if level else None

    def page() -> bytes:
        try:
            items, next_cursor = findings.list_findings(
                graph(request), level=levels, rule=rule, status=status, account=account, asset=asset,
                risk_factor=risk_factor, sort=sort, limit=limit, cursor=cursor, view=view)
        except findings.QueryError as exc:
            raise Problem(400, str(exc)) from None
        # items are JSON-native already: answer directly rather than re-validate every nested path
        return JSONResponse({"items": items, "next_cursor": next_cursor}).body

    if cursor is None:   # first pages: what dashboards ask for again and again, until the findings change
        body = request.app.state.page_cache.get(
            graph(request), ("findings", level, rule, status, account, asset, risk_factor, sort, limit, view), page)
    else:
        body = page()
    return Response(body, media_type="application/json")


def _triage(request: Request, key: dict, action: str, fn, ids: list[str], **kw) -> dict:
    try:
        changed = fn(graph(request), ids, by=key["name"], **kw)
    except triage.UnknownFinding as exc:
        raise Problem(404, str(exc)) from None
    except triage.TriageError as exc:
        raise Problem(400, str(exc)) from None
    store(request).audit(key["name"], action, ",".join(ids)[:1000], kw)
    return {"items": changed}


TRIAGE_ERRORS = {400: {"description": "a date in the past, or a finding that is not suppressed"},
                 404: {"description": "an unknown finding id (nothing was changed)"}}


@router.post("/findings/suppress", summary="Suppress findings (hunter or admin)", responses=TRIAGE_ERRORS)
def suppress(request: Request, body: SuppressIn, key: dict = Depends(hunter)) -> dict:
    """The findings stay evaluated but leave the default listing until `until` has passed (or until
    unsuppressed); the change is kept in each finding's `history`, by the API key's name."""
    return _triage(request, key, "findings.suppress", triage.suppress, body.ids, reason=body.reason, until=body.until)


@router.post("/findings/unsuppress", summary="Lift manual suppressions (hunter or admin)", responses=TRIAGE_ERRORS)
def unsuppress(request: Request, body: UnsuppressIn, key: dict = Depends(hunter)) -> dict:
    return _triage(request, key, "findings.unsuppress", triage.unsuppress, body.ids)


@router.get("/findings/diff", summary="What changed: new, resolved, reopened findings and level changes",
            responses={400: {"description": "`since` is neither an analysis id nor a date"}})
def findings_diff(request: Request, key: dict = Depends(reader), since: str | None = Query(
        None, max_length=200, description="an analysis id or YYYY-MM-DD (default: what the last analysis changed)")
                  ) -> dict:
    try:
        return json_value(diff.diff(graph(request), since))
    except (diff.DiffError, triage.TriageError) as exc:
        raise Problem(400, str(exc)) from None


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
