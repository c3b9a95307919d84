"""Saved hunting queries: the shipped library in ``cypher/hunts/`` and the user's own, stored in the graph.

A hunt file is runnable as it is in Neo4j Browser; its header is ``//`` comment lines holding YAML
(the same shape as rule files)::

    // id: internet-exposed-vms
    // title: Virtual machines reachable from the internet
    // description: ...
    // tags: [exposure, network]
    // params:
    //   port: {type: string, default: "22", description: a port, or "*" for any}
    MATCH (:Internet)-[r:CAN_REACH]->(vm:VirtualMachine) ...

User queries live in the local auth store (:mod:`cloudmap.services.authstore`), out of reach of
hunts, with their owner and a version. Only the owner or an admin may replace or delete one; each
change keeps who, when and the old text. A query is checked like a hunt when it is saved and again
each time it runs, and a run reports the version and the last change so readers see it changed.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import Any

import yaml

from cloudmap.graph.driver import Graph
from cloudmap.services.apikeys import role_allows
from cloudmap.services.authstore import AuthStore, now
from cloudmap.services.hunt import HuntResult, check_read_only, run_hunt

PARAM_TYPES = ("string", "integer", "float", "boolean", "list")
ID_PATTERN = re.compile(r"^[a-z0-9][a-z0-9._-]{0,99}$")
MAX_TITLE, MAX_DESCRIPTION, MAX_TAGS, MAX_PARAMS = 200, 4000, 20, 30


class QueryError(Exception):
    """Base of saved-query errors; ``status`` is the HTTP status the API answers with."""

    status = 400

    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


class QueryNotFound(QueryError):
    status = 404


class QueryConflict(QueryError):
    status = 409


class ShippedReadOnly(QueryError):
    status = 403


class ParamError(QueryError):
    status = 422


class NotOwner(QueryError):
    status = 403


@dataclass
class SavedQuery:
    id: str
    title: str
    query: str
    description: str = ""
    tags: list[str] = field(default_factory=list)
    params: dict[str, dict] = field(default_factory=dict)
    source: str = "shipped"  # shipped | file | user
    path: str | None = None
    owner: str | None = None  # the creator's key name (user queries)
    version: int = 1
    updated_at: str | None = None
    updated_by: str | None = None

    @property
    def read_only(self) -> bool:
        return self.source != "user"

    def as_dict(self, with_query: bool = True) -> dict:
        out = {"id": self.id, "title": self.title, "description": self.description, "tags": self.tags,
               "params": self.params, "source": self.source, "read_only": self.read_only}
        if self.source == "user":
            out.update(owner=self.owner, version=self.version, updated_at=self.updated_at, updated_by=self.updated_by)
        if with_query:
            out["query"] = self.query
        return out


# -- files -------------------------------------------------------------------------------------------

def split_header(text: str) -> tuple[str, str]:
    """The leading ``//`` lines (without the markers) and the body after them."""
    lines = text.splitlines()
    header = []
    i = 0
    while i < len(lines) and (lines[i].startswith("//") or not lines[i].strip()):
        if lines[i].startswith("//"):
            header.append(lines[i][3:] if lines[i].startswith("// ") else lines[i][2:])
        i += 1
    return "\n".join(header), "\n".join(lines[i:]).strip()


def parse_hunt_file(text: str, where: str, source: str = "shipped") -> SavedQuery:
    header, body = split_header(text)
    try:
        meta = yaml.safe_load(header) or {}
    except yaml.YAMLError as exc:
        raise QueryError(f"{where}: header is not valid YAML ({str(exc).splitlines()[0]})") from None
    if not isinstance(meta, dict):
        raise QueryError(f"{where}: header must be a YAML mapping")
    if not body:
        raise QueryError(f"{where}: no query after the header")
    return build(meta, body.rstrip().rstrip(";"), where, source=source, path=where)


def build(meta: dict, query: str, where: str, source: str = "user", path: str | None = None) -> SavedQuery:
    """Validate the metadata of a saved query; QueryError names the field."""
    qid = meta.get("id")
    if not isinstance(qid, str) or not ID_PATTERN.match(qid):
        raise QueryError(f"{where}: id must match {ID_PATTERN.pattern} (got {qid!r})")
    title = meta.get("title")
    if not isinstance(title, str) or not title.strip() or len(title) > MAX_TITLE:
        raise QueryError(f"{where}: title must be a non-empty string of at most {MAX_TITLE} characters")
    description = meta.get("description") or ""
    if not isinstance(description, str) or len(description) > MAX_DESCRIPTION:
        raise QueryError(f"{where}: description must be a string of at most {MAX_DESCRIPTION} characters")
    tags = meta.get("tags") or []
    if (not isinstance(tags, list) or len(tags) > MAX_TAGS
            or not all(isinstance(t, str) and 0 < len(t) <= 50 for t in tags)):
        raise QueryError(f"{where}: tags must be a list of at most {MAX_TAGS} short strings")
    params = validate_param_specs(meta.get("params") or {}, where)
    unknown = set(meta) - {"id", "title", "description", "tags", "params"}
    if unknown:
        raise QueryError(f"{where}: unknown field(s) {', '.join(sorted(unknown))}")
    return SavedQuery(qid, title.strip(), query, description.strip(), tags, params, source, path)


