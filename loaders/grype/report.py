"""Grype JSON reports (``grype <image|dir:path> -o json``) -> ScanReport.

A match whose id is a GHSA (or distro advisory) with a related CVE is keyed by the CVE, so that
Trivy, Grype, KEV and EPSS all meet on the same Vulnerability node."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

from cloudmap.loaders.inputfile import Id, InputError, Short, Text, parse, read_json
from cloudmap.loaders.trivy.report import VulnId
from cloudmap.loaders.vulns import Finding, ScanReport, digest_of
from pydantic import BaseModel, ConfigDict, Field, StringConstraints

GrypeSeverity = Annotated[str, StringConstraints(pattern=r"(?i)^(critical|high|medium|low|negligible|unknown)$")]


class _Model(BaseModel):
    model_config = ConfigDict(extra="ignore")


class Metrics(_Model):
    baseScore: Annotated[float, Field(ge=0, le=10)] | None = None


class Cvss(_Model):
    version: Short = ""
    vector: Short | None = None
    metrics: Metrics = Metrics()


class Fix(_Model):
    versions: list[Short] = []
    state: Short | None = None


class Advisory(_Model):
    id: VulnId
    severity: GrypeSeverity = "Unknown"
    description: Text | None = None
    urls: list[Short] | None = None
    cvss: list[Cvss] | None = None
    fix: Fix | None = None


class Artifact(_Model):
    name: Id
    version: Short | None = None


class Match(_Model):
    vulnerability: Advisory
    relatedVulnerabilities: list[Advisory] | None = None
    artifact: Artifact


class ImageTarget(_Model):
    userInput: Short = ""
    imageID: Short | None = None
    manifestDigest: Short | None = None
    tags: list[Short] | None = None
    repoDigests: list[Short] | None = None


class PathTarget(_Model):
    path: Id


class Source(_Model):
    type: Annotated[str, StringConstraints(pattern=r"^[a-z_-]{1,40}$")]
    target: ImageTarget | PathTarget | Id


class Distro(_Model):
    name: Short | None = None
    version: Short | None = None


class Report(_Model):
    matches: list[Match]
    source: Source
    distro: Distro | None = None


def best_cvss(entries: list[Cvss]) -> tuple[float | None, str | None]:
    """The highest v3 base score, else v4, else v2."""
    for major in ("3", "4", "2"):
        known = [(c.metrics.baseScore, c.vector) for c in entries
                 if c.version.startswith(major) and c.metrics.baseScore is not None]
        if known:
            return max(known, key=lambda sv: sv[0])
    return None, None


def to_finding(m: Match) -> Finding:
    v, related = m.vulnerability, m.relatedVulnerabilities or []
    cve = next((r for r in related if r.id.upper().startswith("CVE-")), None)
    primary = cve if cve and not v.id.upper().startswith("CVE-") else v
    advisories = [v, *related]
    score, vector = best_cvss([c for a in advisories for c in a.cvss or []])
    fixed = ", ".join(v.fix.versions) if v.fix and v.fix.versions else None
    return Finding(vuln_id=primary.id, package=m.artifact.name, installed_version=m.artifact.version,
                   fixed_version=fixed, severity=v.severity, cvss_score=score, cvss_vector=vector,
                   description=v.description or primary.description,
                   references=[u for a in advisories for u in a.urls or []])


def read_report(path: Path) -> ScanReport:
    report = parse(Report, read_json(path), path)
    target = report.source.target
    distro = report.distro
    os_name = " ".join(p for p in (distro.name, distro.version) if p) if distro else None
    findings = [to_finding(m) for m in report.matches]
    if report.source.type == "image" and isinstance(target, ImageTarget):
        digests = [d for d in (digest_of(r) for r in target.repoDigests or []) if d]
        digests += [d for d in (target.manifestDigest, target.imageID) if d and d.startswith("sha256:")]
        tags = list(target.tags or [])
        if not tags and target.userInput and "@" not in target.userInput:
            tags = [target.userInput]
        return ScanReport("grype", path, target.userInput or (tags or digests or ["image"])[0], "container_image",
                          list(dict.fromkeys(digests)), tags, os_name or None, findings)
    name = target.path if isinstance(target, PathTarget) else target if isinstance(target, str) else target.userInput
    if not name:
        raise InputError(f"{path}: source.target: no path or image name")
    return ScanReport("grype", path, name, report.source.type, [], [], os_name or None, findings)


def read_reports(path: Path) -> list[ScanReport]:
    return [read_report(path)]
