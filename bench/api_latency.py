"""API latency and throughput under concurrent load, through the real `cloudmap serve` on loopback.

    python -m bench.api_latency --assets 1000 --threads 1 8 --requests 100
    python -m bench.api_latency --assets 10000 --threads 1 8 --workers 1 2 --requests 100 --first-page-only
    NEO4J_URI=bolt://… NEO4J_PASSWORD=… python -m bench.api_latency --existing --threads 1 8 --first-page-only

Loads the synthetic estate of bench/estate.py through the ingestion core and runs the analysis (derive,
rules, findings), or with ``--existing`` measures the analysed graph NEO4J_URI points to as it is; starts `cloudmap serve` in a subprocess on a free 127.0.0.1 port with a fresh
reader API key, and for each scenario sends threads x requests requests (each thread its own
keep-alive connection), printing one JSON line per scenario: p50/p95/p99 latency, throughput,
errors. The last line has the peak RSS of the API server and of Neo4j (local server only).

Servers: first the uncached path as the baseline (one worker, ``CLOUDMAP_PAGE_CACHE_SIZE=0``, what
the API did before first pages were cached), then one server per ``--workers`` count with the cache
on; every server is measured at every ``--threads`` count, and a markdown table closes the run.

Scenarios: the first findings page (`GET /findings?limit=50`, summaries), the same page with
`view=full` (paths, factors, remediation), a later page (the cursor reached by following `--page`
pages), and a saved query (`POST /queries/<id>/run`).
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import httpx

from bench.estate import Estate, units_for
from bench.server import bench_server, hwm_mb, require_existing
from cloudmap.db.server import free_port
from cloudmap.findings.analysis import run_analysis
from cloudmap.graph.driver import connect
from cloudmap.graph.ingest import Sync
from cloudmap.graph.model import NodeKind
from cloudmap.graph.schema import apply_schema
from cloudmap.services.apikeys import create_key
from cloudmap.services.authstore import AuthStore

MAX_SCENARIO_S = 300  # a scenario stops sending after this long, whatever is left


def load_estate(graph, assets: int) -> dict:
    estate = Estate(units_for(assets))
    t0 = time.perf_counter()
    with Sync(graph, "aws", "bench estate", batch_size=2000) as sync, sync.scope("aws/bench/eu-west-1/estate") as sc:
        for stream in estate.streams():
            (sc.nodes if isinstance(stream.kind, NodeKind) else sc.rels)(stream.kind, stream.rows)
    load_s = time.perf_counter() - t0
    t0 = time.perf_counter()
    summary = run_analysis(graph)
    return {"assets": estate.units * 125, "rows_written": sum(sync.counts.values()), "load_s": round(load_s, 1),
            "analysis_s": round(time.perf_counter() - t0, 1), "open_findings": summary["findings"]["open"],
            "by_level": summary["findings"]["by_level"]}


def start_server(cfg, port: int, config_dir: str, workers: int = 1, cache: bool = True) -> subprocess.Popen:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("NEO4J_", "CLOUDMAP_"))}
    env.update(NEO4J_URI=cfg.neo4j_uri, NEO4J_USER=cfg.neo4j_user, NEO4J_PASSWORD=cfg.neo4j_password.get_secret_value(),
               NEO4J_DATABASE=cfg.neo4j_database, CLOUDMAP_CONFIG=str(Path(config_dir) / "config.toml"),
               CLOUDMAP_AUTH_DB=str(Path(config_dir) / "auth.sqlite3"))
    if not cache:
        env["CLOUDMAP_PAGE_CACHE_SIZE"] = "0"
    log = open(Path(config_dir) / f"serve-{port}.log", "w")  # noqa: SIM115 - closed with the process's end
    return subprocess.Popen([sys.executable, "-m", "cloudmap", "serve", "--host", "127.0.0.1", "--port", str(port),
                             "--workers", str(workers)], env=env, stdout=subprocess.DEVNULL, stderr=log, text=True)


def wait_ready(base: str, proc: subprocess.Popen, timeout_s: float = 120) -> None:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise SystemExit(f"cloudmap serve exited with {proc.returncode} (see {proc.stderr.name})")
        try:
            if httpx.get(f"{base}/health", timeout=2).status_code == 200:
                return
        except httpx.TransportError:
            pass
        time.sleep(0.3)
    raise SystemExit(f"cloudmap serve did not answer {base}/health within {timeout_s:.0f} s")


def later_cursor(client: httpx.Client, pages: int) -> tuple[str | None, int]:
    """The cursor after following ``pages`` pages of 50 (or the last one there is) and its page number."""
    cursor, reached = None, 1
    for _ in range(pages - 1):
        body = client.get("/findings", params={"limit": 50, **({"cursor": cursor} if cursor else {})}).json()
        if not body["next_cursor"]:
            break
        cursor, reached = body["next_cursor"], reached + 1
    return cursor, reached


def load(base: str, headers: dict, send, threads: int, requests: int) -> dict:
    """``threads`` threads each send ``requests`` requests with ``send(client)``; latencies of 2xx answers."""
    latencies: list[float] = []
    errors: dict[str, int] = {}
    lock = threading.Lock()
    deadline = time.monotonic() + MAX_SCENARIO_S

    def worker():
        mine, bad = [], {}
        with httpx.Client(base_url=base, headers=headers, timeout=60) as client:
            for _ in range(requests):
                if time.monotonic() > deadline:
                    break
                t0 = time.perf_counter()
                try:
                    status = send(client).status_code
                except httpx.HTTPError as exc:
                    status = type(exc).__name__
                if isinstance(status, int) and status < 300:
                    mine.append(time.perf_counter() - t0)
                else:
                    bad[str(status)] = bad.get(str(status), 0) + 1
        with lock:
            latencies.extend(mine)
            for k, v in bad.items():
                errors[k] = errors.get(k, 0) + v

    pool = [threading.Thread(target=worker) for _ in range(threads)]
    t0 = time.perf_counter()
    for t in pool:
        t.start()
    for t in pool:
        t.join()
    wall = time.perf_counter() - t0
    return {"requests": len(latencies) + sum(errors.values()), "ok": len(latencies), "errors": errors,
            "wall_s": round(wall, 2), "throughput_rps": round(len(latencies) / wall, 1), **percentiles(latencies)}


def percentiles(latencies: list[float]) -> dict:
    if len(latencies) < 2:
        return {"p50_ms": None, "p95_ms": None, "p99_ms": None, "max_ms": None}
    cuts = statistics.quantiles(latencies, n=100, method="inclusive")
    return {"p50_ms": round(cuts[49] * 1000, 1), "p95_ms": round(cuts[94] * 1000, 1),
            "p99_ms": round(cuts[98] * 1000, 1), "max_ms": round(max(latencies) * 1000, 1)}


def stop(proc: subprocess.Popen) -> None:
    proc.terminate()
    try:
        proc.wait(timeout=30)
    except subprocess.TimeoutExpired:
        proc.kill()


def measure(base: str, headers: dict, scenarios: dict, threads: list[int], requests: int, assets: int,
            server: str) -> list[dict]:
    out = []
    for n_threads in threads:
        for name, send in scenarios.items():
            with httpx.Client(base_url=base, headers=headers, timeout=60) as warm:
                body = send(warm).raise_for_status().json()  # warm-up; a broken scenario stops here
            rec = load(base, headers, send, n_threads, requests)
            size = len(body["items"]) if "items" in body else body["row_count"]
            rec = {"server": server, "scenario": name, "assets": assets, "threads": n_threads, "result_rows": size,
                   **rec}
            print(json.dumps(rec), flush=True)
            out.append(rec)
    return out


def table(records: list[dict]) -> str:
    lines = ["| server | request | clients | p50 | p95 | p99 | req/s |", "|---|---|---|---|---|---|---|"]
    lines += [f"| {r['server']} | {r['scenario']} | {r['threads']} | {r['p50_ms']} ms | {r['p95_ms']} ms | "
              f"{r['p99_ms']} ms | {r['throughput_rps']} |" for r in records]
    return "\n".join(lines)


def prepare_estate(graph, cfg, assets: int, wipe: bool, existing: bool) -> int:
    """The graph to measure, and its number of assets: the analysed graph as it is (``existing``), else the
    synthetic estate loaded and analysed into an empty (or, with ``wipe``, emptied) database."""
    if existing:
        found = graph.read("MATCH (a:Asset) WITH count(a) AS assets "
                           "CALL () { MATCH (f:Finding {status: 'open'}) RETURN count(f) AS open } "
                           "RETURN assets, open")[0]
        if not found["open"]:
            raise SystemExit(f"{cfg.neo4j_uri} holds no open findings: run `cloudmap analyze` on it first")
        print(json.dumps({"phase": "estate", "existing": True, "assets": found["assets"],
                          "open_findings": found["open"]}), flush=True)
        return found["assets"]
    if graph.read("MATCH (n) WHERE NOT n:SchemaVersion RETURN count(n) > 0 AS used")[0]["used"]:
        if not wipe:
            raise SystemExit(f"{cfg.neo4j_uri} already holds a graph; pass --wipe to empty it first")
        graph.run_autocommit("MATCH (n) WHERE NOT n:SchemaVersion "
                             "CALL (n) { DETACH DELETE n } IN TRANSACTIONS OF 10000 ROWS")
    print(json.dumps({"phase": "estate", **load_estate(graph, assets)}), flush=True)
    return assets


def run(assets: int, threads: list[int], requests: int, page: int, query_id: str, wipe: bool,
        workers: list[int], first_page_only: bool, existing: bool = False) -> None:
    if existing:
        require_existing("--existing")
    with bench_server() as (cfg, server), tempfile.TemporaryDirectory(prefix="cloudmap-apibench-") as tmp:
        graph = connect(cfg)
        try:
            apply_schema(graph)
            assets = prepare_estate(graph, cfg, assets, wipe, existing)
            measure_servers(cfg, server, tmp, assets, threads, requests, page, query_id, workers, first_page_only)
        finally:
            graph.close()


def measure_servers(cfg, server, tmp: str, assets: int, threads: list[int], requests: int, page: int,
                    query_id: str, workers: list[int], first_page_only: bool) -> None:
    """The baseline server, then the cached ones, each measured under every client count; prints the table."""
    _, token = create_key(AuthStore(Path(tmp) / "auth.sqlite3"), "api latency bench", "reader")
    headers = {"Authorization": f"Bearer {token}"}
    servers = [("1 worker, uncached (baseline)", 1, False)] + [
        (f"{n} worker{'s' if n > 1 else ''}, cached", n, True) for n in workers]
    records, peaks = [], {}
    for label, n_workers, cache in servers:
        port = free_port()
        proc = start_server(cfg, port, tmp, n_workers, cache)
        base = f"http://127.0.0.1:{port}/api/v1"
        try:
            wait_ready(base, proc)
            scenarios = {"findings_first_page": lambda c: c.get("/findings", params={"limit": 50})}
            if not first_page_only:
                with httpx.Client(base_url=base, headers=headers, timeout=60) as client:
                    cursor, page_no = later_cursor(client, page)
                scenarios |= {
                    "findings_first_page_full": lambda c: c.get("/findings", params={"limit": 50, "view": "full"}),
                    f"findings_page_{page_no}": lambda c, cur=cursor: c.get(
                        "/findings", params={"limit": 50, "cursor": cur}),
                    f"saved_query_{query_id}": lambda c: c.post(f"/queries/{query_id}/run", json={}),
                }
            records += measure(base, headers, scenarios, threads, requests, assets, label)
            peaks[label] = round(hwm_mb(proc.pid))
        finally:
            stop(proc)
    print(json.dumps({"phase": "memory", "api_server_peak_rss_mb": peaks,
                      "neo4j_peak_rss_mb": round(hwm_mb(server.running_pid())) if server else None}), flush=True)
    print(table(records), flush=True)


def main() -> None:
    logging.getLogger("neo4j").setLevel(logging.ERROR)
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--assets", type=int, default=1000)
    ap.add_argument("--threads", type=int, nargs="+", default=[8], help="concurrent clients (several: one pass each)")
    ap.add_argument("--requests", type=int, default=100, help="requests per thread and scenario")
    ap.add_argument("--page", type=int, default=10, help="the later findings page to measure")
    ap.add_argument("--query", default="internet-exposed-vms", help="the saved query to run")
    graph_source = ap.add_mutually_exclusive_group()
    graph_source.add_argument("--wipe", action="store_true",
                              help="empty the database of NEO4J_URI first if it holds a graph")
    ap.add_argument("--workers", type=int, nargs="+", default=[1, 2],
                    help="API worker processes of the cached servers (several: one server each)")
    ap.add_argument("--first-page-only", action="store_true", help="measure only the first findings page")
    graph_source.add_argument("--existing", action="store_true",
                              help="measure the analysed graph at NEO4J_URI as it is (no estate loaded; --assets ignored)")
    args = ap.parse_args()
    if not all(1 <= t <= 64 for t in args.threads) or not 1 <= args.requests <= 10_000:
        ap.error("--threads must be 1..64 and --requests 1..10000")
    if not all(1 <= w <= 16 for w in args.workers):
        ap.error("--workers must be 1..16")
    run(args.assets, args.threads, args.requests, args.page, args.query, args.wipe, args.workers,
        args.first_page_only, args.existing)


if __name__ == "__main__":
    main()
