"""Request and response bodies at the API boundary (the OpenAPI schema comes from these)."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from cloudmap.services.hunt import MAX_PARAMS, MAX_QUERY_CHARS

MAX_PAGE = 500
QueryId = Field(pattern=r"^[a-z0-9][a-z0-9._-]{0,99}$", description="lower-case id: letters, digits, . _ -")


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class HuntRequest(Strict):
    query: str = Field(min_length=1, max_length=MAX_QUERY_CHARS, description="one read-only Cypher statement",
                       examples=["MATCH (:Internet)-[r:CAN_REACH]->(vm:VirtualMachine) RETURN vm, r LIMIT 25"])
    params: dict[str, Any] = Field(default_factory=dict, max_length=MAX_PARAMS,
                                   description="Cypher parameters ($name in the query)")
    max_rows: int | None = Field(default=None, ge=1, le=100_000,
                                 description="at most this many rows (never more than the server's hunt_max_rows)")


class GraphNode(BaseModel):
    id: str = Field(description="Neo4j element id")
    labels: list[str]
    properties: dict[str, Any]


class GraphRel(BaseModel):
    id: str
    type: str
    start: str | None
    end: str | None
    properties: dict[str, Any]


class GraphForm(BaseModel):
    nodes: list[GraphNode]
    relationships: list[GraphRel]


class HuntResponse(BaseModel):
    columns: list[str]
    rows: list[dict[str, Any]]
    row_count: int
    truncated: bool = Field(description="true when more rows matched than were returned")
    graph: GraphForm | None = Field(description="the nodes and relationships in the rows, deduplicated")
    notifications: list[str] = []
    saved_query: dict[str, Any] | None = Field(
        default=None, description="for a user saved query: id, version, owner, updated_at, updated_by, changed")


class ParamSpec(Strict):
    type: Literal["string", "integer", "float", "boolean", "list"]
    default: Any = None
    description: str = Field(default="", max_length=1000)


class SavedQueryIn(Strict):
    id: str = QueryId
    title: str = Field(min_length=1, max_length=200)
    description: str = Field(default="", max_length=4000)
    tags: list[str] = Field(default_factory=list, max_length=20)
    params: dict[str, ParamSpec] = Field(default_factory=dict, max_length=30)
    query: str = Field(min_length=1, max_length=MAX_QUERY_CHARS)

    def meta(self) -> dict:
        params = {k: v.model_dump(exclude_unset=True) for k, v in self.params.items()}
        return {"id": self.id, "title": self.title, "description": self.description, "tags": self.tags,
                "params": params}


class SavedQueryOut(BaseModel):
    id: str
    title: str
    description: str
    tags: list[str]
    params: dict[str, dict[str, Any]]
    source: Literal["shipped", "file", "user"]
    read_only: bool
    query: str | None = None
    owner: str | None = Field(default=None, description="user queries: the name of the key that created it")
    version: int | None = Field(default=None, description="user queries: 1, then +1 at each change")
    updated_at: str | None = None
    updated_by: str | None = None


class RunRequest(Strict):
    params: dict[str, Any] = Field(default_factory=dict, max_length=MAX_PARAMS)
    max_rows: int | None = Field(default=None, ge=1, le=100_000)


class Page(BaseModel):
    items: list[dict[str, Any]]
    next_cursor: str | None = Field(description="pass as `cursor` for the next page; null at the end")


class ApiKeyIn(Strict):
    name: str = Field(min_length=1, max_length=100)
    role: Literal["reader", "hunter", "admin"]


class ApiKeyOut(BaseModel):
    id: str
    name: str
    role: str
    created_at: str | None = None
    last_used_at: str | None = None


class ApiKeyCreated(ApiKeyOut):
    token: str = Field(description="shown once; only its salted scrypt hash is stored")


class AnalysisJob(BaseModel):
    id: str
    status: str
    started_at: str | None = None
    finished_at: str | None = None
    analysis_id: str | None = None
    summary: dict[str, Any] | None = None
    error: str | None = None


FindingIds = Field(min_length=1, max_length=1000, description="finding ids")


class SuppressIn(Strict):
    ids: list[str] = FindingIds
    reason: str = Field(min_length=1, max_length=1000, description="why the risk is accepted or not real")
    until: str | None = Field(None, pattern=r"^\d{4}-\d{2}-\d{2}$",
                              description="YYYY-MM-DD, today or later: the finding reopens after this day")


class UnsuppressIn(Strict):
    ids: list[str] = FindingIds


class Health(BaseModel):
    status: str
    neo4j: str
    schema_version: int | None = None
    code_schema_version: int
    last_sync: dict[str, Any] | None = None       # the last completed (success or partial) sync
    last_analysis: dict[str, Any] | None = None
    sources: list[dict[str, Any]] = []            # the last completed sync of each source
    running: list[dict[str, Any]] = []            # syncs marked running: age, heartbeat, live lease
