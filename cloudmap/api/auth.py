"""API-key authentication and roles: reader < hunter < admin. No key is 401, a weaker role 403."""

from __future__ import annotations

from fastapi import Depends, Request
from fastapi.security import APIKeyHeader, HTTPAuthorizationCredentials, HTTPBearer

from cloudmap.api.problems import Problem
from cloudmap.services.apikeys import role_allows, verify_token

_bearer = HTTPBearer(auto_error=False, description="API key as a bearer token: `Authorization: Bearer cm_...`")
_header = APIKeyHeader(name="X-API-Key", auto_error=False, description="API key (alternative to the bearer token)")


def require(role: str):
    """A dependency that returns the caller's key record, or raises 401/403."""

    def dependency(request: Request, bearer: HTTPAuthorizationCredentials | None = Depends(_bearer),
                   header: str | None = Depends(_header)) -> dict:
        state = request.app.state
        if not state.auth_enabled:
            return {"id": "local", "name": "local user (--no-auth)", "role": "admin"}
        token = bearer.credentials if bearer else header
        if not token:
            raise Problem(401, "an API key is required: send `Authorization: Bearer <key>` "
                               "(create one with `cloudmap apikeys create`)", headers={"WWW-Authenticate": "Bearer"})
        if len(token) > 200 or (key := verify_token(state.graph, token)) is None:
            raise Problem(401, "the API key is not valid", headers={"WWW-Authenticate": "Bearer"})
        if not role_allows(key["role"], role):
            raise Problem(403, f"this endpoint needs the {role} role; the key {key['name']!r} has {key['role']}")
        return key

    return dependency


reader = require("reader")
hunter = require("hunter")
admin = require("admin")
