"""Small helpers the tests share."""

from __future__ import annotations

import json
import subprocess
import sys
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


def run_cli(env: dict, *args: str, input: str | None = None, timeout: float = 300) -> subprocess.CompletedProcess:
    """Run the real `cloudmap` entry point (as a user would) and return the completed process."""
    return subprocess.run([sys.executable, "-m", "cloudmap", *args], env=env, capture_output=True, text=True,
                          input=input, timeout=timeout)


def cli_json(env: dict, *args: str):
    proc = run_cli(env, *args)
    assert proc.returncode == 0, proc.stderr + proc.stdout
    return json.loads(proc.stdout)


def api_client(graph, settings, auth: bool = True, **overrides):
    """A FastAPI TestClient (HTTP through the ASGI app) on the test graph, and bearer headers per role."""
    from fastapi.testclient import TestClient

    from cloudmap.api.app import create_app
    from cloudmap.services.apikeys import ROLES, create_key
    from cloudmap.services.authstore import open_store

    cfg = settings.model_copy(update=overrides) if overrides else settings
    store = open_store(cfg)
    headers = {role: {"Authorization": f"Bearer {create_key(store, f'test-{role}', role)[1]}"} for role in ROLES}
    return TestClient(create_app(cfg, graph=graph, auth=auth), raise_server_exceptions=False), headers


def wait_for_analysis(client, job_id: str, headers: dict, polls: int = 600) -> dict:
    """The analysis job's status once it is no longer running (the engine and every rule run; slow on a
    busy machine)."""
    import time

    for _ in range(polls):
        status = client.get(f"/api/v1/analyses/{job_id}", headers=headers).json()
        if status["status"] != "running":
            return status
        time.sleep(0.5)
    raise AssertionError(f"analysis {job_id} still running: {status}")


def moto_env(region: str):
    """A MonkeyPatch holding moto's dummy credentials for ``region`` and no profile or endpoint of the
    machine's own; the caller undoes it."""
    import pytest

    mp = pytest.MonkeyPatch()
    for key, value in {"AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing",
                       "AWS_DEFAULT_REGION": region, "MOTO_IAM_LOAD_MANAGED_POLICIES": "false"}.items():
        mp.setenv(key, value)
    for key in ("AWS_PROFILE", "AWS_ENDPOINT_URL"):
        mp.delenv(key, raising=False)
    return mp


def run_cli_on_terminal(env: dict, *args: str, columns: int = 80, timeout: float = 300) -> tuple[int, str]:
    """Run the real `cloudmap` entry point on a pseudo-terminal ``columns`` wide, as a user at a
    terminal would; returns the exit code and everything it drew (stdout and stderr, escapes kept)."""
    import fcntl
    import os
    import pty
    import select
    import struct
    import termios
    import time

    primary, secondary = pty.openpty()
    fcntl.ioctl(secondary, termios.TIOCSWINSZ, struct.pack("HHHH", 50, columns, 0, 0))
    env = {k: v for k, v in env.items() if k not in ("NO_COLOR", "COLUMNS", "CI")} | {"TERM": "xterm-256color"}
    proc = subprocess.Popen([sys.executable, "-m", "cloudmap", *args], env=env, stdin=secondary,
                            stdout=secondary, stderr=secondary, close_fds=True)
    os.close(secondary)
    drawn, deadline = bytearray(), time.monotonic() + timeout
    try:
        while time.monotonic() < deadline:
            if select.select([primary], [], [], 1)[0]:
                try:
                    chunk = os.read(primary, 65536)
                except OSError:  # the child closed the terminal
                    break
                if not chunk:
                    break
                drawn += chunk
            elif proc.poll() is not None:
                break
        else:
            proc.kill()
            raise subprocess.TimeoutExpired(proc.args, timeout)
        return proc.wait(timeout=30), drawn.decode("utf-8", "replace")
    finally:
        os.close(primary)


def graph_text(graph) -> str:
    """Every node's and relationship's properties as one JSON text, to search for values that must not be there."""
    rows = graph.read("MATCH (n) RETURN properties(n) AS p UNION ALL MATCH ()-[r]->() RETURN properties(r) AS p")
    return json.dumps([r["p"] for r in rows], default=str)


def assert_nowhere(values, **texts: str) -> None:
    """No value appears in any of the named texts (the graph, the server logs, the CLI output ...)."""
    assert values and all(values)
    for where, text in texts.items():
        for value in values:
            assert value not in text, f"a planted value is in the {where}"


@contextmanager
def local_http(handler: type[BaseHTTPRequestHandler]) -> Iterator[str]:
    """A real HTTP server on a free loopback port, answering in a thread; yields its base URL."""
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


def send_json(handler: BaseHTTPRequestHandler, status: int, body, headers: dict | None = None) -> None:
    """Answer a request with a JSON body."""
    payload = json.dumps(body).encode()
    handler.send_response(status)
    handler.send_header("Content-Type", "application/json; charset=utf-8")
    handler.send_header("Content-Length", str(len(payload)))
    for name, value in (headers or {}).items():
        handler.send_header(name, value)
    handler.end_headers()
    handler.wfile.write(payload)
