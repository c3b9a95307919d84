"""Trivy JSON reports (``trivy image|vm|rootfs|fs --format json``, SchemaVersion 2) -> ScanReport.

Only the fields cloudmap uses are declared; the rest of the report (layers, image config,
misconfigurations, secrets) is ignored."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Literal

from cloudmap.loaders.inputfile import Id, Short, Text, parse, read_json
from cloudmap.loaders.vulns import Finding, ScanReport, digest_of
from pydantic import BaseModel, ConfigDict, Field, StringConstraints

VulnId = Annotated[str, StringConstraints(pattern=r"^[A-Za-z0-9][A-Za-z0-9._:-]{1,127}$")]
TrivySeverity = Annotated[str, StringConstraints(pattern=r"(?i)^(critical|high|medium|low|unknown)$")]
Cwe = Annotated[str, StringConstraints(pattern=r"(?i)^(CWE-\d{1,6}|NVD-CWE-[A-Za-z]+)$")]
Score = Annotated[float, Field(ge=0, le=10)]


class _Model(BaseModel):
    model_config = ConfigDict(extra="ignore", strict=False)


class CvssScores(_Model):
    V3Vector: Short | None = None
    V3Score: Score | None = None
    V40Vector: Short | None = None
    V40Score: Score | None = None
    V2Vector: Short | None = None
    V2Score: Score | None = None


class Vulnerability(_Model):
    VulnerabilityID: VulnId
    PkgName: Id
    InstalledVersion: Short | None = None
    FixedVersion: Short | None = None
    Severity: TrivySeverity = "UNKNOWN"
    CVSS: dict[Annotated[str, StringConstraints(max_length=64)], CvssScores] = {}
    Title: Text | None = None
    Description: Text | None = None
    References: list[Short] = []
    PublishedDate: Short | None = None
    CweIDs: list[Cwe] = []


class Result(_Model):
    Target: Short = ""
    Class: Short | None = None
    Vulnerabilities: list[Vulnerability] | None = None


class OsInfo(_Model):
    Family: Short | None = None
    Name: Short | None = None


class ImageMetadata(_Model):
    OS: OsInfo | None = None
    ImageID: Short | None = None
    RepoTags: list[Short] | None = None
    RepoDigests: list[Short] | None = None


class Report(_Model):
    SchemaVersion: Literal[2]
    ArtifactName: Id
    ArtifactType: Annotated[str, StringConstraints(pattern=r"^[a-z_]{1,40}$")]
    Metadata: ImageMetadata = ImageMetadata()
    Results: list[Result] | None = None


def best_cvss(scores: dict[str, CvssScores]) -> tuple[float | None, str | None]:
    """The highest v3 base score among the sources (nvd, redhat, ghsa, ...), else v4, else v2."""
    for score_of, vector_of in (("V3Score", "V3Vector"), ("V40Score", "V40Vector"), ("V2Score", "V2Vector")):
        known = [(getattr(c, score_of), getattr(c, vector_of)) for c in scores.values()
                 if getattr(c, score_of) is not None]
        if known:
            return max(known, key=lambda sv: sv[0])
    return None, None


def to_finding(v: Vulnerability) -> Finding:
    score, vector = best_cvss(v.CVSS)
    return Finding(vuln_id=v.VulnerabilityID, package=v.PkgName, installed_version=v.InstalledVersion,
                   fixed_version=v.FixedVersion, severity=v.Severity, cvss_score=score, cvss_vector=vector,
                   title=v.Title, description=v.Description, references=list(v.References),
                   published=v.PublishedDate, cwes=list(v.CweIDs))


def read_report(path: Path) -> ScanReport:
    report = parse(Report, read_json(path), path)
    meta = report.Metadata
    digests = [d for d in (digest_of(r) for r in meta.RepoDigests or []) if d]
    if meta.ImageID and meta.ImageID.startswith("sha256:"):
        digests.append(meta.ImageID)
    tags = list(meta.RepoTags or [])
    if report.ArtifactType == "container_image" and not tags and "@" not in report.ArtifactName:
        tags = [report.ArtifactName]
    os_name = " ".join(p for p in (meta.OS.Family, meta.OS.Name) if p) if meta.OS else None
    findings = [to_finding(v) for r in report.Results or [] for v in r.Vulnerabilities or []]
    return ScanReport("trivy", path, report.ArtifactName, report.ArtifactType, list(dict.fromkeys(digests)),
                      tags, os_name or None, findings)
