"""Small helpers the tests share."""

from __future__ import annotations

import json
import subprocess
import sys


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
