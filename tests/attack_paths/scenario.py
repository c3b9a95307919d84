"""What every attack-path scenario module shares: building an estate (boto3 calls in moto, or Azure
export files), loading and deriving it, running the analysis, and reading back "the finding from entry
to target" and "the shortest chain of moves from entry to target".

A finding is matched by (entry_id, target_id) whatever rule reported it: where a template rule and a
generic path rule report the same pair, the analysis keeps one of them as primary."""

from __future__ import annotations

import io
import json
import zipfile
from collections.abc import Callable

import boto3
from moto import mock_aws

from cloudmap.engine import derive
from cloudmap.graph.driver import Graph
from tests.conftest import wipe
from tests.helpers import moto_env

# The moves a chain is made of (docs/engine.md); CAN_REACH only as the first hop, from the Internet.
MOVES = "CAN_CONNECT_TO|CAN_AUTHENTICATE_AS|CAN_ASSUME|CAN_ESCALATE_TO|EXPOSES_CREDENTIAL"
LAST = "CAN_ACCESS|CAN_ESCALATE_TO|CAN_CONNECT_TO"
LEVELS = ("info", "low", "medium", "high", "critical")
CORE_SERVICES = {"iam", "ec2", "s3", "rds", "lambda", "ecs", "ecs-runtime", "elbv2", "kms", "secretsmanager"}


# -- building ---------------------------------------------------------------------------------------

def doc(*statements) -> str:
    return json.dumps({"Version": "2012-10-17", "Statement": list(statements)})


def allow(action, resource="*", **extra) -> dict:
    return {"Effect": "Allow", "Action": action, "Resource": resource, **extra}


def deny(action, resource="*", **extra) -> dict:
    return {"Effect": "Deny", "Action": action, "Resource": resource, **extra}


def trust(principal: dict, **extra) -> str:
    return doc({"Effect": "Allow", "Principal": principal, "Action": "sts:AssumeRole", **extra})


def service_trust(service: str) -> str:
    return trust({"Service": service})


def lambda_zip() -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as z:
        z.writestr("handler.py", "def handler(event, context):\n    return {'ok': True}\n")
    return buf.getvalue()


def tags(**kv) -> list[dict]:
    return [{"Key": k.replace("_", "-"), "Value": v} for k, v in kv.items()]


def aws_estate(graph: Graph, region: str, build: Callable[[boto3.Session], dict],
               after_load: Callable[[Graph, dict], None] | None = None, analyse: bool = True) -> dict:
    """Wipe the graph, build the estate with ``build(session)`` inside moto, load it (one region),
    run ``after_load(graph, ids)`` (more loaders: scanner reports...), derive, and run the analysis.
    Returns the ids ``build`` returned, plus ``account`` (the account node's id)."""
    wipe(graph)
    from cloudmap.loaders.aws import load as load_account

    mp = moto_env(region)
    try:
        with mock_aws():
            session = boto3.Session(region_name=region)
            ids = build(session)
            account = session.client("sts").get_caller_identity()["Account"]
            ids.setdefault("account", f"arn:aws:iam::{account}:root")
            ids.setdefault("account_id", account)
            summary = load_account(graph, session, [region])
    finally:
        mp.undo()
    broken = [s for s in summary.scopes_failed if s.rsplit("/", 1)[-1] in CORE_SERVICES]
    assert not broken, (broken, summary.errors)
    if after_load:
        after_load(graph, ids)
    finish(graph, analyse)
    return ids


def finish(graph: Graph, analyse: bool = True) -> None:
    summary = derive(graph)
    assert summary["status"] == "ok", summary
    if analyse:
        from cloudmap.findings.analysis import run_analysis
        run_analysis(graph, derive=False)


# -- reading ----------------------------------------------------------------------------------------