def validate_param_specs(specs: Any, where: str) -> dict[str, dict]:
    if not isinstance(specs, dict) or len(specs) > MAX_PARAMS:
        raise QueryError(f"{where}: params must be a mapping of at most {MAX_PARAMS} names")
    out = {}
    for name, spec in specs.items():
        if not isinstance(name, str) or not re.match(r"^[A-Za-z_]\w{0,63}$", name):
            raise QueryError(f"{where}: parameter name {name!r} is not a Cypher identifier")
        if isinstance(spec, str):
            spec = {"type": spec}
        if not isinstance(spec, dict) or spec.get("type") not in PARAM_TYPES:
            raise QueryError(f"{where}: params.{name}.type must be one of {', '.join(PARAM_TYPES)}")
        extra = set(spec) - {"type", "default", "description"}
        if extra:
            raise QueryError(f"{where}: params.{name}: unknown field(s) {', '.join(sorted(extra))}")
        clean = {"type": spec["type"], "description": str(spec.get("description") or "")}
        if "default" in spec:
            try:
                clean["default"] = check_value(spec["default"], spec["type"], f"params.{name}.default")
            except ParamError as exc:
                raise QueryError(f"{where}: {exc.message}") from None
        out[name] = clean
    return out


def shipped_dir():
    return resources.files("cloudmap.cypher").joinpath("hunts")


def load_library(extra_dir: Path | None = None) -> dict[str, SavedQuery]:
    """Shipped hunts, then the files of ``user_hunts_dir`` (read-only too); a duplicate id is an error."""
    found: dict[str, SavedQuery] = {}
    sources = [(f, "shipped") for f in sorted(shipped_dir().iterdir(), key=lambda p: p.name)]
    if extra_dir:
        if not Path(extra_dir).is_dir():
            raise QueryError(f"CLOUDMAP_HUNTS_DIR {extra_dir}: not a directory")
        sources += [(f, "file") for f in sorted(Path(extra_dir).glob("*.cypher"))]
    for f, source in sources:
        if not f.name.endswith(".cypher"):
            continue
        where = f"cypher/hunts/{f.name}" if source == "shipped" else str(f)
        q = parse_hunt_file(f.read_text(), where, source)
        if q.id in found:
            raise QueryError(f"{where}: id {q.id!r} is already used by {found[q.id].path}")
        found[q.id] = q
    return found


# -- user queries in the auth store ----------------------------------------------------------------------

def _from_row(r) -> SavedQuery:
    return SavedQuery(r["id"], r["title"], r["query"], r["description"], json.loads(r["tags"]), json.loads(r["params"]),
                      "user", owner=r["owner_name"], version=r["version"], updated_at=r["updated_at"],
                      updated_by=r["updated_by"])


def list_queries(store: AuthStore, library: dict[str, SavedQuery], tag: str | None = None) -> list[SavedQuery]:
    with store.connect() as db:
        rows = db.execute("SELECT * FROM saved_queries ORDER BY id").fetchall()
    items = list(library.values()) + [_from_row(r) for r in rows]
    if tag:
        items = [q for q in items if tag in q.tags]
    return sorted(items, key=lambda q: (q.source != "shipped", q.id))


def get_query(store: AuthStore, library: dict[str, SavedQuery], qid: str) -> SavedQuery:
    if qid in library:
        return library[qid]
    with store.connect() as db:
        row = db.execute("SELECT * FROM saved_queries WHERE id = ?", (qid,)).fetchone()
    if row is None:
        raise QueryNotFound(f"no saved query with id {qid!r}")
    return _from_row(row)


def _check_owner(db, qid: str, actor: dict, verb: str):
    row = db.execute("SELECT * FROM saved_queries WHERE id = ?", (qid,)).fetchone()
    if row is None:
        raise QueryNotFound(f"no saved query with id {qid!r}")
    if row["owner_id"] != actor["id"] and not role_allows(actor["role"], "admin"):
        raise NotOwner(f"{qid!r} belongs to {row['owner_name']}; only its owner or an admin may {verb} it")
    return row


