"""Generate docs/rules.md from the rule headers: ``python -m cloudmap.rules.catalogue``.

A test fails when the catalogue is stale, so the docs always match the rules that ship."""

from __future__ import annotations

import sys
from pathlib import Path

from cloudmap.rules.loader import Rule, load_rules

ROOT = Path(__file__).resolve().parents[2]
DOC = ROOT / "docs" / "rules.md"
# Measured bounds and PROFILE figures of the generic path rules (hand-written from bench.pipeline runs).
PROFILES = ROOT / "docs" / "path-rule-profiles.md"


def _cell(text: str) -> str:
    return " ".join(str(text).split()).replace("|", "\\|")


def render(rules: list[Rule]) -> str:
    out = ["# Rule catalogue", "",
           ("Generated from the headers of `cypher/rules/*.cypher` by `python -m cloudmap.rules.catalogue`; "
           "do not edit by hand. Scoring and the rule file format are explained in [scoring.md](scoring.md)."), "",
           f"{len(rules)} rules.", "", "| id | title | severity | risk factors | ATT&CK |", "|---|---|---|---|---|"]
    for r in rules:
        out.append(f"| [{r.id}](#{r.id.lower()}) | {_cell(r.title)} | {r.severity} | {', '.join(r.risk_factors)} | "
                   f"{', '.join(r.attack)} |")
    generic = [r.id for r in rules if r.generic]
    if generic and PROFILES.exists():
        out += ["", "## Generic path rules: what bounds them", "",
                f"{', '.join(generic)} chain moves from an entry to a target (docs/scoring.md, attack-path rubric).",
                "", PROFILES.read_text().strip()]
    for r in rules:
        out += ["", f"## {r.id}", "", f"**{_cell(r.title)}** — base severity {r.severity}", "",
                _cell(r.description), "", f"*Remediation:* {_cell(r.remediation)}", ""]
        if r.params:
            out.append("*Parameters:* " + ", ".join(f"`{k}` = `{v}`" for k, v in r.params.items()))
            out.append("")
        out.append(f"*Risk factors:* {', '.join(r.risk_factors)}; *ATT&CK:* {', '.join(r.attack) or '-'}"
                   + ("; *generic path rule*" if r.generic else ""))
        if r.references:
            out += ["", "*References:* " + ", ".join(f"<{ref}>" for ref in r.references)]
        out += ["", f"Source: `cypher/rules/{Path(r.file).name}`"]
    return "\n".join(out) + "\n"


def main() -> int:
    rules, problems = load_rules()
    for p in problems:
        print(p, file=sys.stderr)
    DOC.write_text(render(rules))
    print(f"wrote {DOC} ({len(rules)} rules)")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
