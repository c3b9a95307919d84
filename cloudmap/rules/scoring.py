"""Scoring: each matched path gets a 0-10 score, a level and the factors that explain it.

The score is a sum of factor contributions (weights in ``weights.yaml``, see docs/scoring.md), so
every point of a finding's score can be traced back to a fact on its path."""

from __future__ import annotations

from functools import lru_cache
from importlib import resources
from pathlib import Path
from typing import Any

import yaml

from cloudmap.rules.evidence import Evidence, validate
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


def _band(level: str, w: dict) -> tuple[float, float]:
    """The scores of one level: [its threshold, the next level's threshold - 0.1]."""
    lows = {lvl: w["levels"].get(lvl, 0.0) for lvl in LEVELS[:-1]} | {"low": 0.0}
    higher = [lows[lvl] for lvl in LEVELS[:LEVELS.index(level)]]
    return lows[level], (min(higher) - 0.1 if higher else 10.0)


def rubric(e: Evidence) -> tuple[str, str] | None:
    """The level a chained attack path gets (docs/scoring.md, "Attack-path rubric"), and why; None for
    evidence that names no target class (template rules are scored by their factors alone)."""
    if e.target_class is None:
        return None
    vector = bool(e.weaknesses) or bool(e.vulnerabilities) or (e.max_cvss or 0.0) > 0 or e.kev
    severe = e.kev or e.rce or e.critical or e.target_class == "crown-jewel"
    admin = e.target_class == "admin"
    if e.exposure in ("internet", "lateral", "public"):
        if vector and severe:
            return "critical", "internet-exposed entry with a weakness or vulnerability, KEV/RCE or a crown jewel"
        if vector:
            return "high", "internet-exposed entry with a visible weakness or known vulnerability"
        if admin:
            return "high", "the entry's identity can become account admin (compromise assumed)"
        return "medium", "internet-exposed entry, no weakness or vulnerability seen (compromise assumed)"
    if admin:
        return "high", "a principal that can become account admin"
    if e.exposure == "identity":
        return ("high" if severe else "medium"), "a principal with usable credentials reaches the target"
    if e.exposure == "external":
        return ("high" if severe else "medium"), "a principal outside the loaded accounts reaches the target"
    if e.exposure == "compromised":
        return ("high" if severe else "medium"), "an asset assumed compromised reaches the target"
    return "low", "reached only from inside the estate (compromise assumed)"


def score(evidence: Evidence | dict, severity: str, hops: int, weights: dict | None = None) -> dict:
    """{score, level, factors: [{factor, value, contribution, explanation}], risk_factors}."""
    e = evidence if isinstance(evidence, Evidence) else validate(evidence)
    w = weights or load_weights()
    factors = []
    risk: set[str] = set()

    factors.append(_factor("severity", severity, w["severity"].get(severity, 0.0), "base severity of the rule"))

    exposure = e.exposure
    factors.append(_factor("exposure", exposure, w["exposure"].get(exposure, 0.0),
                           {"public": "anyone on the internet can access it anonymously",
                            "internet": "the entry point is reachable from the internet",
                            "compromised": "the entry is assumed to be in the attacker's hands",
                            "lateral": "reachable by lateral movement from an internet-exposed workload",
                            "identity": "a principal whose credentials work from anywhere",
                            "external": "a principal outside the loaded accounts that a policy admits",
                            "internal": "reachable only inside the estate"}.get(exposure, "no exposure")))
    if exposure == "internet":
        risk.add("internet-exposure")
    if exposure == "public":
        risk.update({"internet-exposure", "public-access"})
    if exposure == "lateral":
        risk.update({"internet-exposure", "lateral-movement"})

    we = w["exploitability"]
    cvss, epss = _num(e.max_cvss), _num(e.epss)
    kev, rce = e.kev, e.rce
    weaknesses = e.weaknesses
    raw = (cvss * we["cvss_per_point"] + epss * we["epss"] + (we["kev"] if kev else 0) + (we["rce"] if rce else 0)
           + we["weakness"] * len(weaknesses))
    parts = ([f"CVSS {cvss:g}"] if cvss else []) + ([f"EPSS {epss:g}"] if epss else []) + (["KEV"] if kev else []) \
        + (["RCE"] if rce else []) + weaknesses
    factors.append(_factor("exploitability", {"max_cvss": cvss, "epss": epss, "kev": kev, "rce": rce,
                                              "weaknesses": weaknesses},
                           min(raw, we["max"]), ", ".join(parts) or "no known vulnerability or weakness"))
    if {"password-auth", "shared-key"} & set(weaknesses):
        risk.add("basic-auth")
    if cvss or e.vulnerabilities:
        risk.add("vulnerability")
    if cvss >= 9.0:
        risk.add("critical-vulnerability")
    if kev:
        risk.add("exploited-vulnerability")
    if rce:
        risk.add("rce")

    privilege = e.privilege
    factors.append(_factor("privilege", privilege, w["privilege"].get(privilege, 0.0),
                           f"the path grants {privilege} access" if privilege != "none" else "no privilege gained"))
    if privilege == "admin":
        risk.add("privileged-identity")

    ws = w["sensitivity"]
    categories = sorted(set(e.sensitivity))
    critical = e.critical or e.target_class == "crown-jewel"
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
    ruled = rubric(e)
    if ruled:   # a chained path: the rubric sets the level, the factors place it inside the level's band
        level, why = ruled
        low, high = _band(level, w)
        placed = round(min(max(total, low), high), 1)
        factors.append(_factor("rubric", level, placed - total, why))
        total = placed
    if e.target_class == "admin":
        risk.add("privileged-identity")
    return {"score": total, "level": level_for(total, w), "factors": factors, "risk_factors": sorted(risk)}
