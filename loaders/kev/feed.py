"""The CISA Known Exploited Vulnerabilities catalog (known_exploited_vulnerabilities.json).

Sets ``kev``, ``kev_date_added`` and ``kev_ransomware`` on the Vulnerability nodes already in the
graph; a vulnerability marked by an earlier catalog and absent from this one gets ``kev = false``
(the catalog is loaded whole, so absence means it was withdrawn). Load it after the scanners."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

from cloudmap.loaders.inputfile import Short, parse, read_json
from cloudmap.loaders.kit import LoadSummary
from cloudmap.loaders.vulns import enrich
from pydantic import BaseModel, ConfigDict, StringConstraints

from cloudmap.graph.driver import Graph

CveId = Annotated[str, StringConstraints(strip_whitespace=True, to_upper=True, pattern=r"(?i)^CVE-\d{4}-\d{4,}$")]
Day = Annotated[str, StringConstraints(pattern=r"^\d{4}-\d{2}-\d{2}")]


class Entry(BaseModel):
    model_config = ConfigDict(extra="ignore")
    cveID: CveId
    dateAdded: Day
    knownRansomwareCampaignUse: Short = "Unknown"


class Catalog(BaseModel):
    model_config = ConfigDict(extra="ignore")
    catalogVersion: Short | None = None
    vulnerabilities: list[Entry]


def read_catalog(path: Path) -> list[dict]:
    catalog = parse(Catalog, read_json(path), path)
    return [{"id": e.cveID, "kev": True, "kev_date_added": e.dateAdded[:10],
             "kev_ransomware": e.knownRansomwareCampaignUse.strip().lower() == "known"}
            for e in catalog.vulnerabilities]


def load_catalog(graph: Graph, path: Path) -> LoadSummary:
    rows = read_catalog(path)
    return enrich(graph, "kev", f"kev {path.name}", rows,
                  cleared={"kev": False, "kev_date_added": None, "kev_ransomware": None})
