"""Errors as RFC 9457 problem details (``application/problem+json``), never with stack traces."""

from __future__ import annotations

import logging

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException

log = logging.getLogger("cloudmap.api")
PROBLEM = "application/problem+json"
TITLES = {400: "Bad request", 401: "Unauthorized", 403: "Forbidden", 404: "Not found", 405: "Method not allowed",
          409: "Conflict", 413: "Request too large", 422: "Unprocessable content", 500: "Internal server error",
          503: "Service unavailable", 504: "Query timed out"}


class Problem(Exception):
    """Raised by routes; becomes a problem+json response. ``extra`` members are added as they are."""

    def __init__(self, status: int, detail: str, *, type_: str = "about:blank", title: str | None = None,
                 headers: dict | None = None, **extra):
        self.status, self.detail, self.type, self.headers, self.extra = status, detail, type_, headers, extra
        self.title = title or TITLES.get(status, "Error")


def problem_response(status: int, detail: str, type_: str = "about:blank", title: str | None = None,
                     headers: dict | None = None, **extra) -> JSONResponse:
    body = {"type": type_, "title": title or TITLES.get(status, "Error"), "status": status, "detail": detail, **extra}
    return JSONResponse(body, status_code=status, media_type=PROBLEM, headers=headers)


def install(app: FastAPI) -> None:
    @app.exception_handler(Problem)
    async def _problem(request: Request, exc: Problem):
        return problem_response(exc.status, exc.detail, exc.type, exc.title, exc.headers, **exc.extra)

    # Starlette's HTTPException, the base of FastAPI's: routing (404, 405) and body parsing raise it.
    @app.exception_handler(HTTPException)
    async def _http(request: Request, exc: HTTPException):
        return problem_response(exc.status_code, str(exc.detail), headers=getattr(exc, "headers", None))

    @app.exception_handler(RequestValidationError)
    async def _validation(request: Request, exc: RequestValidationError):
        errors = [{"loc": [str(x) for x in e.get("loc", ())], "msg": e.get("msg", "")} for e in exc.errors()]
        detail = "; ".join(f"{'.'.join(e['loc'])}: {e['msg']}" for e in errors[:5])
        return problem_response(422, detail or "invalid request", errors=errors[:20])

    @app.exception_handler(Exception)
    async def _unexpected(request: Request, exc: Exception):
        # Log the type only: messages of driver errors can carry query text or connection details.
        log.error("unhandled %s on %s %s", type(exc).__name__, request.method, request.url.path)
        return problem_response(500, "an internal error occurred; see the server log")
