"""`cloudmap rules list | show ID | check`: the rule library and user rules."""

from __future__ import annotations

from pathlib import Path

import typer

from cloudmap.cli.common import EXIT_ERROR, EXIT_USAGE, Format, console, fail, info, open_graph, print_json, print_table
from cloudmap.config import settings
from cloudmap.rules import load_rules

app = typer.Typer(no_args_is_help=True, help="Risk rules: Cypher files with a YAML header (cypher/rules/).\n\n"
                                             "Example: cloudmap rules show CM-VM-001")

RULES_DIR = typer.Option(None, "--rules-dir", help="extra directory of *.cypher rules (default: CLOUDMAP_RULES_DIR)",
                         file_okay=False)


def _load(rules_dir: Path | None):
    extra = rules_dir or settings().user_rules_dir
    rules, problems = load_rules([extra] if extra else [])
    for p in problems:
        info(f"rule skipped: {p}")
    return rules, problems


@app.command("list")
def list_rules(rules_dir: Path = RULES_DIR, fmt: Format = typer.Option(Format.table, "--format")) -> None:
    """List the rules (built-in and user), with problems of malformed files on stderr.

    Example: cloudmap rules list --rules-dir ./my-rules
    """
    rules, _ = _load(rules_dir)
    rows = [r.summary() for r in rules]
    if fmt == Format.json:
        print_json(rows)
    else:
        print_table([{**r, "risk_factors": ", ".join(r["risk_factors"]), "source": "built-in" if r["builtin"] else
                      r["file"]} for r in rows], ["id", "severity", "title", "risk_factors", "source"])


@app.command()
def show(rule_id: str, rules_dir: Path = RULES_DIR, fmt: Format = typer.Option(Format.table, "--format")) -> None:
    """Show one rule: metadata, parameters and its Cypher (paste it into Neo4j Browser with :param).

    Example: cloudmap rules show CM-VM-003
    """
    rules, _ = _load(rules_dir)
    rule = next((r for r in rules if r.id == rule_id.upper()), None)
    if rule is None:
        fail(f"no rule {rule_id!r}; see `cloudmap rules list`")
    if fmt == Format.json:
        print_json(rule.as_dict())
        return
    console.print(f"{rule.id}  {rule.title}  [{rule.severity}]", markup=False)
    console.print(rule.description, markup=False)
    console.print(f"Risk factors: {', '.join(rule.risk_factors)}   ATT&CK: {', '.join(rule.attack)}", markup=False)
    console.print(f"Remediation: {rule.remediation}", markup=False)
    for key, value in rule.params.items():
        console.print(f":param {key} => {value!r}", markup=False)
    console.print(f"File: {rule.file}\n\n{rule.query}", markup=False)


@app.command()
def check(rules_dir: Path = RULES_DIR) -> None:
    """Check every rule against Neo4j (EXPLAIN): syntax, read-only, returned columns. Exit 1 on problems.

    Example: cloudmap rules check --rules-dir ./my-rules
    """
    from cloudmap.rules.runner import check_rule

    rules, problems = _load(rules_dir)
    with open_graph() as graph:
        for rule in rules:
            problem = check_rule(graph, rule)
            if problem:
                info(f"rule skipped: {problem}")
                problems.append(problem)
    info(f"{len(rules)} rule(s), {len(problems)} problem(s)")
    if problems:
        raise typer.Exit(EXIT_ERROR)


def typed_params(rule, pairs: list[str]) -> dict:
    """--param name=value pairs as the types of the rule's declared defaults (a list takes
    comma-separated values); a name the rule does not declare is a usage error."""
    from cloudmap.cli.hunt import parse_params

    out = {}
    for name, text in parse_params(pairs).items():
        if name not in rule.params:
            fail(f"--param {name}: {rule.id} has no such parameter (it has: {', '.join(rule.params) or 'none'})",
                 EXIT_USAGE)
        default = rule.params[name]
        try:
            if isinstance(default, bool):
                if text.lower() not in ("true", "false"):
                    raise ValueError("expected true or false")
                out[name] = text.lower() == "true"
            elif isinstance(default, (int, float)):
                out[name] = type(default)(text)
            elif isinstance(default, list):
                out[name] = [v.strip() for v in text.split(",") if v.strip()]
            else:
                out[name] = text
        except ValueError as exc:
            fail(f"--param {name}={text!r}: {exc} ({rule.id} declares {default!r})", EXIT_USAGE)
    return out


@app.command()
def run(rule_id: str,
        param: list[str] = typer.Option(None, "--param", "-p", help="name=value (repeatable); a list parameter "
                                        "takes comma-separated values"),
        rules_dir: Path = RULES_DIR, fmt: Format = typer.Option(Format.table, "--format")) -> None:
    """Run one rule now with its parameters and print its matches, scored, best first. Nothing is written:
    `cloudmap analyze` keeps the findings.

    Example: cloudmap rules run CM-PATH-006 --param compromised=arn:aws:ec2:eu-west-1:111122223333:instance/i-0abc
    """
    from neo4j.exceptions import Neo4jError

    from cloudmap.rules.runner import EvidenceProblem, check_rule, run_rule
    from cloudmap.rules.scoring import score

    rules, _ = _load(rules_dir)
    rule = next((r for r in rules if r.id == rule_id.upper()), None)
    if rule is None:
        fail(f"no rule {rule_id!r}; see `cloudmap rules list`", EXIT_USAGE)
    values = typed_params(rule, param)
    with open_graph() as graph:
        problem = check_rule(graph, rule)
        if problem:
            fail(f"rule skipped: {problem}")
        try:
            matches = run_rule(graph, rule, values)
        except EvidenceProblem as exc:
            fail(str(exc.problem))
        except Neo4jError as exc:
            fail(f"{rule.id}: failed to run: {exc.message}")
    rows = []
    for m in matches:
        scored = score(m.evidence, rule.severity, m.hops)
        rows.append({"entry": m.entry["id"], "target": m.target["id"], "level": scored["level"],
                     "score": scored["score"], "hops": m.hops, "other_paths": m.other_paths,
                     "moves": [r["type"] for r in m.relationships], "path": [n["name"] for n in m.nodes],
                     "evidence": m.evidence.stored()})
    rows.sort(key=lambda r: (-r["score"], r["hops"], r["entry"], r["target"]))
    if fmt == Format.json:
        print_json(rows)
        return
    print_table([{**r, "path": " → ".join(r["path"])} for r in rows], ["level", "score", "hops", "entry", "target", "path"])
    info(f"{len(rows)} match(es) of {rule.id}")


def register(root: typer.Typer) -> None:
    root.add_typer(app, name="rules")
