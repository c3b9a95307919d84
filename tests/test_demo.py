"""`cloudmap demo` end to end through the real entry point: moto, the loaders, the engine, the rules,
then the findings as `cloudmap findings --format json` reports them, and the output a user reads —
piped (plain lines) and on a terminal (live progress)."""

from __future__ import annotations

import json
import re

import pytest

from cloudmap.demo import aws_estate
from tests.helpers import cli_json, run_cli, run_cli_on_terminal

pytestmark = pytest.mark.neo4j

RULE_LINE = re.compile(r"CM-[A-Z0-9]+-\d+: \d+ match\(es\)")


def _finding_for(findings: list[dict], vm: str) -> list[dict]:
    """Findings whose path runs through the VM (by name)."""
    return [f for f in findings if any(n.get("name") == vm for n in f["path"]["nodes"])]


def _table(stdout: str) -> list[str]:
    """The lines of the top-findings table, title to last row."""
    lines = stdout.splitlines()
    start = next(i for i, line in enumerate(lines) if re.fullmatch(r"Top \d+ findings\s*", line))
    end = next(i for i in range(start, len(lines)) if not lines[i].strip())
    return lines[start:end]


def test_demo_ranks_the_three_seed_cases(graph, cli_env):
    proc = run_cli(cli_env | {"COLUMNS": "80"}, "demo", "--small", "--top", "5", timeout=900)
    assert proc.returncode == 0, proc.stderr[-3000:] + proc.stdout[-2000:]
    assert "Where to look next" in proc.stdout
    assert cli_env["NEO4J_PASSWORD"] not in proc.stdout + proc.stderr, "the password never lands in output"

    # Piped: one plain line per step, no spinner, no rule-by-rule counts, the emulator's gaps said at most once.
    assert "\x1b[" not in proc.stderr and "✓" not in proc.stderr, proc.stderr
    assert re.search(r"^Attack paths and rules: \d+ findings from \d+ rules in [\d.]+ s$", proc.stderr, re.M), proc.stderr
    assert not RULE_LINE.search(proc.stderr + proc.stdout), proc.stderr
    assert proc.stderr.count("moto, the local AWS emulator") <= 1 and "EndpointConnectionError" not in proc.stderr
    assert "Traceback" not in proc.stderr + proc.stdout

    # The table: one line per finding, within the 80 columns it was given.
    table = _table(proc.stdout)
    assert table[0].startswith("Top 5 findings") and len(table) == 3 + 5, table  # title, header, rule, rows
    assert all(len(line) <= 80 for line in table), table

    # The seed cases named, each with the command that shows its path; the command works.
    for name, _story in aws_estate.SEED_CASES:
        named = re.search(rf"^  {name} \((critical|high|medium|low) [\d.]+\): .+\n    cloudmap findings show (\S+)$",
                          proc.stdout, re.M)
        assert named, (name, proc.stdout)
        shown = cli_json(cli_env, "findings", "show", named.group(2), "--format", "json")
        assert shown["level"] == named.group(1) and name in {n.get("name") for n in shown["path"]["nodes"]}, shown
        steps = run_cli(cli_env, "findings", "show", named.group(2)).stdout   # as a reader sees it
        assert steps.startswith(shown["title"]) and len(re.findall(r"^  \d+\. ", steps, re.M)) == shown["hops"], steps

    # s3control answers through the emulator: both accounts loaded without a failed scope.
    syncs = graph.read("MATCH (s:Sync {provider: 'aws'}) RETURN s.status AS status, s.scopes_failed AS failed")
    assert len(syncs) == 2 and all(s["status"] == "success" and not s["failed"] for s in syncs), syncs
    flags = graph.read("MATCH (a:Account {provider: 'aws'}) RETURN a.block_public_acls AS flag")
    assert len(flags) == 2 and all(f["flag"] is not None for f in flags), flags

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
    # An access key in a Lambda's environment: whoever reads the function's configuration is its user.
    cred = [f for f in findings if f["rule_id"] == "CM-CRED-003"]
    assert [(f["entry"]["name"], f["target"]["name"], f["level"]) for f in cred] == [
        ("card-report", "reports-export", "medium")], cred
    assert cred[0]["evidence"]["where"] == ["AWS_SECRET_ACCESS_KEY"]
    # The Azure tenant's Entra side: an app with a valid secret and an admin Graph permission, a
    # Privileged Role Administrator; one node per principal across the Azure and Entra loads.
    assert ("CM-ENTRA-001", "release-pipeline") in {(f["rule_id"], f["entry"]["name"]) for f in findings}, paths
    assert ("CM-ENTRA-002", "helpdesk-lead@acme-demo.example") in {(f["rule_id"], f["entry"]["name"])
                                                                   for f in findings}, paths
    assert graph.read("MATCH (i:Identity) WHERE i.principal_id IS NOT NULL WITH i.principal_id AS p, count(*) AS n "
                      "WHERE n > 1 RETURN p") == []
    escalation = [f for f in findings if f["rule_id"] in ("CM-IAM-001", "CM-IAM-002")]
    assert escalation and all(f["evidence"].get("method_id") for f in escalation), escalation  # named by catalogue id


def test_demo_refuses_a_graph_with_other_accounts(graph, cli_env):
    graph.write("CREATE (:Asset:VirtualMachine {id: 'arn:aws:ec2:eu-west-1:999999999999:instance/i-0', "
                "name: 'theirs', account_id: '999999999999'})")
    proc = run_cli(cli_env, "demo", "--small")
    assert proc.returncode == 1
    assert "1 assets of accounts that are not the demo's" in proc.stderr and "--force" in proc.stderr
    assert graph.read("MATCH (n) WHERE NOT n:SchemaVersion RETURN count(n) AS n")[0]["n"] == 1, "graph untouched"


def test_demo_on_a_terminal_draws_progress_and_verbose_prints_each_rule(graph, cli_env):
    code, drawn = run_cli_on_terminal(cli_env, "demo", "--small", "--top", "3", "--verbose", columns=80, timeout=900)
    assert code == 0, drawn[-3000:]
    text = re.sub(r"\x1b\[[0-9;?]*[A-Za-z]", "", drawn)
    assert "\x1b[" in drawn and re.search(r"[⠋⠙⠹⠸⠼⠴⠦⠧⠇⠏] AWS account \d+: \d+/\d+ aws/", text), text[-3000:]
    assert re.search(r"✓ Attack paths and rules: \d+ findings from \d+ rules in", text), text[-3000:]
    printed = re.findall(r"^  rule \d+/\d+ " + RULE_LINE.pattern + "$", text.replace("\r", "\n"), re.M)
    assert len(printed) > 1, "--verbose prints each rule's match count on a line of its own"
    table = _table(text.replace("\r", ""))
    assert len(table) == 3 + 3 and all(len(line) <= 80 for line in table), table
