"""The API's outer guard, an ASGI middleware that runs before any route reads a body.

* authentication from the headers, before the body is read, with failed attempts limited per
  client address and per key id (429 and ``Retry-After``) and logged without the secret;
* request bodies capped at ``MAX_BODY_BYTES`` by Content-Length and again while they are read
  (chunked bodies included);
* with ``--no-auth``: the Host header must name a loopback address (DNS rebinding), and a
  state-changing request must be JSON and come from no other origin (cross-site requests);
* security headers on every response.
"""

from __future__ import annotations

import json
import logging
from urllib.parse import urlsplit

import anyio
from starlette.exceptions import HTTPException

from cloudmap.services.apikeys import key_id_of, verify_token

log = logging.getLogger("cloudmap.api.auth")
MAX_BODY_BYTES = 1_000_000
MAX_TOKEN_CHARS = 200
LOOPBACK_HOSTS = frozenset({"localhost", "127.0.0.1", "::1"})
STATE_CHANGING = frozenset({"POST", "PUT", "PATCH", "DELETE"})
HEADERS = [(b"x-content-type-options", b"nosniff"), (b"cache-control", b"no-store"),
           (b"x-frame-options", b"DENY"), (b"referrer-policy", b"no-referrer"),
           (b"cross-origin-resource-policy", b"same-origin")]
STRICT_CSP = b"default-src 'none'; frame-ancestors 'none'"
# The interactive docs page loads Swagger UI from its CDN.
DOCS_CSP = (b"default-src 'none'; script-src 'self' 'unsafe-inline' https://cdn.jsdelivr.net; "
            b"style-src 'self' 'unsafe-inline' https://cdn.jsdelivr.net; img-src 'self' data: https:; "
            b"connect-src 'self'; frame-ancestors 'none'")


class BodyTooLarge(HTTPException):
    def __init__(self):
        super().__init__(413, f"request bodies are limited to {MAX_BODY_BYTES} bytes")


def _problem(status: int, detail: str, headers: dict | None = None) -> tuple[int, list, bytes]:
    titles = {400: "Bad request", 401: "Unauthorized", 403: "Forbidden", 413: "Request too large",
              415: "Unsupported media type", 421: "Misdirected request", 429: "Too many requests"}
    body = json.dumps({"type": "about:blank", "title": titles.get(status, "Error"), "status": status,
                       "detail": detail}).encode()
    extra = [(k.lower().encode(), str(v).encode()) for k, v in (headers or {}).items()]
    return status, [(b"content-type", b"application/problem+json"), *extra], body


def token_of(headers: dict[bytes, bytes]) -> str | None:
    auth = headers.get(b"authorization", b"").decode("latin-1")
    if auth.lower().startswith("bearer "):
        return auth[7:].strip()
    return headers.get(b"x-api-key", b"").decode("latin-1").strip() or None


class Guard:
    def __init__(self, app, fastapi_app, public_paths: tuple[str, ...]):
        self.app, self.fastapi_app, self.public_paths = app, fastapi_app, public_paths

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http":
            return await self.app(scope, receive, send)
        path = scope["path"]
        csp = DOCS_CSP if path.endswith("/docs") else STRICT_CSP

        async def send_with_headers(message):
            if message["type"] == "http.response.start":
                message["headers"] = [*message.get("headers", []), *HEADERS, (b"content-security-policy", csp)]
            await send(message)

        # scrypt and SQLite block: off the event loop, so other requests (health) keep being answered
        refusal = await anyio.to_thread.run_sync(self.check, scope)
        if refusal is not None:
            status, headers, body = refusal
            await send_with_headers({"type": "http.response.start", "status": status, "headers": headers})
            await send_with_headers({"type": "http.response.body", "body": body})
            return

        seen = 0

        async def capped_receive():
            nonlocal seen
            message = await receive()
            if message["type"] == "http.request":
                seen += len(message.get("body", b""))
                if seen > MAX_BODY_BYTES:
                    raise BodyTooLarge()
            return message

        await self.app(scope, capped_receive, send_with_headers)

    def check(self, scope) -> tuple[int, list, bytes] | None:
        """A refusal (status, headers, body), or None to go on; sets scope["state"]["key"] when authenticated."""
        state = self.fastapi_app.state
        headers = dict(scope.get("headers") or [])
        length = headers.get(b"content-length", b"").decode("latin-1")
        if length and (not length.isdigit() or int(length) > MAX_BODY_BYTES):
            return _problem(413, f"request bodies are limited to {MAX_BODY_BYTES} bytes")
        if not state.auth_enabled:
            return self.check_local(scope, headers)
        public = scope["path"] in self.public_paths
        token = token_of(headers)
        if token is None:
            if public:
                return None
            return _problem(401, "an API key is required: send `Authorization: Bearer <key>` "
                                 "(create one with `cloudmap apikeys create`)", {"WWW-Authenticate": "Bearer"})
        client = f"addr:{(scope.get('client') or ('?',))[0]}"
        key_id = key_id_of(token)
        idents = (client, f"key:{key_id}") if key_id else (client,)
        wait = state.failed_auth.blocked_for(*idents)
        if wait:
            return None if public else _problem(
                429, f"too many failed authentications; retry in {wait} s", {"Retry-After": wait})
        key = verify_token(state.auth_store, token) if len(token) <= MAX_TOKEN_CHARS else None
        if key is None:
            state.failed_auth.failure(*idents)
            log.warning("failed authentication from %s for key id %s on %s", client[5:], key_id or "(malformed)",
                        scope["path"])
            return None if public else _problem(401, "the API key is not valid", {"WWW-Authenticate": "Bearer"})
        state.failed_auth.success(client)
        scope.setdefault("state", {})["key"] = key
        return None

    def check_local(self, scope, headers: dict[bytes, bytes]) -> tuple[int, list, bytes] | None:
        """--no-auth: only this machine's own pages and tools may use the API."""
        host = urlsplit("//" + headers.get(b"host", b"").decode("latin-1")).hostname or ""
        if host not in LOOPBACK_HOSTS:
            return _problem(421, f"Host {host or '(none)'!r} is not a loopback name; without API keys the API "
                                 f"answers only to localhost, 127.0.0.1 and [::1]")
        if scope["method"] in STATE_CHANGING:
            origin = headers.get(b"origin", b"").decode("latin-1")
            if origin and (urlsplit(origin).hostname or "") not in LOOPBACK_HOSTS:
                return _problem(403, f"cross-origin {scope['method']} from {origin[:100]!r} is refused")
            ctype = headers.get(b"content-type", b"").decode("latin-1").split(";")[0].strip().lower()
            if ctype != "application/json":
                return _problem(415 if ctype else 400, "state-changing requests must send "
                                                       "`Content-Type: application/json`")
        scope.setdefault("state", {})["key"] = {"id": "local", "name": "local user (--no-auth)", "role": "admin"}
        return None
