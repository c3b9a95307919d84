"""Security signals (a scope per region): Inspector2 package vulnerabilities on instances, ECR images and
Lambda functions; Macie sensitive-data findings on S3 buckets. A service that is not enabled is skipped."""

from __future__ import annotations

from collections import Counter

from botocore.exceptions import ClientError
from cloudmap.loaders.aws.context import NOT_ENABLED_CODES, Ctx, Out, Skipped, error_code

from cloudmap.graph.kinds.common import HAS_VULNERABILITY, SENSITIVE_INFO_TYPE, STORES, VULNERABILITY

SEVERITIES = {"CRITICAL": "critical", "HIGH": "high", "MEDIUM": "medium", "LOW": "low", "INFORMATIONAL": "low"}
MACIE_CATEGORIES = {"FINANCIAL_INFORMATION": "pci", "PERSONAL_INFORMATION": "pii", "CREDENTIALS": "secrets"}
HEALTH_MARKERS = ("HEALTH", "MEDICARE", "MEDICAL", "NHS", "DRUG", "NATIONAL_PROVIDER", "HEALTHCARE")


def _skip_if_not_enabled(service: str, exc: Exception) -> None:
    """Raise Skipped when the error says the service is off (or not implemented by an emulator)."""
    message = str(exc).lower()
    # A bare 404 on a list call only comes from an emulator that lacks the API.
    if isinstance(exc, NotImplementedError) or error_code(exc) in (*NOT_ENABLED_CODES, "404") or (
            isinstance(exc, ClientError) and any(m in message for m in ("not enabled", "not subscribed",
                                                                          "not yet implemented"))):
        raise Skipped(f"{service} is not enabled or not supported here ({error_code(exc) or type(exc).__name__})") \
            from None


# -- Inspector2 ------------------------------------------------------------------------------------

def fetch_inspector(ctx: Ctx) -> dict:
    client = ctx.client("inspector2")
    criteria = {"findingType": [{"comparison": "EQUALS", "value": "PACKAGE_VULNERABILITY"}],
                "findingStatus": [{"comparison": "EQUALS", "value": "ACTIVE"}]}
    findings: list = []
    try:
        token = None
        while True:
            resp = client.list_findings(filterCriteria=criteria, maxResults=100, **({"nextToken": token} if token else {}))
            findings.extend(resp.get("findings", []))
            token = resp.get("nextToken")
            if not token:
                break
    except (ClientError, NotImplementedError) as exc:
        _skip_if_not_enabled("inspector2", exc)
        raise
    return {"findings": findings}


def _resource_id(ctx: Ctx, resource: dict) -> str | None:
    kind, ident = resource.get("type"), resource.get("id", "")
    if kind == "AWS_EC2_INSTANCE":
        return ident if ident.startswith("arn:") else ctx.arn("ec2", f"instance/{ident}", resource.get("region"))
    if kind == "AWS_ECR_CONTAINER_IMAGE":
        return ((resource.get("details") or {}).get("awsEcrContainerImage") or {}).get("imageHash") or \
            (ident.rsplit("/", 1)[-1] if "sha256:" in ident else None)
    if kind == "AWS_LAMBDA_FUNCTION":
        return ":".join(ident.split(":")[:7])  # the function ARN without a version qualifier
    return None


def transform_inspector(raw: dict, ctx: Ctx) -> Out:
    out = Out(ctx)
    for f in raw["findings"]:
        details = f.get("packageVulnerabilityDetails") or {}
        vuln_id = (details.get("vulnerabilityId") or "").upper()
        if not vuln_id:
            continue
        cvss = sorted(details.get("cvss", []), key=lambda c: (str(c.get("version", "")).startswith("3"),
                                                             c.get("baseScore") or 0), reverse=True)
        row = {"id": vuln_id, "name": vuln_id, "title": f.get("title"), "description": f.get("description"),
               "severity": SEVERITIES.get(str(f.get("severity", "")).upper(), "unknown"),
               "cvss_score": cvss[0].get("baseScore") if cvss else None,
               "cvss_vector": cvss[0].get("scoringVector") if cvss else None,
               "epss": (f.get("epss") or {}).get("score"),
               "references": details.get("referenceUrls") or None}
        # Vulnerability nodes are shared with other scanners: never blank a property another one set.
        out.node(VULNERABILITY, {key: value for key, value in row.items() if value is not None})
        for resource in f.get("resources", []):
            target = _resource_id(ctx, resource)
            for package in details.get("vulnerablePackages", []) or [{}]:
                out.rel(HAS_VULNERABILITY, target, vuln_id, props={
                    "package": package.get("name"), "installed_version": _version(package),
                    "fixed_version": package.get("fixedInVersion"), "source": "inspector2"})
    return out


def _version(package: dict) -> str | None:
    version = package.get("version")
    if version and package.get("release"):
        version = f"{version}-{package['release']}"
    if version and package.get("epoch"):
        version = f"{package['epoch']}:{version}"
    return version


# -- Macie -----------------------------------------------------------------------------------------

def fetch_macie(ctx: Ctx) -> dict:
    client = ctx.client("macie2")
    try:
        ids: list[str] = []
        for page in client.get_paginator("list_findings").paginate(
                findingCriteria={"criterion": {"category": {"eq": ["CLASSIFICATION"]}}}):
            ids.extend(page.get("findingIds", []))
        findings = []
        for i in range(0, len(ids), 50):  # get_findings takes at most 50 ids
            findings.extend(client.get_findings(findingIds=ids[i:i + 50]).get("findings", []))
    except (ClientError, NotImplementedError) as exc:
        _skip_if_not_enabled("macie2", exc)
        raise
    return {"findings": findings}


def info_type(category: str, detection_type: str) -> dict | None:
    """The SensitiveInfoType of a Macie detection (category from Macie's, health identifiers as phi)."""
    cat = MACIE_CATEGORIES.get(category)
    if cat is None:
        return None
    if cat == "pii" and any(marker in detection_type.upper() for marker in HEALTH_MARKERS):
        cat = "phi"
    name = detection_type.lower().replace("_", "-")
    return {"id": f"{cat}:{name}", "name": name, "category": cat}


def transform_macie(raw: dict, ctx: Ctx) -> Out:
    out = Out(ctx)
    counts: Counter[tuple[str, str]] = Counter()
    for f in raw["findings"]:
        if not str(f.get("type", "")).startswith("SensitiveData:S3Object"):
            continue
        bucket = ((f.get("resourcesAffected") or {}).get("s3Bucket") or {})
        bucket_arn = bucket.get("arn") or (f"arn:{ctx.partition}:s3:::{bucket['name']}" if bucket.get("name") else None)
        result = ((f.get("classificationDetails") or {}).get("result") or {})
        for data in result.get("sensitiveData", []):
            for detection in data.get("detections", []):
                info = info_type(data.get("category", ""), detection.get("type", ""))
                if info and bucket_arn:
                    out.node(SENSITIVE_INFO_TYPE, info)
                    counts[(bucket_arn, info["id"])] += int(detection.get("count") or 0)
    for (bucket_arn, info_id), count in counts.items():
        out.rel(STORES, bucket_arn, info_id, props={"source": "macie", "count": count})
    return out
