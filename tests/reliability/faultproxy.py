"""A loopback HTTP proxy in front of moto's server that breaks the answers of chosen AWS services.

The service of a request is read from its SigV4 credential scope (``.../<region>/<service>/aws4_request``).
Faults, per service:

* ``cut``: the status line, the headers (with the real Content-Length) and half the body, then close;
* ``cut-unframed``: half the body without any Content-Length, then close (only the body's syntax tells);
* ``500`` / ``403`` / ``throttle`` (400 ThrottlingException) / ``429``: an AWS error answer of that kind,
  in the service's protocol;
* ``delay``: the real answer, after ``delay`` seconds.

``budget[service] = n`` limits a service's fault to its first n requests (then the real answers pass),
as a throttled API answers again once the caller backs off. ``latency`` (seconds) delays every request
of every service, as a distant endpoint would (the benchmark's ``--latency-ms``). ``requests`` counts every
request and ``actions`` each ``service:Action``.
"""

from __future__ import annotations

import http.client
import re
import threading
import time
from collections import Counter
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit

SERVICE = re.compile(r"Credential=[^/]+/[^/]+/[^/]+/([^/]+)/aws4_request")
JSON_SERVICES = {"lambda", "secretsmanager", "dynamodb", "ecs", "ecr", "kms", "eks", "inspector2", "macie2"}
ERRORS = {"500": (500, "InternalFailure", "injected internal error"),
          "403": (403, "AccessDeniedException", "injected access denied"),
          "throttle": (400, "ThrottlingException", "injected throttling"),
          "429": (429, "TooManyRequestsException", "injected rate limit")}


def action_of(req: BaseHTTPRequestHandler, body: bytes) -> str:
    """The API action of a query-protocol request (``Action=`` in the body or the URL) or a JSON one
    (``X-Amz-Target``); REST requests name none ("")."""
    target = req.headers.get("X-Amz-Target")
    if target:
        return target.rsplit(".", 1)[-1]
    for text in (body.decode("utf-8", "replace") if body else "", urlsplit(req.path).query):
        found = parse_qs(text).get("Action")
        if found:
            return found[0]
    return ""


class FaultProxy:
    def __init__(self, upstream: str, delay: float = 0.5, latency: float = 0.0):
        self.upstream = urlsplit(upstream)
        self.faults: dict[str, str] = {}
        self.budget: dict[str, int] = {}
        self.delay = delay
        self.latency = latency
        self.hits: dict[str, int] = {}
        self.requests = 0
        self.actions: Counter[str] = Counter()   # "service:Action" of each request (query and JSON protocols)
        self._lock = threading.Lock()
        proxy = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args):  # quiet
                pass

            def _any(self):
                proxy.handle(self)

            do_GET = do_POST = do_PUT = do_DELETE = do_HEAD = do_PATCH = _any

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def reset(self) -> None:
        self.faults.clear()
        self.budget.clear()
        self.hits.clear()
        self.actions.clear()
        self.delay = 0.5

    def __enter__(self) -> FaultProxy:
        self.thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self.server.shutdown()
        self.server.server_close()

    def handle(self, req: BaseHTTPRequestHandler) -> None:
        body = req.rfile.read(int(req.headers.get("Content-Length") or 0))
        match = SERVICE.search(req.headers.get("Authorization", ""))
        service = match.group(1) if match else ""
        with self._lock:  # the server answers each connection in a thread of its own
            self.requests += 1
            self.actions[f"{service}:{action_of(req, body)}"] += 1
            fault = self.faults.get(service)
            if fault and service in self.budget and self.hits.get(service, 0) >= self.budget[service]:
                fault = None
            if fault:
                self.hits[service] = self.hits.get(service, 0) + 1
        if self.latency:
            time.sleep(self.latency)
        if fault in ERRORS:
            return self._error(req, service, *ERRORS[fault])
        if fault == "delay":
            time.sleep(self.delay)
        conn = http.client.HTTPConnection(self.upstream.hostname, self.upstream.port, timeout=60)
        headers = {k: v for k, v in req.headers.items() if k.lower() not in ("connection", "keep-alive")}
        conn.request(req.command, req.path, body=body, headers=headers)
        resp = conn.getresponse()
        data = resp.read()
        conn.close()
        out = data[: len(data) // 2] if fault in ("cut", "cut-unframed") else data
        req.send_response(resp.status)
        for key, value in resp.getheaders():
            if key.lower() in ("transfer-encoding", "connection", "content-length"):
                continue
            req.send_header(key, value)
        if fault != "cut-unframed":
            req.send_header("Content-Length", str(len(data)))
        if fault:
            req.send_header("Connection", "close")
            req.close_connection = True
        req.end_headers()
        req.wfile.write(out)
        req.wfile.flush()

    @staticmethod
    def _error(req, service: str, status: int, code: str, message: str) -> None:
        if service in JSON_SERVICES:
            payload, ctype = f'{{"__type": "{code}", "message": "{message}"}}'.encode(), "application/x-amz-json-1.1"
        else:
            payload = (f"<ErrorResponse><Error><Type>Sender</Type><Code>{code}</Code><Message>{message}</Message>"
                       f"</Error><RequestId>1</RequestId></ErrorResponse>").encode()
            ctype = "text/xml"
        req.send_response(status)
        req.send_header("Content-Type", ctype)
        req.send_header("x-amzn-ErrorType", code)
        req.send_header("Content-Length", str(len(payload)))
        req.end_headers()
        req.wfile.write(payload)
