"""The whole pipeline per estate size, stage by stage: ingest, derive, rules + findings.

    python -m bench.pipeline --assets 1000 10000 100000
    python -m bench.pipeline --assets 10000 --baseline-ref <git revision>

Each size starts from an empty database: the synthetic estate (bench/estate.py) is written through
the ingestion core, the engine derives its edges (`cloudmap.engine.derive`), and the analysis runs
every rule and writes findings (`run_analysis(derive=False)`, so rules are timed on their own).
Prints one JSON line per size, then the fitted growth exponent per stage (time ~ n^k: k close to 1
is linear; n log n shows as about 1.1 over these sizes).

With ``--compare-rules`` each size also evaluates (runs and scores, without writing) the template
rules alone and the whole rule set with the generic path rules, back to back on the same graph, and
reports ``rules_new_over_old`` with the ``PROFILE`` (rows, db hits) of each generic rule.

With ``--rules-only`` (and NEO4J_URI pointing at a graph a run left) the comparison runs on that graph
as it is, ``--passes`` times, with no wipe, ingest or derive:

    NEO4J_URI=bolt://127.0.0.1:7797 NEO4J_PASSWORD=... python -m bench.pipeline --rules-only --passes 3

With ``--baseline-ref`` each size also times the identity derivation (authenticate-as, access,
assume, escalation) of the engine as it was at that revision and of the current one, back to back on
the same graph after the full derive, and reports ``identity_new_over_old``.
"""

from __future__ import annotations

import argparse
import importlib
import json
import logging
import math
import os
import resource
import sys
import time

from bench.estate import Estate, units_for
from bench.ingest import core, wipe
from bench.server import bench_server, hwm_mb, require_existing, reset_hwm
from cloudmap.engine import derive
from cloudmap.findings.analysis import run_analysis
from cloudmap.graph.driver import connect
from cloudmap.graph.schema import apply_schema


def growth(points: list[tuple[int, float]]) -> float | None:
    """Least-squares slope of log(time) over log(size)."""
    pts = [(math.log(n), math.log(t)) for n, t in points if t > 0]
    if len(pts) < 2:
        return None
    mx = sum(x for x, _ in pts) / len(pts)
    my = sum(y for _, y in pts) / len(pts)
    den = sum((x - mx) ** 2 for x, _ in pts)
    return round(sum((x - mx) * (y - my) for x, y in pts) / den, 2) if den else None


def identity_ratio(graph, baseline_ref: str) -> dict:
    """The identity step of the engine at ``baseline_ref`` and of the current engine, on one graph."""
    from bench.baseline import engine_at
    from cloudmap.engine.identity import derive_identity
    from cloudmap.engine.writer import EdgeWriter

    old = engine_at(baseline_ref)
    old_identity = importlib.import_module(old.__name__ + ".identity")
    old_writer = importlib.import_module(old.__name__ + ".writer")
    t0 = time.perf_counter()
    old_identity.derive_identity(graph, old_writer.EdgeWriter(graph, "bench-baseline"))
    old_s = time.perf_counter() - t0
    t0 = time.perf_counter()
    derive_identity(graph, EdgeWriter(graph, "bench-current"))
    new_s = time.perf_counter() - t0
    return {"identity_old_s": round(old_s, 1), "identity_new_s": round(new_s, 1),
            "identity_new_over_old": round(new_s / old_s, 2) if old_s else None, "baseline_ref": baseline_ref}


def profile(graph, rule) -> dict:
    """Rows, db hits and time of one rule under PROFILE (the plan's totals)."""
    def hits(plan) -> int:
        return plan.get("dbHits", 0) + sum(hits(c) for c in plan.get("children", []))
    t0 = time.perf_counter()
    with graph.session(notifications_min_severity="OFF") as session:
        result = session.run("PROFILE " + rule.query, rule.params)
        rows = sum(1 for _ in result)
        plan = result.consume().profile or {}
    return {"rows": rows, "db_hits": hits(plan), "seconds": round(time.perf_counter() - t0, 2)}


def rules_ratio(graph) -> dict:
    """The template rules alone, then every rule (the generic path rules too), evaluated on one graph."""
    from cloudmap.findings.analysis import evaluate
    from cloudmap.rules import load_rules

    rules, _ = load_rules()
    old = [r for r in rules if not r.generic]
    t0 = time.perf_counter()
    old_rows = evaluate(graph, old)[0]
    old_s = time.perf_counter() - t0
    t0 = time.perf_counter()
    new_rows = evaluate(graph, rules)[0]
    new_s = time.perf_counter() - t0
    return {"rules_old_s": round(old_s, 1), "rules_new_s": round(new_s, 1),
            "rules_new_over_old": round(new_s / old_s, 2) if old_s else None,
            "findings_old": len(old_rows), "findings_new": len(new_rows),
            "profiles": {r.id: profile(graph, r) for r in rules if r.generic}}


