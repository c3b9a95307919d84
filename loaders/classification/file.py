"""Classification files: which assets hold which kinds of sensitive data, and which are crown jewels.

```yaml
version: 1
data:                                  # -> (asset)-[:STORES {source: classification-file}]->(:SensitiveInfoType)
  - match: {name: "prod-payments-*"}   # glob on the name; or {id: "arn:aws:s3:::cards"} (glob too);
    stores:                            # add label: Bucket / Database / ... to narrow it
      - {name: credit-card-number, category: pci}      # category: pci, pii, phi or secrets
critical:                              # -> critical: true, criticality on any asset
  - match: {id: "arn:aws:rds:eu-west-1:111122223333:db:payments"}
    criticality: critical              # critical (default) or high
```

``data`` entries match ``DataStore`` assets unless ``label`` says otherwise; ``critical`` entries match
any asset. A load replaces what the previous load of the same file name set: its STORES links are
scope-cleaned (scope ``classification/<file name>``) and ``critical``/``criticality`` are removed from
assets it marked before (``criticality_source``) that the file no longer marks. Patterns that match
nothing are reported, not errors (the asset may not be loaded yet)."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Annotated, Literal

from cloudmap.loaders.inputfile import Id, parse, read_yaml
from cloudmap.loaders.kit import LoadSummary
from cloudmap.loaders.kit.annotate import ASSET, annotate
from pydantic import BaseModel, ConfigDict, Field, StringConstraints, model_validator

from cloudmap.graph.driver import Graph
from cloudmap.graph.ingest import Sync
from cloudmap.graph.kinds.common import SENSITIVE_INFO_TYPE, STORES

Label = Annotated[str, StringConstraints(pattern=r"^[A-Z][A-Za-z0-9]{0,63}$")]
InfoName = Annotated[str, StringConstraints(strip_whitespace=True, pattern=r"^[A-Za-z0-9][A-Za-z0-9 ._-]{0,127}$")]
RANK = {"critical": 0, "high": 1}


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class Match(_Strict):
    id: Id | None = None
    name: Id | None = None
    label: Label | None = None

    @model_validator(mode="after")
    def _needs_a_pattern(self):
        if not (self.id or self.name):
            raise ValueError("give an id or a name pattern")
        return self

    def describe(self) -> str:
        return ", ".join(f"{k}: {v!r}" for k, v in self.model_dump(exclude_none=True).items())


class InfoType(_Strict):
    name: InfoName
    category: Literal["pci", "pii", "phi", "secrets"]


class DataEntry(_Strict):
    match: Match
    stores: Annotated[list[InfoType], Field(min_length=1)]


class CriticalEntry(_Strict):
    match: Match
    criticality: Literal["critical", "high"] = "critical"


class ClassificationFile(_Strict):
    version: Literal[1]
    data: list[DataEntry] = []
    critical: list[CriticalEntry] = []


def glob_regex(pattern: str) -> str:
    """A glob (``*``, ``?``) as a whole-string regex that Neo4j (Java) and Python read alike."""
    return "".join(".*" if part == "*" else "." if part == "?" else re.escape(part)
                   for part in re.split(r"([*?])", pattern) if part)


def matching_assets(graph: Graph, match: Match, default_label: str | None) -> list[str]:
    return [r["id"] for r in graph.read(
        "MATCH (n:Asset) WHERE ($label IS NULL OR $label IN labels(n)) "
        "AND ($id IS NULL OR n.id =~ $id) AND ($name IS NULL OR n.name =~ $name) RETURN n.id AS id ORDER BY id",
        label=match.label or default_label, id=glob_regex(match.id) if match.id else None,
        name=glob_regex(match.name) if match.name else None)]


def load_classification(graph: Graph, path: Path) -> LoadSummary:
    spec = parse(ClassificationFile, read_yaml(path), path)
    scope = f"classification/{path.name}"
    unmatched: list[str] = []
    stores, info_types, marks = [], {}, {}
    for i, entry in enumerate(spec.data):
        ids = matching_assets(graph, entry.match, "DataStore")
        if not ids:
            unmatched.append(f"data[{i}] {{{entry.match.describe()}}}")
        for info in entry.stores:
            key = f"{info.category}:{info.name}"
            info_types[key] = {"id": key, "name": info.name, "category": info.category}
            stores += [{"source": aid, "target": key, "props": {"source": "classification-file"}} for aid in ids]
    for i, entry in enumerate(spec.critical):
        ids = matching_assets(graph, entry.match, None)
        if not ids:
            unmatched.append(f"critical[{i}] {{{entry.match.describe()}}}")
        for aid in ids:
            if aid not in marks or RANK[entry.criticality] < RANK[marks[aid]]:
                marks[aid] = entry.criticality
    with Sync(graph, provider="classification", source=f"classification {path.name}") as sync:
        with sync.scope(scope) as sc:
            sc.nodes(SENSITIVE_INFO_TYPE, list(info_types.values()))
            sc.rels(STORES, stores)
        marked = annotate(graph, ASSET, [{"id": aid, "critical": True, "criticality": level,
                                          "criticality_source": scope} for aid, level in marks.items()])
        gone = [{"id": r["id"], "critical": None, "criticality": None, "criticality_source": None}
                for r in graph.read("MATCH (n:Asset) WHERE n.criticality_source = $scope RETURN n.id AS id",
                                    scope=scope) if r["id"] not in marks]
        unmarked = annotate(graph, ASSET, gone)
        sync.counts.update({"critical_marked": marked, "critical_unmarked": unmarked})
    return LoadSummary.of(sync, stores=sync.counts.get("STORES", 0), info_types=len(info_types),
                          critical_marked=marked, critical_unmarked=unmarked, unmatched=unmatched)
