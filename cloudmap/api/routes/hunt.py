from __future__ import annotations

from fastapi import APIRouter, Depends, Request

from cloudmap.api.auth import hunter
from cloudmap.api.models import HuntRequest, HuntResponse
from cloudmap.api.routes.deps import graph, hunt_problem, max_rows
from cloudmap.services.hunt import HuntError, run_hunt

router = APIRouter(tags=["hunting"])


@router.post("/hunt", response_model=HuntResponse, summary="Run read-only ad-hoc Cypher",
             responses={400: {"description": "Neo4j rejected the query or it timed out"},
                        403: {"description": "the query is not read-only, or the role is too weak"}})
def hunt(body: HuntRequest, request: Request, key: dict = Depends(hunter)) -> dict:
    """The query is planned with EXPLAIN and refused unless it only reads the graph; it runs in a read
    transaction with the server's timeout, and rows beyond the cap are cut (`truncated: true`)."""
    settings = request.app.state.settings
    try:
        result = run_hunt(graph(request), body.query, body.params, max_rows=max_rows(request, body.max_rows),
                          timeout_s=settings.hunt_timeout_s)
    except HuntError as exc:
        raise hunt_problem(exc) from None
    return result.as_dict()
