"""The FastAPI application factory: ``create_app(settings, graph=..., auth=True)``.

Everything is versioned under ``/api/v1``; the OpenAPI document is ``/api/v1/openapi.json``.
"""

from __future__ import annotations

import os
from contextlib import asynccontextmanager

from fastapi import FastAPI, Request
from fastapi.middleware.cors import CORSMiddleware
from neo4j.exceptions import ServiceUnavailable, SessionExpired

from cloudmap import __version__ as VERSION
from cloudmap.api import problems
from cloudmap.api.guard import Guard
from cloudmap.api.routes import analyses, assets, explore, findings, health, hunt, keys, queries
from cloudmap.config import Settings
from cloudmap.config import settings as default_settings
from cloudmap.graph.driver import Graph, connect
from cloudmap.graph.schema import apply_schema
from cloudmap.services.analyses import AnalysisRunner
from cloudmap.services.authstore import AuthStore, move_out_of_graph
from cloudmap.services.limits import FailedAuth, HuntPool, MemoryState, RateLimit, SharedState
from cloudmap.services.pagecache import PageCache
from cloudmap.services.queries import load_library

PREFIX = "/api/v1"
PUBLIC_PATHS = (f"{PREFIX}/health", f"{PREFIX}/openapi.json", f"{PREFIX}/docs", f"{PREFIX}/docs/oauth2-redirect")


# `cloudmap serve --workers N` hands its worker processes these (see :func:`worker_app`)
ENV_NO_AUTH, ENV_LIMITS_DB = "CLOUDMAP_SERVE_NO_AUTH", "CLOUDMAP_SERVE_LIMITS_DB"


def worker_app() -> FastAPI:
    """The app of one worker process of `cloudmap serve --workers N` (a uvicorn factory): settings
    from the environment, and the limit state in the SQLite file the parent process created."""
    return create_app(auth=os.environ.get(ENV_NO_AUTH) != "1", limits_db=os.environ.get(ENV_LIMITS_DB) or None)


def create_app(cfg: Settings | None = None, *, graph: Graph | None = None, auth: bool = True,
               limits_db: str | None = None) -> FastAPI:
    """An app bound to ``graph`` (or a connection opened at start-up and closed at shutdown).
    ``limits_db``: the SQLite file of limit state shared with other worker processes (default: in memory)."""
    cfg = cfg or default_settings()
    library = load_library(cfg.user_hunts_dir)  # a broken hunt file fails here, naming the file

    @asynccontextmanager
    async def lifespan(app: FastAPI):
        owned = None
        if app.state.graph is None:
            owned = app.state.graph = connect(cfg)
            apply_schema(owned)
            move_out_of_graph(owned, app.state.auth_store)
            app.state.analyses = AnalysisRunner(owned, cfg)
        try:
            yield
        finally:
            if owned is not None:
                owned.close()

    app = FastAPI(title="cloudmap", version=VERSION, lifespan=lifespan, openapi_url=f"{PREFIX}/openapi.json",
                  docs_url=f"{PREFIX}/docs", redoc_url=None,
                  description="Cloud security map: hunting, saved queries, findings and assets over the graph. "
                              "Authenticate with `Authorization: Bearer <API key>`.")
    app.state.settings = cfg
    app.state.graph = graph
    app.state.library = library
    app.state.auth_enabled = auth
    app.state.analyses = AnalysisRunner(graph, cfg) if graph is not None else None
    app.state.auth_store = AuthStore(cfg.auth_db_path)
    if graph is not None:
        move_out_of_graph(graph, app.state.auth_store)
    limits = SharedState(limits_db) if limits_db else MemoryState()
    app.state.failed_auth = FailedAuth(state=limits)
    app.state.hunt_pool = HuntPool(cfg.hunt_concurrency, cfg.hunt_concurrency_per_key, limits)
    app.state.hunt_rate = RateLimit(cfg.hunts_per_minute, 60.0, "hunts", limits)
    app.state.analysis_rate = RateLimit(cfg.analyses_per_hour, 3600.0, "analyses", limits)
    app.state.page_cache = PageCache(cfg.page_cache_size)

    problems.install(app)

    @app.exception_handler(ServiceUnavailable)
    @app.exception_handler(SessionExpired)
    async def _neo4j_down(request: Request, exc: Exception):
        return problems.problem_response(503, "Neo4j is not reachable")

    if cfg.cors_origin_list:
        app.add_middleware(CORSMiddleware, allow_origins=cfg.cors_origin_list, allow_credentials=False,
                           allow_methods=["GET", "POST", "PUT", "DELETE"],
                           allow_headers=["Authorization", "X-API-Key", "Content-Type"])

    for module in (health, hunt, explore, queries, findings, assets, analyses, keys):
        app.include_router(module.router, prefix=PREFIX)
    # outermost: authenticate and cap bodies before CORS or any route sees the request
    app.add_middleware(Guard, fastapi_app=app, public_paths=PUBLIC_PATHS)
    return app
