"""Graph rows for credentials found in a holder's configuration: one Credential node per fingerprint,
one HOLDS_CREDENTIAL per holder and credential listing every place it appears."""

from __future__ import annotations

from collections.abc import Iterable

from cloudmap.loaders.credentials.detect import Detected
from cloudmap.loaders.kit.rows import DEFAULT

from cloudmap.graph.kinds.credentials import CREDENTIAL, HOLDS_CREDENTIAL


def credential_rows(holder: str, found: Iterable[Detected], location: str, provider: str
                    ) -> tuple[list[dict], list[dict]]:
    """(Credential rows, HOLDS_CREDENTIAL rows) for what was found in one holder's configuration."""
    nodes: dict[str, dict] = {}
    rels: dict[str, dict] = {}
    for d in found:
        cid = f"credential:{d.fingerprint}"
        nodes[cid] = {"id": cid, "name": f"{d.kind} {d.access_key_id or d.fingerprint[-12:]}", "provider": provider,
                      "kind": d.kind, "fingerprint": d.fingerprint, "access_key_id": d.access_key_id,
                      "host": d.host, "user": d.user, "account": d.account}
        rel = rels.setdefault(cid, {"source": holder, "target": cid, "credential_kind": d.kind, "location": location,
                                    "where": []})
        rel["where"] = sorted({*rel["where"], d.where})
    return list(nodes.values()), list(rels.values())


def add_credentials(out, holder: str, found: Iterable[Detected], location: str, provider: str = "aws",
                    scope: str = DEFAULT) -> None:
    """Add them to a loader's rows (a :class:`~cloudmap.loaders.kit.rows.Rows`), in ``scope``."""
    nodes, rels = credential_rows(holder, found, location, provider)
    for row in nodes:
        out.node(CREDENTIAL, row, scope)
    for rel in rels:
        out.rel(HOLDS_CREDENTIAL, rel.pop("source"), rel.pop("target"), scope, **rel)
