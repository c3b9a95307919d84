"""The security engine: derives what an attacker could do from the raw facts loaders wrote.

``derive(graph)`` runs every derivation in order and returns a summary. Each derivation reads raw
facts, evaluates them in Python (pure modules: :mod:`netrules`, :mod:`aws_policy`,
:mod:`azure_rbac`, :mod:`privesc`) and writes derived edges through :class:`EdgeWriter`, which
removes the edges a derivation no longer produces. docs/engine.md explains every derivation.
"""

from __future__ import annotations

import logging
import time
import uuid
from collections.abc import Callable
from datetime import UTC, datetime

from cloudmap.graph.driver import Graph

log = logging.getLogger("cloudmap.engine")


def _steps():
    from cloudmap.engine.credentials import derive_config_credentials
    from cloudmap.engine.entra import derive_entra
    from cloudmap.engine.exposure import derive_exposure
    from cloudmap.engine.gcp import derive_gcp
    from cloudmap.engine.identity import derive_identity
    from cloudmap.engine.lateral import derive_lateral
    from cloudmap.engine.netmodel import NetworkModel
    from cloudmap.engine.public_data import derive_public_data

    state: dict = {}

    def network_model(graph, writer):
        state["net"] = NetworkModel.load(graph)

    def net() -> NetworkModel:
        if "net" not in state:
            raise RuntimeError("needs the network model, which did not load (see the network-model step)")
        return state["net"]

    return [
        ("network-model", network_model),
        ("network-exposure", lambda g, w: derive_exposure(g, w, net())),
        ("lateral-movement", lambda g, w: derive_lateral(g, w, net())),
        ("public-data", derive_public_data),
        ("identity", derive_identity),   # authenticate-as, assume, access, admin, escalation
        ("entra", derive_entra),         # tenant admins, directory escalation (after identity: uses CAN_ACCESS)
        ("gcp", derive_gcp),             # GCP firewall reach, IAM access with inheritance, escalation
        ("config-credentials", derive_config_credentials),   # credentials left in configuration
    ]


def derive(graph: Graph, progress: Callable[[str], None] | None = None) -> dict:
    """Recompute every derived relationship. Returns ``{run_id, started_at, seconds, status,
    steps: [{name, seconds, status, error}], edges: {REL_TYPE: {written, created, removed}}}``.

    A step that fails is reported (status ``failed``) and its previous edges are kept; the other
    steps still run."""
    from cloudmap.engine.writer import EdgeWriter

    run_id = f"derive-{datetime.now(UTC):%Y%m%dT%H%M%S}-{uuid.uuid4().hex[:8]}"
    graph.write("MERGE (:Internet {id: 'internet', name: 'Internet'})")
    writer = EdgeWriter(graph, run_id)
    started, steps = time.monotonic(), []
    for name, step in _steps():
        if progress:
            progress(name)
        t0 = time.monotonic()
        try:
            step(graph, writer)
            steps.append({"name": name, "seconds": round(time.monotonic() - t0, 3), "status": "ok"})
        except Exception as exc:
            log.exception("derivation %s failed", name)
            steps.append({"name": name, "seconds": round(time.monotonic() - t0, 3), "status": "failed",
                          "error": f"{type(exc).__name__}: {str(exc)[:300]}"})
    kinds = sorted(set(writer.written) | set(writer.removed))
    return {
        "run_id": run_id,
        "seconds": round(time.monotonic() - started, 3),
        "status": "ok" if all(s["status"] == "ok" for s in steps) else "partial",
        "steps": steps,
        "edges": {k: {"written": writer.written[k], "created": writer.created[k], "removed": writer.removed[k]}
                  for k in kinds},
    }
