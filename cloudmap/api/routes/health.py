from __future__ import annotations

from fastapi import APIRouter, Request

from cloudmap.api.models import Health
from cloudmap.api.routes.deps import graph
from cloudmap.services.apikeys import verify_token
from cloudmap.services.health import health

router = APIRouter(tags=["health"])


@router.get("/health", response_model=Health, summary="Neo4j reachable, schema version, last sync and analysis")
def get_health(request: Request) -> dict:
    """Open to everyone for load balancers; the last sync and analysis are shown only with a valid key."""
    out = health(graph(request))
    auth = request.headers.get("authorization", "")
    token = auth[7:] if auth.lower().startswith("bearer ") else request.headers.get("x-api-key", "")
    if request.app.state.auth_enabled and not (out["neo4j"] == "reachable" and token and len(token) <= 200
                                               and verify_token(graph(request), token)):
        out.update(last_sync=None, last_analysis=None)
    return out