def save_query(graph: Graph, store: AuthStore, library: dict[str, SavedQuery], meta: dict, query: str, *,
               create: bool, actor: dict) -> SavedQuery:
    """Create (create=True; 409 when the id exists) or replace a user query, after the hunt checks.
    ``actor`` is the caller's key record (id, name, role)."""
    qid = meta.get("id")
    if qid in library:
        raise (QueryConflict if create else ShippedReadOnly)(
            f"{qid!r} is a shipped query and cannot be changed; save a copy under another id")
    q = build(meta, (query or "").strip().rstrip(";"), "query")
    check_read_only(graph, q.query, {k: v.get("default") for k, v in q.params.items()})
    at = now()
    values = (q.title, q.description, json.dumps(q.tags), json.dumps(q.params), q.query)
    with store.connect() as db:
        if create:
            if db.execute("SELECT 1 FROM saved_queries WHERE id = ?", (q.id,)).fetchone():
                raise QueryConflict(f"a saved query with id {q.id!r} already exists; use PUT to replace it")
            db.execute("INSERT INTO saved_queries VALUES (?, ?, ?, ?, ?, ?, ?, ?, 1, ?, ?, ?)",
                       (q.id, *values, actor["id"], actor["name"], at, at, actor["name"]))
            db.execute("INSERT INTO query_history VALUES (?, 1, 'create', ?, ?, NULL, NULL)", (q.id, actor["name"], at))
        else:
            old = _check_owner(db, q.id, actor, "replace")
            version = old["version"] + 1
            db.execute("UPDATE saved_queries SET title = ?, description = ?, tags = ?, params = ?, query = ?, "
                       "version = ?, updated_at = ?, updated_by = ? WHERE id = ?",
                       (*values, version, at, actor["name"], q.id))
            db.execute("INSERT INTO query_history VALUES (?, ?, 'replace', ?, ?, ?, ?)",
                       (q.id, version, actor["name"], at, old["query"], old["title"]))
    store.audit(actor["name"], "query.create" if create else "query.replace", q.id)
    return get_query(store, library, q.id)


def delete_query(store: AuthStore, library: dict[str, SavedQuery], qid: str, actor: dict) -> None:
    if qid in library:
        raise ShippedReadOnly(f"{qid!r} is a shipped query and cannot be deleted")
    with store.connect() as db:
        old = _check_owner(db, qid, actor, "delete")
        db.execute("DELETE FROM saved_queries WHERE id = ?", (qid,))
        db.execute("INSERT INTO query_history VALUES (?, ?, 'delete', ?, ?, ?, ?)",
                   (qid, old["version"] + 1, actor["name"], now(), old["query"], old["title"]))
    store.audit(actor["name"], "query.delete", qid)


def history(store: AuthStore, library: dict[str, SavedQuery], qid: str) -> list[dict]:
    """Every change of a user query, oldest first: version, action, who, when, the text it replaced."""
    if qid in library:
        return []
    with store.connect() as db:
        rows = db.execute("SELECT version, action, changed_by, changed_at, old_query, old_title FROM query_history "
                          "WHERE query_id = ? ORDER BY rowid", (qid,)).fetchall()
    if not rows:
        raise QueryNotFound(f"no saved query with id {qid!r}")
    return [dict(r) for r in rows]


# -- parameters ------------------------------------------------------------------------------------------

def check_value(value: Any, type_: str, name: str) -> Any:
    """A JSON value of the declared type (integers pass as floats), else ParamError naming it."""
    ok = {
        "string": isinstance(value, str),
        "integer": isinstance(value, int) and not isinstance(value, bool),
        "float": isinstance(value, (int, float)) and not isinstance(value, bool),
        "boolean": isinstance(value, bool),
        "list": isinstance(value, list),
    }[type_]
    if not ok:
        raise ParamError(f"parameter {name}: expected {type_}, got {type(value).__name__} {str(value)[:40]!r}")
    return float(value) if type_ == "float" else value


def parse_text_value(text: str, type_: str, name: str) -> Any:
    """A value given on the command line (--param k=v) converted to the declared type."""
    try:
        if type_ == "integer":
            return int(text)
        if type_ == "float":
            return float(text)
        if type_ == "boolean":
            if text.lower() in ("true", "yes", "1"):
                return True
            if text.lower() in ("false", "no", "0"):
                return False
            raise ValueError
        if type_ == "list":
            if text.startswith("["):
                value = json.loads(text)
                if not isinstance(value, list):
                    raise ValueError
                return value
            return [v.strip() for v in text.split(",") if v.strip()]
    except (ValueError, json.JSONDecodeError):
        raise ParamError(f"parameter {name}: {text!r} is not a valid {type_}") from None
    return text


def resolve_params(q: SavedQuery, given: dict[str, Any], from_text: bool = False) -> dict[str, Any]:
    unknown = set(given) - set(q.params)
    if unknown:
        raise ParamError(f"unknown parameter(s) {', '.join(sorted(unknown))} for {q.id}; "
                         f"declared: {', '.join(q.params) or 'none'}")
    out = {}
    for name, spec in q.params.items():
        if name in given:
            value = given[name]
            if from_text and isinstance(value, str):
                value = parse_text_value(value, spec["type"], name)
            out[name] = check_value(value, spec["type"], name)
        elif "default" in spec:
            out[name] = spec["default"]
        else:
            raise ParamError(f"parameter {name} ({spec['type']}) is required by {q.id}")
    return out


def run_query(graph: Graph, q: SavedQuery, given: dict[str, Any], *, max_rows: int, timeout_s: float,
              from_text: bool = False) -> HuntResult:
    params = resolve_params(q, given, from_text)
    return run_hunt(graph, q.query, params, max_rows=max_rows, timeout_s=timeout_s)  # checked again here
