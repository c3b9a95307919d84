"""API keys: random tokens shown once, stored as salted scrypt hashes in the local auth store.

A token is ``cm_<key id>_<secret>``; the key id finds the record, the scrypt hash of the secret is
compared in constant time. scrypt is slow on purpose (about 50 ms); a verified token is remembered
for a few minutes by a SHA-256 digest of it, so the API pays that cost once per key, and a deleted
key stops working at once. Roles are ordered: reader < hunter < admin.
"""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
import threading
import time
from collections import OrderedDict

from cloudmap.services.authstore import AuthStore, now

ROLES = ("reader", "hunter", "admin")
TOKEN = re.compile(r"^cm_([a-f0-9]{16})_([A-Za-z0-9_-]{20,100})$")
SCRYPT = {"n": 2**14, "r": 8, "p": 1, "maxmem": 64 * 1024 * 1024, "dklen": 32}
CACHE_SECONDS, CACHE_SIZE = 300, 1000


class ApiKeyError(ValueError):
    pass


def role_allows(role: str, needed: str) -> bool:
    return role in ROLES and ROLES.index(role) >= ROLES.index(needed)


def key_id_of(token: str) -> str | None:
    """The key id a token names (for rate limits and logs), never the secret."""
    m = TOKEN.match(token or "")
    return m.group(1) if m else None


def _hash(salt: str, secret: str) -> str:
    return hashlib.scrypt(secret.encode(), salt=bytes.fromhex(salt), **SCRYPT).hex()


def create_key(store: AuthStore, name: str, role: str, actor: str = "cli") -> tuple[dict, str]:
    """A new key; returns (its public record, the token). The token is not stored anywhere."""
    if role not in ROLES:
        raise ApiKeyError(f"role {role!r}: use one of {', '.join(ROLES)}")
    if not isinstance(name, str) or not 0 < len(name.strip()) <= 100:
        raise ApiKeyError("name: 1 to 100 characters")
    key_id, secret, salt = secrets.token_hex(8), secrets.token_urlsafe(32), secrets.token_hex(16)
    record = {"id": key_id, "name": name.strip(), "role": role, "created_at": now(), "last_used_at": None}
    with store.connect() as db:
        db.execute("INSERT INTO api_keys VALUES (?, ?, ?, ?, ?, ?, NULL)",
                   (key_id, record["name"], role, salt, _hash(salt, secret), record["created_at"]))
    store.audit(actor, "key.create", key_id, {"name": record["name"], "role": role})
    return record, f"cm_{key_id}_{secret}"


def list_keys(store: AuthStore) -> list[dict]:
    with store.connect() as db:
        rows = db.execute("SELECT id, name, role, created_at, last_used_at FROM api_keys ORDER BY created_at").fetchall()
    return [dict(r) for r in rows]


def delete_key(store: AuthStore, key_id: str, actor: str = "cli") -> bool:
    with store.connect() as db:
        deleted = db.execute("DELETE FROM api_keys WHERE id = ?", (key_id,)).rowcount
    if deleted:
        store.audit(actor, "key.delete", key_id)
    return bool(deleted)


_verified: OrderedDict[str, tuple[float, str]] = OrderedDict()  # digest of a token -> (expiry, key id)
_pending: dict[str, threading.Lock] = {}
_lock = threading.Lock()


def verify_token(store: AuthStore, token: str) -> dict | None:
    """The key's record when the token is valid, else None (never says which part was wrong)."""
    m = TOKEN.match(token or "")
    if not m:
        return None
    key_id = m.group(1)
    with store.connect() as db:
        row = db.execute("SELECT id, name, role, salt, hash FROM api_keys WHERE id = ?", (key_id,)).fetchone()
    if row is None:
        return None
    digest = hashlib.sha256(f"{store.path}\0{token}".encode()).hexdigest()
    with _lock:
        pending = _pending.setdefault(digest, threading.Lock())
    with pending:  # concurrent requests with one new token pay for one scrypt, not one each
        with _lock:
            cached = _verified.get(digest)
        if not (cached and cached[0] > time.monotonic() and cached[1] == key_id):
            if not hmac.compare_digest(_hash(row["salt"], m.group(2)), row["hash"]):
                return None
            with _lock:
                _verified[digest] = (time.monotonic() + CACHE_SECONDS, key_id)
                while len(_verified) > CACHE_SIZE:
                    _verified.popitem(last=False)
            with store.connect() as db:
                db.execute("UPDATE api_keys SET last_used_at = ? WHERE id = ?", (now(), key_id))
    with _lock:
        _pending.pop(digest, None)
    return {"id": key_id, "name": row["name"], "role": row["role"]}
