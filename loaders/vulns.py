"""What the scanner loaders (Trivy, Grype) share: a scanner-neutral report, the mapping of its
findings to ``Vulnerability`` rows and ``HAS_VULNERABILITY`` links, and matching the scanned
artifact to what the cloud and Kubernetes loaders wrote.

Matching, in order:

* ``--asset ID`` given: that asset (it must exist).
* Images: every ``ContainerImage`` whose ``id`` or ``digest`` is one of the report's digests
  (``sha256:...`` from RepoDigests / ImageID), or whose ``id`` or ``tags_list`` holds one of its
  ``repository:tag`` references (``nginx:1.25`` and ``docker.io/library/nginx:1.25`` are the same).
* Hosts (VM, rootfs, filesystem, directory reports): an asset whose id is the artifact name, or
  ends with ``/<id>`` for an instance / volume / snapshot / AMI id found in the artifact name
  (``i-0abc...`` matches ``arn:aws:ec2:...:instance/i-0abc...``).
* Otherwise the report is kept on a new ``ContainerImage`` / ``Artifact`` node and reported as
  having no matching workload.

Each report is one scope, ``<scanner>/<artifact>``: loading a newer report of the same artifact
replaces the links the previous one wrote. ``rce`` is set only from explicit signals: a
code-injection CWE (:data:`RCE_CWES`) or the words "remote code execution" in the advisory.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

from cloudmap.loaders.inputfile import InputError
from cloudmap.loaders.kit import LoadSummary
from cloudmap.loaders.kit.annotate import annotate
from cloudmap.loaders.kit.link import link

from cloudmap.graph.driver import Graph
from cloudmap.graph.ingest import Sync
from cloudmap.graph.kinds.common import CONTAINER_IMAGE, HAS_VULNERABILITY, VULNERABILITY
from cloudmap.graph.kinds.vulns import ARTIFACT

SEVERITIES = ("critical", "high", "medium", "low", "unknown")
SEVERITY_ALIASES = {"negligible": "low", "moderate": "medium", "important": "high", "none": "unknown"}
# CWE-94 code injection, CWE-78 OS command injection, CWE-502 unsafe deserialisation,
# CWE-917 expression language injection: each means code runs where the input lands.
RCE_CWES = frozenset({"CWE-94", "CWE-78", "CWE-502", "CWE-917"})
RCE_TEXT = re.compile(r"remote code execution", re.IGNORECASE)
MAX_REFERENCES = 20
HOST_ID_TOKEN = re.compile(r"\b(?:i|ami|vol|snap)-[0-9a-f]{8,17}\b")
CANONICAL_ID = re.compile(r"^(CVE|GHSA)-", re.IGNORECASE)


@dataclass
class Finding:
    """One vulnerable package as a scanner reports it."""
    vuln_id: str
    package: str
    installed_version: str | None = None
    fixed_version: str | None = None
    severity: str | None = None
    cvss_score: float | None = None
    cvss_vector: str | None = None
    title: str | None = None
    description: str | None = None
    references: list[str] = field(default_factory=list)
    published: str | None = None
    cwes: list[str] = field(default_factory=list)


@dataclass
class ScanReport:
    """One scanner report, scanner-neutral."""
    scanner: str                   # trivy, grype
    file: Path
    artifact_name: str
    artifact_type: str             # container_image for images; anything else is a host / directory
    digests: list[str] = field(default_factory=list)   # sha256:..., manifest digests first
    tags: list[str] = field(default_factory=list)      # repository:tag
    os: str | None = None
    findings: list[Finding] = field(default_factory=list)

    @property
    def is_image(self) -> bool:
        return self.artifact_type == "container_image"


@dataclass
class Target:
    ids: list[str]                 # the assets the vulnerabilities attach to
    new_node: dict | None = None   # the node to create when nothing matched
    has_workload: bool = False     # a workload runs it, or it is a host asset itself


# -- values -----------------------------------------------------------------------------------------

def norm_id(vuln_id: str) -> str:
    """CVE / GHSA ids upper case (the key KEV and EPSS use); other scanner ids as they are."""
    return vuln_id.upper() if CANONICAL_ID.match(vuln_id) else vuln_id


def norm_severity(value: str | None) -> str:
    sev = (value or "unknown").strip().lower()
    sev = SEVERITY_ALIASES.get(sev, sev)
    return sev if sev in SEVERITIES else "unknown"


def is_rce(finding: Finding) -> bool:
    if RCE_CWES.intersection(c.upper() for c in finding.cwes):
        return True
    return any(RCE_TEXT.search(text) for text in (finding.title, finding.description) if text)


def digest_of(ref: str) -> str | None:
    """``repo@sha256:abc`` or ``sha256:abc`` -> ``sha256:abc``."""
    tail = ref.rsplit("@", 1)[-1]
    return tail if tail.startswith("sha256:") else None


def tag_variants(ref: str) -> set[str]:
    """Spellings of one image reference that name the same image on Docker Hub."""
    if "@" in ref:
        return set()
    last = ref.rsplit("/", 1)[-1]
    if ":" not in last:
        ref += ":latest"
    out = {ref}
    short = ref
    for prefix in ("docker.io/", "index.docker.io/"):
        short = short.removeprefix(prefix)
    if short.startswith("library/") and short.count("/") == 1:
        short = short[len("library/"):]
    first = short.split("/", 1)[0]
    has_registry = "/" in short and ("." in first or ":" in first or first == "localhost")
    if not has_registry:
        out.add(short)
        full = short if "/" in short else f"library/{short}"
        out.update({f"docker.io/{full}", f"index.docker.io/{full}"})
    return out


def _clean(row: dict) -> dict:
    # None would remove a property another source set (SET n += row), so absent stays absent.
    return {k: v for k, v in row.items() if v not in (None, "", [])}


# -- findings to rows -------------------------------------------------------------------------------

def vulnerability_rows(findings: list[Finding]) -> list[dict]:
    """One row per vulnerability id, keeping the best score and the richest text seen."""
    rows: dict[str, dict] = {}
    for f in findings:
        vid = norm_id(f.vuln_id)
        row = rows.setdefault(vid, {"id": vid, "name": vid, "severity": "unknown", "references": [],
                                    "cwes": []})
        sev = norm_severity(f.severity)
        if SEVERITIES.index(sev) < SEVERITIES.index(row["severity"]):
            row["severity"] = sev
        if f.cvss_score is not None and f.cvss_score > (row.get("cvss_score") or -1):
            row["cvss_score"], row["cvss_vector"] = f.cvss_score, f.cvss_vector
        for key in ("title", "description", "published"):
            if getattr(f, key) and not row.get(key):
                row[key] = getattr(f, key)
        row["references"] = list(dict.fromkeys(row["references"] + f.references))[:MAX_REFERENCES]
        row["cwes"] = sorted(set(row["cwes"]) | {c.upper() for c in f.cwes})
        if is_rce(f):
            row["rce"] = True  # never written as false: another scanner may know better
    return [_clean(r) for r in rows.values()]


def link_rows(findings: list[Finding], asset_ids: list[str], source: str) -> list[dict]:
    """HAS_VULNERABILITY rows. One relationship per (asset, vulnerability): when several packages
    carry the same vulnerability their names and versions are joined with ", " in one order."""
    by_vuln: dict[str, list[Finding]] = {}
    for f in findings:
        by_vuln.setdefault(norm_id(f.vuln_id), []).append(f)
    rows = []
    for vid, group in by_vuln.items():
        group = sorted({(f.package, f.installed_version or "", f.fixed_version or ""): f
                        for f in group}.values(), key=lambda f: (f.package, f.installed_version or ""))
        props = _clean({"package": ", ".join(f.package for f in group),
                        "installed_version": ", ".join(f.installed_version or "?" for f in group),
                        "fixed_version": ", ".join(f.fixed_version or "" for f in group).strip(", ") or None,
                        "source": source})
        rows += [{"source": aid, "target": vid, "props": props} for aid in asset_ids]
    return rows


# -- matching ---------------------------------------------------------------------------------------

MAX_CANDIDATES = 10


def resolve_asset(graph: Graph, value: str) -> str:
    """The asset id ``--asset`` names: an id or ARN in any casing (Azure ids as the portal spells them),
    a bare resource id (``i-0abc...``, an Azure VM's name segment), or a name that only one asset has.
    Ambiguous values list the candidates; unknown ones say what was searched."""
    wanted = value.strip()
    exact = graph.read("MATCH (n:Asset {id: $id}) RETURN n.id AS id", id=wanted)
    if exact:
        return exact[0]["id"]
    for how, query in (
            ("id in any casing", "MATCH (n:Asset) WHERE toLower(n.id) = $low RETURN n.id AS id ORDER BY id"),
            ("bare resource id", "MATCH (n:Asset) WHERE NOT n:ContainerImage AND (toLower(n.id) ENDS WITH '/' + $low "
                                 "OR toLower(n.instance_id) = $low) RETURN DISTINCT n.id AS id ORDER BY id"),
            ("name", "MATCH (n:Asset) WHERE toLower(n.name) = $low RETURN n.id AS id ORDER BY id")):
        found = [r["id"] for r in graph.read(query, low=wanted.lower())]
        if len(found) == 1:
            return found[0]
        if found:
            shown = ", ".join(found[:MAX_CANDIDATES]) + (f" and {len(found) - MAX_CANDIDATES} more"
                                                          if len(found) > MAX_CANDIDATES else "")
            raise InputError(f"--asset {wanted!r}: {len(found)} assets match by {how}: {shown}; give the full id")
    raise InputError(f"--asset {wanted!r}: no asset matches (searched ids and ARNs in any casing, bare "
                     f"instance / VM ids, and names); load its source first")


def match_target(graph: Graph, report: ScanReport, asset_id: str | None = None) -> Target:
    if asset_id:
        return Target([asset_id], has_workload=True)
    if report.is_image:
        return _match_image(graph, report)
    return _match_host(graph, report)


def _match_image(graph: Graph, report: ScanReport) -> Target:
    tags = sorted(set().union(*(tag_variants(t) for t in report.tags)) if report.tags else set())
    found = graph.read(
        "MATCH (i:ContainerImage) WHERE i.id IN $digests OR i.digest IN $digests OR i.id IN $tags "
        "OR any(t IN coalesce(i.tags_list, []) WHERE t IN $tags) "
        "RETURN i.id AS id, EXISTS { MATCH (w)-[:RUNS_IMAGE]->(i) WHERE NOT w:ContainerImage } AS used "
        "ORDER BY id", digests=report.digests, tags=tags)
    if found:
        return Target([r["id"] for r in found], has_workload=any(r["used"] for r in found))
    digest = report.digests[0] if report.digests else None
    repo = report.tags[0].rsplit(":", 1)[0] if report.tags else None
    node = _clean({"id": digest or (report.tags[0] if report.tags else report.artifact_name),
                   "name": report.tags[0] if report.tags else report.artifact_name,
                   "digest": digest, "repository": repo, "tags_list": report.tags, "os": report.os,
                   "registry": repo.split("/", 1)[0] if repo and "/" in repo and "." in repo.split("/")[0]
                   else None})
    return Target([node["id"]], new_node=node)


def _match_host(graph: Graph, report: ScanReport) -> Target:
    name = report.artifact_name
    tokens = sorted(set(HOST_ID_TOKEN.findall(name)))
    found = graph.read(
        "MATCH (n:Asset) WHERE NOT n:ContainerImage AND NOT n:Artifact AND "
        "(n.id IN $ids OR any(t IN $tokens WHERE n.id ENDS WITH '/' + t)) RETURN n.id AS id ORDER BY id",
        ids=[name, name.lower()], tokens=tokens)
    if found:
        return Target([r["id"] for r in found], has_workload=True)
    node = _clean({"id": f"artifact:{report.artifact_type}:{name}", "name": name,
                   "artifact_type": report.artifact_type, "scanner": report.scanner, "os": report.os})
    return Target([node["id"]], new_node=node)


# -- load -------------------------------------------------------------------------------------------

def load_reports(graph: Graph, reports: list[ScanReport], scanner: str, asset_id: str | None = None,
                 progress=None) -> LoadSummary:
    """Write every report in one sync, one scope per artifact. Reports are fully parsed before.
    The summary's details list each report (``reports``) and those no workload runs (``unmatched``)."""
    if asset_id:
        asset_id = resolve_asset(graph, asset_id)
    unmatched, per_report = [], []
    with Sync(graph, provider=scanner, source=f"{scanner} {', '.join(r.file.name for r in reports)}",
              progress=progress) as sync:
        for report in reports:
            target = match_target(graph, report, asset_id)
            with sync.scope(f"{scanner}/{asset_id or report.artifact_name}") as sc:
                if target.new_node:
                    sc.nodes(CONTAINER_IMAGE if report.is_image else ARTIFACT, [target.new_node])
                sc.nodes(VULNERABILITY, vulnerability_rows(report.findings))
                linked = sc.rels(HAS_VULNERABILITY, link_rows(report.findings, target.ids, scanner))
            if not target.has_workload:
                unmatched.append(report.artifact_name)
            per_report.append({"file": str(report.file), "artifact": report.artifact_name,
                               "matched": target.ids if not target.new_node else [],
                               "kept_as": target.new_node["id"] if target.new_node else None,
                               "vulnerabilities": len({norm_id(f.vuln_id) for f in report.findings}),
                               "links": linked})
        link(sync)
    return LoadSummary.of(sync, reports=per_report, unmatched=unmatched)


def load_files(graph: Graph, scanner: str, read_reports, files: list[Path], asset_id: str | None = None,
               progress=None) -> LoadSummary:
    """Parse every file first (one bad file writes nothing), then load their reports; ``read_reports``
    gives the reports of one file (a Kubernetes scan holds one per image)."""
    reports = [report for f in files for report in read_reports(Path(f))]
    if asset_id and len(reports) > 1:
        raise InputError("--asset applies to one report; give one file per run")
    return load_reports(graph, reports, scanner, asset_id, progress)


# -- enrichment (KEV, EPSS) -------------------------------------------------------------------------

def existing_cves(graph: Graph) -> set[str]:
    return {r["id"] for r in graph.read("MATCH (v:Vulnerability) WHERE v.id STARTS WITH 'CVE-' RETURN v.id AS id")}


def enrich(graph: Graph, provider: str, source: str, rows: list[dict], cleared: dict | None = None,
           in_feed: int | None = None) -> LoadSummary:
    """Set each row's properties on the Vulnerability nodes that exist; ``cleared`` (the properties'
    "not listed" values) goes on those the previous feed marked (``kev``) that this one no longer lists.
    Enrichments never create vulnerabilities: a feed lists every CVE, the graph only those found on assets."""
    known = existing_cves(graph)
    matched = [r for r in rows if r["id"] in known]
    in_feed = len(rows) if in_feed is None else in_feed
    with Sync(graph, provider=provider, source=source) as sync:
        updated = annotate(graph, VULNERABILITY, matched)
        gone: list[dict] = []
        if cleared:
            listed = {r["id"] for r in rows}
            gone = [{"id": r["id"], **cleared} for r in graph.read(
                "MATCH (v:Vulnerability) WHERE v.kev = true RETURN v.id AS id") if r["id"] not in listed]
            annotate(graph, VULNERABILITY, gone)
        sync.counts.update({"in_feed": in_feed, "matched": updated, "cleared": len(gone)})
    return LoadSummary.of(sync, in_feed=in_feed, matched=updated, cleared=len(gone),
                          vulnerabilities_in_graph=len(known))
