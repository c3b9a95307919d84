"""`cloudmap demo`: start Neo4j if needed, load the demo estate, analyse, print the ranked findings."""

from __future__ import annotations

import os
from functools import partial

import typer
from rich import box
from rich.table import Table
from rich.text import Text

from cloudmap.cli.common import LEVEL_STYLES, console, fail, info, open_graph
from cloudmap.config import config_path, settings
from cloudmap.cypher.browser import guide_base

TABLE_WIDTH = 100  # the findings table never grows wider, whatever the terminal
NEXT_QUERIES = (
    ("payments-web's attack path", ("MATCH p = (:Internet)-[:CAN_REACH]->(:VirtualMachine {name: 'payments-web'})"
                                    "-[:CAN_AUTHENTICATE_AS]->(:Identity)-[:CAN_ACCESS]->(:DataStore)"
                                    "-[:STORES]->(:SensitiveInfoType) RETURN p")),
    ("lateral movement", "MATCH p = (:Internet)-[:CAN_REACH]->(:Asset)-[:CAN_CONNECT_TO]->(:Asset) RETURN p"),
    ("privilege escalation", "MATCH p = (:Identity)-[:CAN_ESCALATE_TO]->(:Identity) RETURN p"),
)


def demo(top: int = typer.Option(10, "--top", min=1, max=500, help="how many findings to print"),
         force: bool = typer.Option(False, "--force", help="load even if the graph holds other accounts' data"),
         small: bool = typer.Option(False, "--small", help="leave out the hundreds of background assets"),
         verbose: bool = typer.Option(False, "--verbose", "-v", help="print every step's progress: each AWS "
                                      "scope, each derivation, each rule's match count")) -> None:
    """Load a demo estate (two AWS accounts in moto, an Azure subscription, Trivy, KEV/EPSS and a
    classification file), derive attack paths and print the ranked findings.

    Starts the local Neo4j unless NEO4J_URI is set. Refuses a graph holding non-demo accounts unless --force.
    Example: cloudmap demo --top 15 --verbose
    """
    from cloudmap.cli.db import start_local
    from cloudmap.cli.progress import step
    from cloudmap.demo.run import DemoError, run_demo, seed_cases
    from cloudmap.findings.query import list_findings
    from cloudmap.rules import load_rules

    cfg = settings()
    if not cfg.external:
        cfg = start_local(cfg)
    with open_graph(cfg) as graph:
        try:
            result = run_demo(graph, steps=partial(step, verbose=verbose), force=force, small=small)
        except DemoError as exc:
            fail(str(exc))
        findings, _ = list_findings(graph, limit=top, view="summary")
        seeds = seed_cases(graph)
    for note in result.notes:
        info(f"Note: {note}")
    by_level = result.analysis["findings"]["by_level"]
    info(f"Done in {result.timings['total']:.0f} s: " + ", ".join(f"{n} {lvl}" for lvl, n in by_level.items()))
    rules, _ = load_rules([cfg.user_rules_dir] if cfg.user_rules_dir else [])
    width = min(console.width, TABLE_WIDTH)
    console.print(findings_table(findings, {r.id: r.label for r in rules}, width), width=width)
    _seed_cases(seeds)
    _next_steps(cfg)


def level_text(level: str) -> Text:
    return Text(level, style=LEVEL_STYLES.get(level, ""))


def findings_table(findings: list[dict], labels: dict[str, str], width: int) -> Table:
    """One line per finding within ``width`` columns: a rule's short title, names cut with an ellipsis
    rather than wrapped."""
    rows = [(Text.assemble(level_text(f["level"]), f" {f['score']:.1f}"), Text(labels.get(f["rule_id"], f["title"])),
             Text(f["entry"]["name"] or ""), Text(f["target"]["name"] or "")) for f in findings]
    names = ("level", "finding", "entry", "target")
    widths = [max([len(name), *(row[i].cell_len for row in rows)]) for i, name in enumerate(names)]
    # Two spaces follow each column; when that is too wide, the names give way first, then the title.
    for shrinkable in ((2, 3), (1, 2, 3)):
        while sum(widths) + 2 * len(widths) > width and max(widths[i] for i in shrinkable) > 10:
            widths[max(shrinkable, key=lambda i: (widths[i], i))] -= 1
    table = Table(title=f"Top {len(findings)} findings", title_justify="left", box=box.SIMPLE_HEAD,
                  padding=(0, 1, 0, 0), show_edge=False)
    for name, w in zip(names, widths, strict=True):
        table.add_column(name, width=w, no_wrap=True, overflow="ellipsis")
    for row in rows:
        table.add_row(*row)
    return table


def _seed_cases(seeds: list[dict]) -> None:
    console.print("\nThe seed cases, each with the command that shows its path:")
    for seed in seeds:
        f = seed["finding"]
        if f is None:
            console.print(f"  {seed['name']}: no open finding")
            continue
        console.print(Text.assemble(f"  {seed['name']} (", level_text(f["level"]), f" {f['score']:.1f}): {seed['story']}"))
        console.print(f"    cloudmap findings show {f['id']}")


def _next_steps(cfg) -> None:
    from cloudmap.db.manage import local_server

    if cfg.external:
        browser, creds = "your server's Neo4j Browser", f"the credentials you gave for {cfg.neo4j_uri}"
    else:
        browser = local_server(cfg).browser_url
        creds = ("user neo4j, the password in NEO4J_PASSWORD" if os.environ.get("NEO4J_PASSWORD")
                 else f"user {cfg.neo4j_user}, password saved in {config_path()} (neo4j_password)")
    console.print("\nWhere to look next:")
    console.print(f"  Neo4j Browser   {browser}  ({creds}, Bolt {cfg.bolt_uri})")
    console.print(f"  Guided tour     cloudmap browser guide   then in Browser  :play {guide_base()}/guide")
    console.print("  Style sheet     cloudmap browser style --path   (drag the file onto Browser)")
    console.print("  API             cloudmap serve   (OpenAPI docs at /api/v1/docs)")
    console.print("  Findings        cloudmap findings --format json")
    console.print("Queries to try in Browser:")
    for title, query in NEXT_QUERIES:
        console.print(f"  {title}:\n    {query}")


def register(app: typer.Typer) -> None:
    app.command("demo")(demo)
