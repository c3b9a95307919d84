"""Roles: reader < hunter < admin. The guard (:mod:`cloudmap.api.guard`) authenticates every request
from its headers before any body is read; these dependencies check the role (403) and document the
schemes in OpenAPI."""

from __future__ import annotations

from fastapi import Depends, Request
from fastapi.security import APIKeyHeader, HTTPAuthorizationCredentials, HTTPBearer

from cloudmap.api.problems import Problem
from cloudmap.services.apikeys import role_allows

_bearer = HTTPBearer(auto_error=False, description="API key as a bearer token: `Authorization: Bearer cm_...`")
_header = APIKeyHeader(name="X-API-Key", auto_error=False, description="API key (alternative to the bearer token)")


def caller(request: Request) -> dict | None:
    """The authenticated key record of this request, or None."""
    return getattr(request.state, "key", None)


def require(role: str):
    """A dependency that returns the caller's key record, or raises 401/403."""

    def dependency(request: Request, bearer: HTTPAuthorizationCredentials | None = Depends(_bearer),
                   header: str | None = Depends(_header)) -> dict:
        key = caller(request)
        if key is None:
            raise Problem(401, "an API key is required: send `Authorization: Bearer <key>`",
                          headers={"WWW-Authenticate": "Bearer"})
        if not role_allows(key["role"], role):
            raise Problem(403, f"this endpoint needs the {role} role; the key {key['name']!r} has {key['role']}")
        return key

    return dependency


reader = require("reader")
hunter = require("hunter")
admin = require("admin")
