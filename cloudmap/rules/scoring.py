"""Scoring: each matched path gets a 0-10 score, a level and the factors that explain it.

The score is a sum of factor contributions (weights in ``weights.yaml``, see docs/scoring.md), so
every point of a finding's score can be traced back to a fact on its path."""

from __future__ import annotations

from functools import lru_cache
from importlib import resources
from pathlib import Path
from typing import Any

import yaml

from cloudmap.rules.loader import LEVELS

WEIGHTS_FILE = "weights.yaml"


@lru_cache(maxsize=4)
def load_weights(path: str | None = None) -> dict:
    text = Path(path).read_text() if path else resources.files("cloudmap.rules").joinpath(WEIGHTS_FILE).read_text()
    return yaml.safe_load(text)


def level_for(score: float, weights: dict | None = None) -> str:
    thresholds = (weights or load_weights())["levels"]
    for level in LEVELS[:-1]:
        if score >= thresholds[level]:
            return level
    return "low"


def level_rank(level: str) -> int:
    """critical 4 ... low 1 (unknown 0), for comparisons such as --fail-on."""
    return len(LEVELS) - LEVELS.index(level) if level in LEVELS else 0


def _num(value: Any) -> float:
    try:
        return float(value) if value is not None else 0.0
    except (TypeError, ValueError):
        return 0.0


def _factor(name: str, value: Any, contribution: float, explanation: str) -> dict:
    return {"factor": name, "value": value, "contribution": round(contribution, 2), "explanation": explanation}


def score(evidence: dict, severity: str, hops: int, weights: dict | None = None) -> dict:
    """{score, level, factors: [{factor, value, contribution, explanation}], risk_factors}."""
    w = weights or load_weights()
    factors = []
    risk: set[str] = set()

    factors.append(_factor("severity", severity, w["severity"].get(severity, 0.0), "base severity of the rule"))

    exposure = str(evidence.get("exposure") or "none")
    factors.append(_factor("exposure", exposure, w["exposure"].get(exposure, 0.0),
                           {"public": "anyone on the internet can access it anonymously",
                            "internet": "the entry point is reachable from the internet",
                            "lateral": "reachable by lateral movement from an internet-exposed workload",
                            "identity": "a principal whose credentials work from anywhere",
                            "internal": "reachable only inside the estate"}.get(exposure, "no exposure")))
    if exposure == "internet":
        risk.add("internet-exposure")
    if exposure == "public":
        risk.update({"internet-exposure", "public-access"})
    if exposure == "lateral":
        risk.update({"internet-exposure", "lateral-movement"})

    we = w["exploitability"]
    cvss, epss = _num(evidence.get("max_cvss")), _num(evidence.get("epss"))
    kev, rce = bool(evidence.get("kev")), bool(evidence.get("rce"))
    weaknesses = sorted({str(x) for x in evidence.get("weaknesses") or [] if x})
    raw = (cvss * we["cvss_per_point"] + epss * we["epss"] + (we["kev"] if kev else 0) + (we["rce"] if rce else 0)
           + we["weakness"] * len(weaknesses))
    parts = ([f"CVSS {cvss:g}"] if cvss else []) + ([f"EPSS {epss:g}"] if epss else []) + (["KEV"] if kev else []) \
        + (["RCE"] if rce else []) + weaknesses
    factors.append(_factor("exploitability", {"max_cvss": cvss, "epss": epss, "kev": kev, "rce": rce,
                                              "weaknesses": weaknesses},
                           min(raw, we["max"]), ", ".join(parts) or "no known vulnerability or weakness"))
    if {"password-auth", "shared-key"} & set(weaknesses):
        risk.add("basic-auth")
    if cvss or evidence.get("vulnerabilities"):
        risk.add("vulnerability")
    if cvss >= 9.0:
        risk.add("critical-vulnerability")
    if kev:
        risk.add("exploited-vulnerability")
    if rce:
        risk.add("rce")

    privilege = str(evidence.get("privilege") or "none")
    factors.append(_factor("privilege", privilege, w["privilege"].get(privilege, 0.0),
                           f"the path grants {privilege} access" if privilege != "none" else "no privilege gained"))
    if privilege == "admin":
        risk.add("privileged-identity")

    ws = w["sensitivity"]
    categories = sorted({str(c) for c in evidence.get("sensitivity") or [] if c})
    critical = bool(evidence.get("critical"))
    best = max((ws["categories"].get(c, ws["categories"]["other"]) for c in categories), default=0.0)
    sens = min(best + (ws["critical_asset"] if critical else 0.0), ws["max"])
    what = (["holds " + ", ".join(categories) + " data"] if categories else []) + (["a crown jewel"] if critical else [])
    factors.append(_factor("sensitivity", {"categories": categories, "critical": critical}, sens,
                           "; ".join(what) or "no sensitive data or crown jewel"))
    if categories:
        risk.add("sensitive-data")
    if "secrets" in categories:
        risk.add("credential-exposure")
    if critical:
        risk.add("critical-asset")

    wp = w["path"]
    extra = max(hops - wp["free_hops"], 0)
    factors.append(_factor("path_length", hops, max(extra * wp["per_extra_hop"], wp["min"]),
                           f"{hops} relationship(s) from entry to target"))

    total = round(min(max(sum(f["contribution"] for f in factors), 0.0), 10.0), 1)
    return {"score": total, "level": level_for(total, w), "factors": factors, "risk_factors": sorted(risk)}
