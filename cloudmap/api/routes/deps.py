"""What routes get from the app: the graph, settings, the saved-query library; service errors as problems."""

from __future__ import annotations

from fastapi import Request

from cloudmap.api.problems import Problem
from cloudmap.graph.driver import Graph
from cloudmap.services.authstore import AuthStore
from cloudmap.services.hunt import HuntError
from cloudmap.services.queries import QueryError


def graph(request: Request) -> Graph:
    return request.app.state.graph


def store(request: Request) -> AuthStore:
    return request.app.state.auth_store


def max_rows(request: Request, asked: int | None) -> int:
    cap = request.app.state.settings.hunt_max_rows
    return min(asked or cap, cap)


def hunt_problem(exc: HuntError) -> Problem:
    if exc.kind == "forbidden":
        return Problem(403, exc.message, type_="/problems/not-read-only", title="Query is not read-only")
    if exc.kind == "timeout":
        return Problem(400, exc.message, type_="/problems/query-timeout", title="Query timed out",
                       neo4j_code=exc.code)
    if exc.kind == "unbounded":
        return Problem(400, exc.message, type_="/problems/query-unbounded", title="Query has no bound")
    if exc.kind == "unavailable":
        return Problem(503, exc.message)
    return Problem(400, exc.message, type_="/problems/neo4j-error", title="Neo4j rejected the query",
                   neo4j_code=exc.code)


def query_problem(exc: QueryError) -> Problem:
    return Problem(exc.status, exc.message)
