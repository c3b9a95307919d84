from __future__ import annotations

from fastapi import APIRouter, Request

from cloudmap.api.auth import caller
from cloudmap.api.models import Health
from cloudmap.api.routes.deps import graph
from cloudmap.services.health import health

router = APIRouter(tags=["health"])


@router.get("/health", response_model=Health, summary="Neo4j reachable, schema version, syncs per source, running loads, last analysis")
def get_health(request: Request) -> dict:
    """Open to everyone for load balancers; the last sync and analysis are shown only with a valid key."""
    out = health(graph(request))
    if caller(request) is None:  # the guard authenticated the key, if one was sent
        out.update(last_sync=None, last_analysis=None, sources=[], running=[])
    return out
