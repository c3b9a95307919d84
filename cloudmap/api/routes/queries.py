from __future__ import annotations

from fastapi import APIRouter, Depends, Path, Query, Request, Response

from cloudmap.api.auth import hunter, reader
from cloudmap.api.models import HuntResponse, RunRequest, SavedQueryIn, SavedQueryOut
from cloudmap.api.problems import Problem
from cloudmap.api.routes.deps import graph, hunt_problem, max_rows, query_problem, store
from cloudmap.api.routes.hunt import BUSY, hunt_slot
from cloudmap.services import queries as svc
from cloudmap.services.hunt import HuntError

router = APIRouter(prefix="/queries", tags=["saved queries"])
QID = Path(max_length=100, description="the saved query's id")
ERRORS = {403: {"description": "shipped queries are read-only; only the owner or an admin may change a query"}, 404: {"description": "no such query"},
          409: {"description": "the id is taken"}, 422: {"description": "invalid body or parameter types"}}


def _library(request: Request) -> dict:
    return request.app.state.library


@router.get("", response_model=list[SavedQueryOut], summary="Shipped and user saved queries")
def list_queries(request: Request, tag: str | None = Query(None, max_length=50),
                 key: dict = Depends(reader)) -> list[dict]:
    return [q.as_dict(with_query=False) for q in svc.list_queries(store(request), _library(request), tag)]


@router.get("/{query_id}", response_model=SavedQueryOut, responses=ERRORS)
def get_query(request: Request, query_id: str = QID, key: dict = Depends(reader)) -> dict:
    try:
        return svc.get_query(store(request), _library(request), query_id).as_dict()
    except svc.QueryError as exc:
        raise query_problem(exc) from None


@router.get("/{query_id}/history", responses=ERRORS,
            summary="Every change of a user query: version, who, when, the text it replaced")
def query_history(request: Request, query_id: str = QID, key: dict = Depends(reader)) -> dict:
    try:
        return {"items": svc.history(store(request), _library(request), query_id)}
    except svc.QueryError as exc:
        raise query_problem(exc) from None


@router.post("/{query_id}/run", response_model=HuntResponse, responses={**ERRORS, **BUSY},
             summary="Run a saved query; parameters are checked against their declared types")
def run_query(request: Request, body: RunRequest | None = None, query_id: str = QID,
              key: dict = Depends(reader)) -> dict:
    body = body or RunRequest()
    settings = request.app.state.settings
    try:
        q = svc.get_query(store(request), _library(request), query_id)
        with hunt_slot(request, key):
            result = svc.run_query(graph(request), q, body.params, max_rows=max_rows(request, body.max_rows),
                                   timeout_s=settings.hunt_timeout_s)
    except svc.QueryError as exc:
        raise query_problem(exc) from None
    except HuntError as exc:
        raise hunt_problem(exc) from None
    out = result.as_dict()
    if q.source == "user":  # readers see whether, when and by whom the text changed
        out["saved_query"] = {"id": q.id, "version": q.version, "owner": q.owner, "updated_at": q.updated_at,
                              "updated_by": q.updated_by, "changed": q.version > 1}
    return out


def _save(request: Request, body: SavedQueryIn, create: bool, key: dict) -> dict:
    try:
        return svc.save_query(graph(request), store(request), _library(request), body.meta(), body.query,
                              create=create, actor=key).as_dict()
    except svc.QueryError as exc:
        raise query_problem(exc) from None
    except HuntError as exc:
        raise hunt_problem(exc) from None


@router.post("", response_model=SavedQueryOut, status_code=201, responses=ERRORS,
             summary="Save a query of your own (checked read-only)")
def create_query(request: Request, body: SavedQueryIn, key: dict = Depends(hunter)) -> dict:
    return _save(request, body, create=True, key=key)


@router.put("/{query_id}", response_model=SavedQueryOut, responses=ERRORS, summary="Replace a query of your own")
def replace_query(request: Request, body: SavedQueryIn, query_id: str = QID, key: dict = Depends(hunter)) -> dict:
    if body.id != query_id:
        raise Problem(422, f"the body's id {body.id!r} differs from the path's {query_id!r}")
    return _save(request, body, create=False, key=key)


@router.delete("/{query_id}", status_code=204, responses=ERRORS, response_class=Response)
def delete_query(request: Request, query_id: str = QID, key: dict = Depends(hunter)) -> Response:
    try:
        svc.delete_query(store(request), _library(request), query_id, actor=key)
    except svc.QueryError as exc:
        raise query_problem(exc) from None
    return Response(status_code=204)
