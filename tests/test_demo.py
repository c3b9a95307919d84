"""`cloudmap demo` end to end through the real entry point: moto, the loaders, the engine, the rules,
then the findings as `cloudmap findings --format json` reports them."""

from __future__ import annotations

import json

import pytest

from cloudmap.demo import aws_estate
from tests.helpers import cli_json, run_cli

pytestmark = pytest.mark.neo4j


def _finding_for(findings: list[dict], vm: str) -> list[dict]:
    """Findings whose path runs through the VM (by name)."""
    return [f for f in findings if any(n.get("name") == vm for n in f["path"]["nodes"])]


def test_demo_ranks_the_three_seed_cases(graph, cli_env):
    proc = run_cli(cli_env, "demo", "--small", "--top", "5", timeout=900)
    assert proc.returncode == 0, proc.stderr[-3000:] + proc.stdout[-2000:]
    assert "Top 5 findings" in proc.stdout and "Where to look next" in proc.stdout
    assert cli_env["NEO4J_PASSWORD"] not in proc.stdout + proc.stderr, "the password never lands in output"

    findings = cli_json(cli_env, "findings", "--format", "json", "--limit", "500")
    findings = findings["findings"] if isinstance(findings, dict) else findings
    levels = {vm: {f["level"] for f in _finding_for(findings, vm)}
              for vm in ("payments-web", "marketing-blog", "batch-worker")}
    assert "high" in levels["payments-web"] or "critical" in levels["payments-web"], levels
    assert "medium" in levels["marketing-blog"] and not levels["marketing-blog"] & {"high", "critical"}, levels
    assert levels["batch-worker"] <= {"low"} and levels["batch-worker"], levels
    # The HIGH case ranks first (the Azure VM's twin path may tie with it), with Log4Shell as evidence.
    best = max(_finding_for(findings, "payments-web"), key=lambda f: f["score"])
    assert best["score"] == max(f["score"] for f in findings)
    assert "CVE-2021-44228" in json.dumps(best["evidence"]) and best["target"]["name"] == "acme-payments-cardholder-data"

    # Privilege escalation to the prod account's admin by both seeded methods, and lateral movement
    # from the exposed bastion into the private database.
    paths = {(f["rule_id"], f["entry"]["name"], f["target"]["name"], f["evidence"].get("method")) for f in findings}
    assert ("CM-IAM-001", "ci-deployer", aws_estate.PROD, "iam:CreatePolicyVersion") in paths, paths
    assert ("CM-IAM-001", "dev-alice", aws_estate.PROD, "iam:PassRole+ec2:RunInstances") in paths, paths
    assert ("CM-LM-005", "bastion", "orders-db", None) in paths, paths
    # A chained path no template covers: internet -> reporting-api (IMDSv1) -> its role -> analytics role -> pii.
    chained = [f for f in findings if f["rule_id"] == "CM-PATH-001" and f["entry"]["name"] == "reporting-api"
               and f["target"]["name"] == aws_estate.EXPORTS_BUCKET]
    assert [(f["level"], f["hops"]) for f in chained] == [("high", 4)], chained
    escalation = [f for f in findings if f["rule_id"] in ("CM-IAM-001", "CM-IAM-002")]
    assert escalation and all(f["evidence"].get("method_id") for f in escalation), escalation  # named by catalogue id


def test_demo_refuses_a_graph_with_other_accounts(graph, cli_env):
    graph.write("CREATE (:Asset:VirtualMachine {id: 'arn:aws:ec2:eu-west-1:999999999999:instance/i-0', "
                "name: 'theirs', account_id: '999999999999'})")
    proc = run_cli(cli_env, "demo", "--small")
    assert proc.returncode == 1
    assert "1 assets of accounts that are not the demo's" in proc.stderr and "--force" in proc.stderr
    assert graph.read("MATCH (n) WHERE NOT n:SchemaVersion RETURN count(n) AS n")[0]["n"] == 1, "graph untouched"
