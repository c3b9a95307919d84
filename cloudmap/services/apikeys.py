"""API keys: random tokens shown once, stored as salted SHA-256 hashes in ``(:ApiKey)`` nodes.

A token is ``cm_<key id>_<secret>``; the key id finds the node, the salted hash of the secret is
compared in constant time. Roles are ordered: reader < hunter < admin.
"""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
from datetime import UTC, datetime

from cloudmap.graph.driver import Graph
from cloudmap.services.hunt import json_value

ROLES = ("reader", "hunter", "admin")
_TOKEN = re.compile(r"^cm_([a-f0-9]{16})_([A-Za-z0-9_-]{20,100})$")


class ApiKeyError(ValueError):
    pass


def role_allows(role: str, needed: str) -> bool:
    return role in ROLES and ROLES.index(role) >= ROLES.index(needed)


def _hash(salt: str, secret: str) -> str:
    return hashlib.sha256(bytes.fromhex(salt) + secret.encode()).hexdigest()


def create_key(graph: Graph, name: str, role: str) -> tuple[dict, str]:
    """A new key; returns (its public record, the token). The token is not stored anywhere."""
    if role not in ROLES:
        raise ApiKeyError(f"role {role!r}: use one of {', '.join(ROLES)}")
    if not isinstance(name, str) or not 0 < len(name.strip()) <= 100:
        raise ApiKeyError("name: 1 to 100 characters")
    key_id, secret, salt = secrets.token_hex(8), secrets.token_urlsafe(32), secrets.token_hex(16)
    record = {"id": key_id, "name": name.strip(), "role": role, "created_at": datetime.now(UTC)}
    graph.write("CREATE (k:ApiKey {id: $id}) SET k += $props, k.salt = $salt, k.hash = $hash",
                id=key_id, props={k: v for k, v in record.items() if k != "id"}, salt=salt, hash=_hash(salt, secret))
    return json_value(record), f"cm_{key_id}_{secret}"


def list_keys(graph: Graph) -> list[dict]:
    rows = graph.read("MATCH (k:ApiKey) RETURN k {.id, .name, .role, .created_at, .last_used_at} AS k "
                      "ORDER BY k.created_at")
    return [json_value(r["k"]) for r in rows]


def delete_key(graph: Graph, key_id: str) -> bool:
    rows = graph.write("MATCH (k:ApiKey {id: $id}) DELETE k RETURN count(*) AS n", id=key_id)
    return bool(rows and rows[0]["n"])


def verify_token(graph: Graph, token: str) -> dict | None:
    """The key's record when the token is valid, else None (never says which part was wrong)."""
    m = _TOKEN.match(token or "")
    if not m:
        return None
    rows = graph.read("MATCH (k:ApiKey {id: $id}) RETURN k.salt AS salt, k.hash AS hash, k.name AS name, "
                      "k.role AS role", id=m.group(1))
    if not rows or not rows[0]["salt"]:
        return None
    row = rows[0]
    if not hmac.compare_digest(_hash(row["salt"], m.group(2)), row["hash"]):
        return None
    return {"id": m.group(1), "name": row["name"], "role": row["role"]}
