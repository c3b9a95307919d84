from __future__ import annotations

from contextlib import contextmanager

from fastapi import APIRouter, Depends, Request

from cloudmap.api.auth import hunter
from cloudmap.api.models import HuntRequest, HuntResponse
from cloudmap.api.problems import Problem
from cloudmap.api.routes.deps import graph, hunt_problem, max_rows
from cloudmap.services.hunt import HuntError, run_hunt
from cloudmap.services.limits import Busy

router = APIRouter(tags=["hunting"])
BUSY = {429: {"description": "too many hunts at once or per minute (see Retry-After)"}}


@contextmanager
def hunt_slot(request: Request, key: dict):
    """A place in the hunt pool and the key's hunt rate, or a 429 with Retry-After."""
    state = request.app.state
    try:
        state.hunt_rate.take(key["id"])
        state.hunt_pool.acquire(key["id"])
    except Busy as exc:
        raise Problem(429, exc.message, headers={"Retry-After": str(exc.retry_after)}) from None
    try:
        yield
    finally:
        state.hunt_pool.release(key["id"])


@router.post("/hunt", response_model=HuntResponse, summary="Run read-only ad-hoc Cypher",
             responses={400: {"description": "Neo4j rejected the query, it has no bound, or it timed out"},
                        403: {"description": "the query is not read-only, or the role is too weak"}, **BUSY})
def hunt(body: HuntRequest, request: Request, key: dict = Depends(hunter)) -> dict:
    """The query is planned with EXPLAIN and refused unless it only reads the graph and its work is
    bounded; it runs in a read transaction with the server's timeout, and rows beyond the caps are
    cut (`truncated: true`)."""
    settings = request.app.state.settings
    with hunt_slot(request, key):
        try:
            result = run_hunt(graph(request), body.query, body.params, max_rows=max_rows(request, body.max_rows),
                              timeout_s=settings.hunt_timeout_s)
        except HuntError as exc:
            raise hunt_problem(exc) from None
    return result.as_dict()