def rules_only(passes: int) -> list[dict]:
    """The rules comparison on the graph at NEO4J_URI, as it is."""
    require_existing("--rules-only")
    out = []
    with bench_server() as (cfg, _):
        with connect(cfg) as graph:
            for _ in range(passes):
                rec = rules_ratio(graph)
                print(json.dumps(rec), flush=True)
                out.append(rec)
    return out


def stage(message: str) -> None:
    """A progress line on stderr as each stage ends (a long run that is stopped still says how far it got)."""
    print(f"{time.strftime('%H:%M:%S')} {message}", file=sys.stderr, flush=True)


def run(sizes: list[int], batch: int, baseline_ref: str | None = None, compare_rules: bool = False,
        accounts: list[int] | None = None, heap: str = "2g", pagecache: str = "1g") -> list[dict]:
    out = []
    with bench_server(heap, pagecache) as (cfg, server):
        graph = connect(cfg)
        apply_schema(graph)
        for i, assets in enumerate(sizes):
            wipe(graph)
            estate = Estate(units_for(assets), accounts=accounts[i] if accounts else None)
            ingest_s, rows = core(graph, estate, batch)
            stage(f"{estate.units * 125} assets: ingest {ingest_s:.1f} s, {rows} rows")
            reset_hwm()
            t0 = time.perf_counter()
            derived = derive(graph)
            derive_s = time.perf_counter() - t0
            engine_peak = hwm_mb(os.getpid())
            stage(f"{estate.units * 125} assets: derive {derive_s:.1f} s, engine peak {engine_peak:.0f} MB, "
                  + ", ".join(f"{st['name']} {st['seconds']} s" for st in derived["steps"]))
            t0 = time.perf_counter()
            summary = run_analysis(graph, derive=False)
            rules_s = time.perf_counter() - t0
            stage(f"{estate.units * 125} assets: rules + findings {rules_s:.1f} s")
            counts = graph.read("MATCH (n) WITH count(n) AS nodes CALL () { MATCH ()-[r]->() RETURN count(r) AS rels } "
                                "RETURN nodes, rels")[0]
            rec = {"assets": estate.units * 125, "accounts": estate.accounts,
                   "rows_ingested": rows, "ingest_s": round(ingest_s, 1),
                   "derive_s": round(derive_s, 1), "rules_findings_s": round(rules_s, 1),
                   "total_s": round(ingest_s + derive_s + rules_s, 1),
                   "derive_steps_s": {st["name"]: st["seconds"] for st in derived["steps"]},
                   "derived_edges": _derived_total(derived), "findings": _findings_total(summary),
                   "graph_nodes": counts["nodes"], "graph_rels": counts["rels"],
                   "engine_peak_rss_mb": round(engine_peak),
                   "loader_peak_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024),
                   "neo4j_peak_rss_mb": round(hwm_mb(server.running_pid())) if server else None}
            if baseline_ref:
                rec.update(identity_ratio(graph, baseline_ref))
            if compare_rules:
                rec.update(rules_ratio(graph))
            print(json.dumps(rec), flush=True)
            out.append(rec)
        graph.close()
    if len(out) > 1:
        fit = {stage: growth([(r["assets"], r[stage]) for r in out])
               for stage in ("ingest_s", "derive_s", "rules_findings_s", "total_s")}
        print(json.dumps({"growth_exponent": fit}), flush=True)
    return out


def _derived_total(summary: dict) -> int:
    return sum(e["written"] for e in summary.get("edges", {}).values())


def _findings_total(summary: dict) -> dict:
    return summary["findings"]["by_level"]


def main() -> None:
    logging.getLogger("neo4j").setLevel(logging.ERROR)
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--assets", type=int, nargs="+", default=[1000, 10_000, 100_000])
    ap.add_argument("--accounts", type=int, nargs="+",
                    help="accounts per size, one per --assets value (default: 2,500 assets per account)")
    ap.add_argument("--batch", type=int, default=2000)
    ap.add_argument("--heap", default="2g", help="the bench Neo4j server's heap (default 2g)")
    ap.add_argument("--pagecache", default="1g", help="the bench Neo4j server's page cache (default 1g)")
    ap.add_argument("--baseline-ref", help="also time the identity derivation of the engine at this git revision")
    ap.add_argument("--compare-rules", action="store_true",
                    help="also time the template rules alone against all rules with the generic path rules")
    ap.add_argument("--rules-only", action="store_true",
                    help="only the rules comparison, on the graph already at NEO4J_URI (no wipe, ingest or derive)")
    ap.add_argument("--passes", type=int, default=1, help="--rules-only: how many times to run the comparison")
    args = ap.parse_args()
    if args.rules_only:
        rules_only(args.passes)
        return
    if args.accounts and len(args.accounts) != len(args.assets):
        ap.error("--accounts takes one value per --assets value")
    run(args.assets, args.batch, args.baseline_ref, args.compare_rules, args.accounts, args.heap, args.pagecache)


if __name__ == "__main__":
    main()