def findings(graph: Graph, entry: str, target: str) -> list[dict]:
    """The open findings from ``entry`` to ``target`` (any rule), best first."""
    return graph.read("""
        MATCH (f:Finding {status: 'open'}) WHERE f.entry_id = $entry AND f.target_id = $target
        RETURN properties(f) AS f ORDER BY f.score DESC""", entry=entry, target=target)


def finding(graph: Graph, entry: str, target: str) -> dict | None:
    """The one finding the analysis keeps for (entry, target), or None: where a template rule and a
    generic path rule report the same pair, the template's (``also_matched_by`` names the other)."""
    rows = [r["f"] for r in findings(graph, entry, target)]
    assert len(rows) <= 1, f"{entry} -> {target}: {len(rows)} open findings for one pair"
    return rows[0] if rows else None


def level_rank(level: str | None) -> int:
    return LEVELS.index(level) if level in LEVELS else -1


def assert_finding(graph: Graph, entry: str, target: str, level: str, hops: int) -> dict:
    f = finding(graph, entry, target)
    seen = {(r["f"]["rule_id"], r["f"]["level"], r["f"].get("hops"), str(r["f"].get("also_matched_by")))
            for r in findings(graph, entry, target)}
    assert f is not None, f"no open finding from {entry} to {target}"
    assert (f["level"], f.get("hops")) == (level, hops), f"{entry} -> {target}: {seen}"
    return f


def assert_no_finding_or_lower(graph: Graph, entry: str, target: str, than: str) -> None:
    f = finding(graph, entry, target)
    if f is not None:
        assert level_rank(f["level"]) < level_rank(than), (
            f"decoy {entry} -> {target} got {f['rule_id']} {f['level']} (expected below {than})")


def assert_no_finding(graph: Graph, entry: str, target: str) -> None:
    f = finding(graph, entry, target)
    assert f is None, f"decoy {entry} -> {target} got {f['rule_id']} {f['level']}"


def assert_decoy(graph: Graph, entry: str, target: str, below: str | None) -> None:
    """A decoy gets no finding (``below`` None), or one below ``below``."""
    if below is None:
        assert_no_finding(graph, entry, target)
    else:
        assert_no_finding_or_lower(graph, entry, target, below)


def chain(graph: Graph, entry: str, target: str, internet: bool = False, max_hops: int = 8) -> int | None:
    """Hops of the shortest chain of derived moves from ``entry`` (from the Internet through it, counting
    the CAN_REACH hop, when ``internet``) to ``target``; None when the engine derives none."""
    start = "(:Internet)-[:CAN_REACH]->(e {id: $entry})" if internet else "(e {id: $entry})"
    rows = graph.read(f"""
        MATCH p = SHORTEST 1 {start}(()-[:{MOVES}]->()){{0,{max_hops}}}(i)-[:{LAST}]->(t {{id: $target}})
        RETURN length(p) AS hops""", entry=entry, target=target)
    return rows[0]["hops"] if rows else None


def chain_types(graph: Graph, entry: str, target: str, internet: bool = False, max_hops: int = 8) -> list[str]:
    """The relationship types of that shortest chain, in order (an assumption the escalation step
    repeats as CAN_ESCALATE_TO {method: 'sts:AssumeRole'} reads as CAN_ASSUME)."""
    start = "(:Internet)-[:CAN_REACH]->(e {id: $entry})" if internet else "(e {id: $entry})"
    rows = graph.read(f"""
        MATCH p = SHORTEST 1 {start}(()-[:{MOVES}]->()){{0,{max_hops}}}(i)-[:{LAST}]->(t {{id: $target}})
        RETURN [r IN relationships(p) | CASE WHEN type(r) = 'CAN_ESCALATE_TO' AND r.method = 'sts:AssumeRole'
                                             THEN 'CAN_ASSUME' ELSE type(r) END] AS types""", entry=entry, target=target)
    return rows[0]["types"] if rows else []


def reached(graph: Graph, asset: str) -> bool:
    return bool(graph.read("MATCH (:Internet)-[:CAN_REACH]->({id: $id}) RETURN 1 LIMIT 1", id=asset))
