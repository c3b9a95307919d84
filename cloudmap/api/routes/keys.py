from __future__ import annotations

from fastapi import APIRouter, Depends, Path, Request, Response

from cloudmap.api.auth import admin
from cloudmap.api.models import ApiKeyCreated, ApiKeyIn, ApiKeyOut
from cloudmap.api.problems import Problem
from cloudmap.api.routes.deps import store
from cloudmap.services import apikeys

router = APIRouter(prefix="/keys", tags=["api keys"])


@router.post("", response_model=ApiKeyCreated, status_code=201, summary="Create an API key (token shown once)")
def create(request: Request, body: ApiKeyIn, key: dict = Depends(admin)) -> dict:
    record, token = apikeys.create_key(store(request), body.name, body.role, actor=key['name'])
    return {**record, "token": token}


@router.get("", response_model=list[ApiKeyOut], summary="API keys (never their tokens)")
def list_keys(request: Request, key: dict = Depends(admin)) -> list[dict]:
    return apikeys.list_keys(store(request))


@router.delete("/{key_id}", status_code=204, response_class=Response, responses={404: {"description": "no such key"}})
def delete(request: Request, key_id: str = Path(max_length=64), key: dict = Depends(admin)) -> Response:
    if not apikeys.delete_key(store(request), key_id, actor=key['name']):
        raise Problem(404, f"no API key with id {key_id!r}")
    return Response(status_code=204)
