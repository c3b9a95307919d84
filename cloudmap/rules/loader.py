"""Reading rule files: a header of ``//`` lines holding YAML, then one Cypher query.

Nothing here needs a database; what only Neo4j can tell (syntax, read-only, columns) is checked by
:func:`cloudmap.rules.runner.check_rule`. A bad file becomes a :class:`RuleProblem` naming file and
line, never an exception, so one broken user rule cannot stop an analysis."""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import Any

import yaml

LEVELS = ("critical", "high", "medium", "low")
RISK_FACTORS = ("internet-exposure", "lateral-movement", "vulnerability", "critical-vulnerability",
                "exploited-vulnerability", "rce", "privileged-identity", "privilege-escalation",
                "sensitive-data", "critical-asset", "public-access", "basic-auth", "credential-exposure")
REQUIRED = ("id", "title", "description", "severity", "risk_factors", "remediation")
OPTIONAL = ("short_title", "params", "attack", "references", "generic")
SHORT_TITLE_MAX = 34  # what a findings table at 80 columns has room for
ID_PATTERN = re.compile(r"^[A-Z][A-Z0-9]*(-[A-Z0-9]+)+$")
ATTACK_PATTERN = re.compile(r"^T\d{4}(\.\d{3})?$")
COLUMNS = ("path", "entry", "target", "evidence")


@dataclass(frozen=True)
class RuleProblem:
    file: str
    line: int
    message: str

    def __str__(self) -> str:
        return f"{self.file}:{self.line}: {self.message}"


@dataclass(frozen=True)
class Rule:
    id: str
    title: str
    description: str
    severity: str
    risk_factors: tuple[str, ...]
    remediation: str
    query: str
    file: str
    body_line: int                      # line of the file where the query starts (for error positions)
    params: dict[str, Any] = field(default_factory=dict)
    attack: tuple[str, ...] = ()
    references: tuple[str, ...] = ()
    builtin: bool = True
    generic: bool = False               # a chained-path rule: defers to a template rule on the same (entry, target)
    short_title: str = ""               # for narrow tables; the title when not given

    @property
    def label(self) -> str:
        return self.short_title or self.title

    def summary(self) -> dict:
        return {"id": self.id, "title": self.title, "severity": self.severity,
                "risk_factors": list(self.risk_factors), "attack": list(self.attack), "file": self.file,
                "builtin": self.builtin, "generic": self.generic}

    def as_dict(self) -> dict:
        return {**self.summary(), "description": self.description, "params": dict(self.params),
                "remediation": self.remediation, "references": list(self.references), "query": self.query}


def builtin_rules_dir() -> Path:
    return Path(str(resources.files("cloudmap.cypher").joinpath("rules")))


def _as_list(value: Any) -> list | None:
    if value is None:
        return []
    if isinstance(value, str):
        return [value]
    return value if isinstance(value, list) else None


