"""What a load reports: one typed summary, the same for every source."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, Field

from cloudmap.graph.ingest import Sync


class LoadSummary(BaseModel):
    sync_id: str
    provider: str
    source: str
    status: str                                   # success, partial, failed
    written: dict[str, int] = Field(default_factory=dict)     # kind or relationship type -> rows
    removed: dict[str, int] = Field(default_factory=dict)     # nodes / relationships cleaned up
    scopes_completed: list[str] = Field(default_factory=list)
    scopes_failed: list[str] = Field(default_factory=list)
    scopes_suspect: list[str] = Field(default_factory=list)  # completed, but their cleanup was refused
    errors: list[str] = Field(default_factory=list)
    warnings: list[str] = Field(default_factory=list)         # the first ones; warning_count has them all
    warning_count: int = 0
    details: dict[str, Any] = Field(default_factory=dict)     # what only this source reports

    @classmethod
    def of(cls, sync: Sync, **details: Any) -> LoadSummary:
        return cls(sync_id=sync.id, provider=sync.provider, source=sync.source, status=sync.status,
                   written=dict(sync.counts), removed=dict(sync.removed), scopes_completed=list(sync.completed),
                   scopes_failed=list(sync.failed), scopes_suspect=list(sync.suspect), errors=list(sync.errors), warnings=list(sync.warnings),
                   warning_count=sync.warning_count, details=details)

    @property
    def ok(self) -> bool:
        return self.status == "success"

    def as_json(self) -> dict:
        """The machine-readable form the CLI prints: counts of scopes and warnings, details inline."""
        return {"sync_id": self.sync_id, "source": self.source, "status": self.status, "written": self.written,
                "removed": self.removed, "scopes_completed": len(self.scopes_completed),
                "scopes_failed": self.scopes_failed, "scopes_suspect": self.scopes_suspect, "errors": self.errors, "warnings": self.warning_count,
                **self.details}
