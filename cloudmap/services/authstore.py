"""The local store of auth material, outside the graph that hunts read.

API keys (scrypt hashes), user saved queries with their owners and change history, and the audit
trail live in one SQLite file (``auth_db``, default ``<data_dir>/auth.sqlite3``) created mode 0600
in a 0700 directory. A hunt runs in Neo4j and cannot open it.
"""

from __future__ import annotations

import json
import os
import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path

SCHEMA = """
CREATE TABLE IF NOT EXISTS api_keys (
    id TEXT PRIMARY KEY, name TEXT NOT NULL, role TEXT NOT NULL, salt TEXT NOT NULL, hash TEXT NOT NULL,
    created_at TEXT NOT NULL, last_used_at TEXT);
CREATE TABLE IF NOT EXISTS saved_queries (
    id TEXT PRIMARY KEY, title TEXT NOT NULL, description TEXT NOT NULL, tags TEXT NOT NULL, params TEXT NOT NULL,
    query TEXT NOT NULL, owner_id TEXT NOT NULL, owner_name TEXT NOT NULL, version INTEGER NOT NULL,
    created_at TEXT NOT NULL, updated_at TEXT NOT NULL, updated_by TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS query_history (
    query_id TEXT NOT NULL, version INTEGER NOT NULL, action TEXT NOT NULL, changed_by TEXT NOT NULL,
    changed_at TEXT NOT NULL, old_query TEXT, old_title TEXT);
CREATE TABLE IF NOT EXISTS audit (
    at TEXT NOT NULL, actor TEXT NOT NULL, action TEXT NOT NULL, target TEXT NOT NULL, detail TEXT NOT NULL);
"""


def now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


class AuthStore:
    def __init__(self, path: Path):
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        if not self.path.exists():
            os.close(os.open(self.path, os.O_WRONLY | os.O_CREAT, 0o600))
        os.chmod(self.path, 0o600)
        with self.connect() as db:
            db.executescript(SCHEMA)

    @contextmanager
    def connect(self) -> Iterator[sqlite3.Connection]:
        """One connection per use (threads of the API share the file, not a connection); commits on success."""
        db = sqlite3.connect(self.path, timeout=10)
        db.row_factory = sqlite3.Row
        try:
            with db:
                yield db
        finally:
            db.close()

    def audit(self, actor: str, action: str, target: str, detail: dict | None = None) -> None:
        with self.connect() as db:
            db.execute("INSERT INTO audit VALUES (?, ?, ?, ?, ?)",
                       (now(), actor, action, target, json.dumps(detail or {}, default=str)))

    def audit_trail(self, limit: int = 100) -> list[dict]:
        with self.connect() as db:
            rows = db.execute("SELECT * FROM audit ORDER BY rowid DESC LIMIT ?", (limit,)).fetchall()
        return [dict(r) | {"detail": json.loads(r["detail"])} for r in rows]


def open_store(settings) -> AuthStore:
    return AuthStore(settings.auth_db_path)


def move_out_of_graph(graph, store: AuthStore) -> int:
    """Auth material older versions kept in the graph: saved queries move to the store (owned by
    admins), API key nodes are deleted (their hashes were not scrypt; create new keys). Returns how
    many nodes were removed."""
    for name in ("saved_query_id", "api_key_id"):  # constraints of earlier versions
        graph.write(f"DROP CONSTRAINT {name} IF EXISTS")
    labels = set(graph.read("CALL db.labels() YIELD label RETURN collect(label) AS l")[0]["l"])
    if not labels & {"SavedQuery", "ApiKey"}:
        return 0
    rows = graph.read("MATCH (q:SavedQuery) RETURN q {.*} AS q") if "SavedQuery" in labels else []
    with store.connect() as db:
        for r in rows:
            q, at = r["q"], now()
            db.execute("INSERT OR IGNORE INTO saved_queries VALUES (?, ?, ?, ?, ?, ?, 'admin', 'admin', 1, ?, ?, 'admin')",
                       (q["id"], q.get("title") or q["id"], q.get("description") or "", json.dumps(q.get("tags") or []),
                        q.get("params") or "{}", q.get("query") or "", at, at))
    found = graph.read("MATCH (n) WHERE n:SavedQuery OR n:ApiKey RETURN count(n) AS n")[0]["n"]
    if found:
        graph.write("MATCH (n) WHERE n:SavedQuery OR n:ApiKey DETACH DELETE n")
        store.audit("system", "auth.moved_out_of_graph", str(store.path), {"nodes": found})
    return found
