from __future__ import annotations

from fastapi import APIRouter, Depends, Path, Query, Request

from cloudmap.api.auth import reader
from cloudmap.api.models import MAX_PAGE, GraphForm, Page
from cloudmap.api.problems import Problem
from cloudmap.api.routes.deps import graph
from cloudmap.services import assets as svc

router = APIRouter(prefix="/assets", tags=["assets"])
AssetId = Path(max_length=2000, description="the asset id (ARN, Azure resource id, ...); slashes allowed")


class Neighbourhood(GraphForm):
    center: str
    depth: int
    truncated: bool


@router.get("", response_model=Page, summary="Search assets by id or name, label, tag, account")
def search(request: Request, key: dict = Depends(reader), q: str | None = Query(None, max_length=500),
           label: str | None = Query(None, max_length=64), tag: str | None = Query(None, max_length=500),
           account: str | None = Query(None, max_length=200), limit: int = Query(50, ge=1, le=MAX_PAGE),
           cursor: str | None = Query(None, max_length=4000)) -> dict:
    try:
        items, next_cursor = svc.search_assets(graph(request), q=q, label=label, tag=tag, account=account,
                                               limit=limit, cursor=cursor)
    except svc.AssetError as exc:
        raise Problem(400, str(exc)) from None
    return {"items": items, "next_cursor": next_cursor}


# Declared before /{asset_id:path} so that ids with slashes still reach the neighbourhood.
@router.get("/{asset_id:path}/neighborhood", response_model=Neighbourhood,
            summary="The asset's neighbourhood (1 to 3 hops) in graph form",
            responses={404: {"description": "no such asset"}})
def neighbourhood(request: Request, asset_id: str = AssetId, depth: int = Query(1, ge=1, le=3),
                  limit: int = Query(200, ge=1, le=MAX_PAGE), key: dict = Depends(reader)) -> dict:
    found = svc.neighbourhood(graph(request), asset_id, depth, limit)
    if found is None:
        raise Problem(404, f"no asset with id {asset_id!r}")
    return found


@router.get("/{asset_id:path}", summary="One asset with its properties and relationships",
            responses={404: {"description": "no such asset"}})
def get_asset(request: Request, asset_id: str = AssetId, key: dict = Depends(reader)) -> dict:
    found = svc.get_asset(graph(request), asset_id)
    if found is None:
        raise Problem(404, f"no asset with id {asset_id!r}")
    return found