def parse_rule(path: Path, builtin: bool = False) -> Rule | RuleProblem:
    """One rule file, or the first problem found in it (with the file's line number)."""
    name = str(path)
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        return RuleProblem(name, 1, f"cannot read: {exc}")
    lines = text.splitlines()
    header: list[str] = []
    first_header = None
    i = 0
    while i < len(lines) and (lines[i].lstrip().startswith("//") or (first_header is None and not lines[i].strip())):
        stripped = lines[i].lstrip()
        if stripped.startswith("//"):
            first_header = i if first_header is None else first_header
            content = stripped[2:]
            header.append(content.removeprefix(" "))
        i += 1
    while i < len(lines) and not lines[i].strip():
        i += 1
    body_line = i + 1
    query = "\n".join(lines[i:]).strip().rstrip(";").rstrip()
    offset = (first_header or 0) + 1            # header line k (0-based) is file line k + offset
    if not header:
        return RuleProblem(name, 1, "no header: the file must start with `//` lines holding YAML (id, title, ...)")
    try:
        meta = yaml.safe_load("\n".join(header))
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        line = mark.line + offset if mark else offset
        problem = getattr(exc, "problem", None) or str(exc).splitlines()[0]
        return RuleProblem(name, line, f"header is not valid YAML: {problem}")
    if not isinstance(meta, dict):
        return RuleProblem(name, offset, "header must be a YAML mapping (id: ..., title: ...)")

    def line_of(key: str) -> int:
        for n, h in enumerate(header):
            if h.startswith(f"{key}:"):
                return n + offset
        return offset

    missing = [k for k in REQUIRED if not meta.get(k)]
    if missing:
        return RuleProblem(name, offset, f"header lacks required field(s): {', '.join(missing)}")
    unknown = sorted(set(meta) - set(REQUIRED) - set(OPTIONAL))
    if unknown:
        return RuleProblem(name, line_of(unknown[0]), f"unknown header field(s): {', '.join(unknown)}")
    rid = str(meta["id"])
    if not ID_PATTERN.match(rid):
        return RuleProblem(name, line_of("id"), f"id {rid!r} must look like CM-VM-001")
    severity = str(meta["severity"]).lower()
    if severity not in LEVELS:
        return RuleProblem(name, line_of("severity"), f"severity {meta['severity']!r} is not one of {', '.join(LEVELS)}")
    factors = _as_list(meta["risk_factors"])
    if factors is None or not all(isinstance(f, str) for f in factors):
        return RuleProblem(name, line_of("risk_factors"), "risk_factors must be a list of names")
    bad = [f for f in factors if f not in RISK_FACTORS]
    if bad:
        return RuleProblem(name, line_of("risk_factors"), f"unknown risk factor(s) {', '.join(bad)}; "
                                                         f"use: {', '.join(RISK_FACTORS)}")
    params = meta.get("params") or {}
    if not isinstance(params, dict) or not all(isinstance(k, str) for k in params):
        return RuleProblem(name, line_of("params"), "params must be a mapping of name: default")
    attack = _as_list(meta.get("attack"))
    if attack is None or not all(isinstance(a, str) and ATTACK_PATTERN.match(a) for a in attack):
        return RuleProblem(name, line_of("attack"), "attack must list MITRE ATT&CK technique ids like T1190")
    refs = _as_list(meta.get("references"))
    if refs is None:
        return RuleProblem(name, line_of("references"), "references must be a list of URLs")
    generic = meta.get("generic", False)
    if not isinstance(generic, bool):
        return RuleProblem(name, line_of("generic"), "generic must be true or false")
    short_title = str(meta.get("short_title") or "").strip()
    if len(short_title) > SHORT_TITLE_MAX:
        return RuleProblem(name, line_of("short_title"), f"short_title has {len(short_title)} characters; "
                                                         f"keep it to {SHORT_TITLE_MAX}")
    if not query:
        return RuleProblem(name, body_line, "no query after the header")
    if re.search(r";\s*\S", query):
        return RuleProblem(name, body_line, "one query per rule file (found a `;` between statements)")
    return Rule(id=rid, title=str(meta["title"]).strip(), description=str(meta["description"]).strip(),
                severity=severity, risk_factors=tuple(factors), remediation=str(meta["remediation"]).strip(),
                query=query, file=name, body_line=body_line, params=params, attack=tuple(attack),
                references=tuple(str(r) for r in refs), builtin=builtin, generic=generic,
                short_title=short_title)


def load_rules(extra_dirs: Iterable[str | Path] = ()) -> tuple[list[Rule], list[RuleProblem]]:
    """Every rule in ``cypher/rules/`` and in ``extra_dirs`` (``*.cypher``, sorted by id).

    Malformed files and duplicate ids come back as problems and are skipped."""
    rules: dict[str, Rule] = {}
    problems: list[RuleProblem] = []
    sources = [(builtin_rules_dir(), True)] + [(Path(d).expanduser(), False) for d in extra_dirs if d]
    for directory, builtin in sources:
        if not directory.is_dir():
            problems.append(RuleProblem(str(directory), 0, "rules directory does not exist"))
            continue
        for path in sorted(directory.glob("*.cypher")):
            parsed = parse_rule(path, builtin=builtin)
            if isinstance(parsed, RuleProblem):
                problems.append(parsed)
            elif parsed.id in rules:
                problems.append(RuleProblem(str(path), 1, f"duplicate rule id {parsed.id} "
                                                          f"(already defined in {rules[parsed.id].file})"))
            else:
                rules[parsed.id] = parsed
    return sorted(rules.values(), key=lambda r: r.id), problems
