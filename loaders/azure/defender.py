"""Defender for Cloud: vulnerability sub-assessments on machines -> Vulnerability nodes.

Both shapes Resource Graph carries are read: Defender Vulnerability Management
(``additionalData.vulnerabilityDetails.cveId``, ``softwareDetails``) and the older Qualys-based
assessment (``additionalData.cve[].title``, ``cvss``)."""

from __future__ import annotations

import re

from cloudmap.loaders.azure import ids
from cloudmap.loaders.azure.plan import Plan, Res, as_list, get, handles, scope_name

from cloudmap.graph.kinds.common import HAS_VULNERABILITY, VULNERABILITY

CVE = re.compile(r"(CVE-\d{4}-\d{4,}|GHSA(-[23456789cfghjmpqrvwx]{4}){3})", re.IGNORECASE)
SEVERITIES = ("critical", "high", "medium", "low")


@handles("microsoft.security/assessments")
def assessment(plan: Plan, res: Res) -> None:
    """Recommendations themselves are not modelled; their vulnerability details are (sub-assessments)."""


@handles("microsoft.security/assessments/subassessments")
def sub_assessment(plan: Plan, res: Res) -> None:
    p = res.props
    if str(get(p, "status.code", "unhealthy")).lower() != "unhealthy":
        return  # healthy / not applicable: nothing vulnerable
    target = ids.norm(get(p, "resourceDetails.id") or get(p, "resourceDetails.ResourceId")) or \
        res.id.split("/providers/microsoft.security/")[0]
    data = p.get("additionalData") or {}
    details = data.get("vulnerabilityDetails") or {}
    software = data.get("softwareDetails") or {}
    cve_ids = [details.get("cveId")] + [c.get("title") for c in as_list(data.get("cve"))] + [p.get("id")]
    cve_ids = list(dict.fromkeys(m.group(0).upper() for c in cve_ids if c for m in [CVE.search(str(c))] if m))
    if not cve_ids:
        return
    severity = str(details.get("severity") or get(p, "status.severity") or "unknown").lower()
    cvss = details.get("cvssScore") or _cvss(data)
    scope = scope_name(ids.subscription_of(target) or res.sub, "security", res.tenant)
    for cve in cve_ids:
        plan.node(VULNERABILITY, {"id": cve, "name": cve, "title": p.get("displayName"), "description": p.get("description"),
                                  "severity": severity if severity in SEVERITIES else "unknown",
                                  "cvss_score": cvss, "published": details.get("publishedDate") or data.get("publishedTime")},
                  scope, weak=True)
        plan.rel(HAS_VULNERABILITY, target, cve, scope, source="defender", package=software.get("softwareName"),
                 installed_version=software.get("version"), fixed_version=software.get("fixedVersion"))


def _cvss(data: dict):
    scores = data.get("cvss") or {}
    for version in ("3.1", "3.0", "2.0"):
        base = (scores.get(version) or {}).get("base")  # keys are versions: {"3.0": {"base": 9.8}}
        if base is not None:
            return base
    return None
