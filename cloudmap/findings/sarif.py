"""SARIF 2.1.0 export that GitHub code scanning accepts: one result per finding.

Cloud assets have no source file, so each result points at the rule file that found it (physical
location) and names the affected asset as a logical location; the finding id is the fingerprint,
so an alert stays the same alert across analyses."""

from __future__ import annotations

from pathlib import Path

from cloudmap import __version__
from cloudmap.rules.loader import Rule

SCHEMA = "https://json.schemastore.org/sarif-2.1.0.json"
SARIF_LEVEL = {"critical": "error", "high": "error", "medium": "warning", "low": "note"}
SECURITY_SEVERITY = {"critical": "9.5", "high": "8.0", "medium": "5.5", "low": "2.0"}


def _rule_uri(rule: Rule | None, rule_id: str) -> str:
    if rule is not None and rule.builtin:
        return f"cypher/rules/{Path(rule.file).name}"
    return Path(rule.file).name if rule is not None else f"cypher/rules/{rule_id}.cypher"


def _descriptor(rule_id: str, rule: Rule | None, finding: dict) -> dict:
    title = rule.title if rule else finding["title"]
    desc = {"id": rule_id, "name": rule_id.replace("-", ""), "shortDescription": {"text": title},
            "fullDescription": {"text": rule.description if rule else title},
            "help": {"text": (rule.remediation if rule else finding.get("remediation")) or title},
            "defaultConfiguration": {"level": SARIF_LEVEL.get(rule.severity if rule else "medium", "warning")},
            "properties": {"tags": ["security", *(rule.risk_factors if rule else []),
                                    *(f"external/mitre-attack/{a}" for a in (rule.attack if rule else []))],
                           "security-severity": SECURITY_SEVERITY.get(rule.severity if rule else "medium", "5.5")}}
    if rule and rule.references:
        desc["helpUri"] = rule.references[0]
    return desc


def to_sarif(findings: list[dict], rules: list[Rule]) -> dict:
    by_id = {r.id: r for r in rules}
    rule_ids = sorted({f["rule_id"] for f in findings})
    index = {rid: i for i, rid in enumerate(rule_ids)}
    first = {}
    for f in findings:
        first.setdefault(f["rule_id"], f)
    results = []
    for f in findings:
        rule = by_id.get(f["rule_id"])
        entry, target = f["entry"], f["target"]
        path_text = " -> ".join(n.get("name") or n["id"] for n in f["path"]["nodes"])
        results.append({
            "ruleId": f["rule_id"], "ruleIndex": index[f["rule_id"]], "level": SARIF_LEVEL.get(f["level"], "warning"),
            "message": {"text": f"{f['title']}: {entry['name']} -> {target['name']} (score {f['score']}, "
                                f"{f['level']}). Path: {path_text}. Fix: {f.get('remediation') or '-'}"},
            "locations": [{
                "physicalLocation": {"artifactLocation": {"uri": _rule_uri(rule, f["rule_id"])},
                                     "region": {"startLine": rule.body_line if rule else 1}},
                "logicalLocations": [{"name": target["name"], "fullyQualifiedName": target["id"], "kind": "resource"}],
            }],
            "partialFingerprints": {"cloudmapFinding/v1": f["id"]},
            "properties": {"score": f["score"], "level": f["level"], "risk_factors": f["risk_factors"],
                           "entry": entry["id"], "target": target["id"], "status": f["status"]},
        })
    return {"$schema": SCHEMA, "version": "2.1.0", "runs": [{
        "tool": {"driver": {"name": "cloudmap", "version": __version__, "semanticVersion": __version__,
                            "informationUri": "https://github.com/cloudmap/cloudmap",
                            "rules": [_descriptor(rid, by_id.get(rid), first[rid]) for rid in rule_ids]}},
        "results": results}]}
