"""Trivy JSON reports (``trivy image|vm|rootfs|fs --format json``, SchemaVersion 2, and
``trivy k8s --format json`` cluster reports) -> ScanReport.

Only the fields cloudmap uses are declared; the rest of the report (layers, image config,
misconfigurations, secrets) is ignored."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Literal

from cloudmap.loaders.inputfile import Id, InputError, Short, Text, parse, read_json
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
    ArtifactName: Short | None = None   # empty in some image scans: the image id names the image then
    ArtifactType: Annotated[str, StringConstraints(pattern=r"^[a-z_]{1,40}$")]
    Metadata: ImageMetadata = ImageMetadata()
    Results: list[Result] | None = None


class Workload(_Model):
    """One resource of a `trivy k8s --format json` report: a workload and the results of its images."""
    Namespace: Short = ""
    Kind: Short = ""
    Name: Short = ""
    Metadata: list[ImageMetadata] | ImageMetadata | None = None
    Results: list[Result] | None = None


class ClusterReport(_Model):
    """`trivy k8s --format json`: ``Resources`` (current releases) or ``Vulnerabilities`` (older ones)."""
    ClusterName: Id
    Resources: list[Workload] | None = None
    Vulnerabilities: list[Workload] | None = None


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


def _image_refs(meta: ImageMetadata) -> tuple[list[str], list[str]]:
    digests = [d for d in (digest_of(r) for r in meta.RepoDigests or []) if d]
    if meta.ImageID and meta.ImageID.startswith("sha256:"):
        digests.append(meta.ImageID)
    return list(dict.fromkeys(digests)), list(meta.RepoTags or [])


def _os(meta: ImageMetadata) -> str | None:
    return " ".join(p for p in (meta.OS.Family, meta.OS.Name) if p) or None if meta.OS else None


def read_report(path: Path) -> ScanReport:
    """One image / vm / rootfs / filesystem report."""
    return _artifact_report(parse(Report, read_json(path), path), path)


def read_reports(path: Path) -> list[ScanReport]:
    """The reports of one file: an artifact report, or one per image of a Kubernetes cluster report."""
    doc = read_json(path)
    if isinstance(doc, dict) and "ClusterName" in doc:
        return _cluster_reports(parse(ClusterReport, doc, path), path)
    return [_artifact_report(parse(Report, doc, path), path)]


def _artifact_report(report: Report, path: Path) -> ScanReport:
    meta = report.Metadata
    digests, tags = _image_refs(meta)
    name = (report.ArtifactName or "").strip() or (tags[0] if tags else digests[0] if digests else "")
    if not name:
        raise InputError(f"{path}: ArtifactName: empty, and no Metadata.ImageID, RepoDigests or RepoTags "
                         f"name the artifact")
    if report.ArtifactType == "container_image" and not tags and "@" not in name and not name.startswith("sha256:"):
        tags = [name]
    findings = [to_finding(v) for r in report.Results or [] for v in r.Vulnerabilities or []]
    return ScanReport("trivy", path, name, report.ArtifactType, digests, tags, _os(meta), findings)


def _cluster_reports(report: ClusterReport, path: Path) -> list[ScanReport]:
    """One container-image report per image the cluster's workloads run (results name their image
    ``repo:tag (os)``); images reached through several workloads are one report."""
    images: dict[str, ScanReport] = {}
    for workload in [*(report.Resources or []), *(report.Vulnerabilities or [])]:
        metas = workload.Metadata if isinstance(workload.Metadata, list) else [workload.Metadata or ImageMetadata()]
        for result in workload.Results or []:
            if result.Class not in (None, "os-pkgs", "lang-pkgs") or not result.Vulnerabilities:
                continue
            ref = result.Target.split(" (", 1)[0].strip()
            if not ref:
                continue
            meta = next((m for m in metas if ref in (m.RepoTags or [])), metas[0] if len(metas) == 1 else None)
            digests, tags = _image_refs(meta) if meta else ([], [])
            found = images.setdefault(ref, ScanReport("trivy", path, ref, "container_image", digests,
                                                      list(dict.fromkeys([ref, *tags])), _os(meta) if meta else None))
            seen = {(f.vuln_id, f.package, f.installed_version) for f in found.findings}
            found.findings += [f for f in map(to_finding, result.Vulnerabilities)
                               if (f.vuln_id, f.package, f.installed_version) not in seen]
    return list(images.values())
