"""`cloudmap demo`: start Neo4j if needed, load the demo estate, analyse, print the ranked findings."""

from __future__ import annotations

import os

import typer

from cloudmap.cli.common import console, fail, info, open_graph, print_table
from cloudmap.config import config_path, settings
from cloudmap.cypher.browser import guide_base

NEXT_QUERIES = (
    ("the HIGH attack path", ("MATCH p = (:Internet)-[:CAN_REACH]->(:VirtualMachine {name: 'payments-web'})"
                              "-[:CAN_AUTHENTICATE_AS]->(:Identity)-[:CAN_ACCESS]->(:DataStore)"
                              "-[:STORES]->(:SensitiveInfoType) RETURN p")),
    ("lateral movement", "MATCH p = (:Internet)-[:CAN_REACH]->(:Asset)-[:CAN_CONNECT_TO]->(:Asset) RETURN p"),
    ("privilege escalation", "MATCH p = (:Identity)-[:CAN_ESCALATE_TO]->(:Identity) RETURN p"),
)


def demo(top: int = typer.Option(10, "--top", min=1, max=500, help="how many findings to print"),
         force: bool = typer.Option(False, "--force", help="load even if the graph holds other accounts' data"),
         small: bool = typer.Option(False, "--small", help="leave out the hundreds of background assets")) -> None:
    """Load a demo estate (two AWS accounts in moto, an Azure subscription, Trivy, KEV/EPSS and a
    classification file), derive attack paths and print the ranked findings.

    Starts the local Neo4j unless NEO4J_URI is set. Refuses a graph holding non-demo accounts unless --force.
    Example: cloudmap demo --top 15
    """
    from cloudmap.db import manage
    from cloudmap.demo.run import DemoError, run_demo
    from cloudmap.findings.query import list_findings

    cfg = settings()
    if not cfg.external:
        cfg = manage.start(cfg, echo=info)
    with open_graph(cfg) as graph:
        try:
            result = run_demo(graph, echo=info, force=force, small=small)
        except DemoError as exc:
            fail(str(exc))
        findings, _ = list_findings(graph, limit=top)
    by_level = result.analysis.get("findings", {}).get("by_level", {})
    info(f"Done in {result.timings['total']:.0f} s: " + ", ".join(f"{n} {lvl}" for lvl, n in by_level.items()))
    rows = [{"#": i, "level": f["level"], "score": f["score"], "finding": f["title"],
             "entry": f["entry"]["name"], "target": f["target"]["name"]} for i, f in enumerate(findings, 1)]
    print_table(rows, ["#", "level", "score", "finding", "entry", "target"], title=f"Top {len(rows)} findings")
    _next_steps(cfg)


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
