"""The explorer on the demo estate (built once for the module through cloudmap.demo): every template
returns the rows the estate implies, hostile input is an error or an inert parameter with the graph
unchanged, readers explore over HTTP, and `cloudmap explore` answers as a table, JSON and CSV."""

from __future__ import annotations

import csv
import io
import json
import re

import pytest

from cloudmap.demo.run import run_demo
from cloudmap.explorer import Question, QuestionError
from cloudmap.services.explore import explore, parse_question, templates
from tests.conftest import wipe
from tests.helpers import api_client, run_cli

pytestmark = pytest.mark.neo4j

PROD, SHARED, AZURE = "123456789012", "210987654321", "5f1e6a7b-1111-4222-8333-444455556666"
AZ_USER = "ops-admin@acme-demo.example"   # the subscription's Owner, named by the Entra export
WEB_VM_ID = "web-vm (system identity)"
GCP_SA = "cards@shop-app.iam.gserviceaccount.com"   # web-cards' service account, in the demo's GCP project
SNAPSHOT = "rds:orders-db-*"  # moto names the automated snapshot after its creation time


@pytest.fixture(scope="module")
def demo(_session_graph, neo4j_env, tmp_path_factory):
    """The small demo estate, loaded and analysed through the demo's own functions."""
    wipe(_session_graph)
    with pytest.MonkeyPatch.context() as mp:
        for key, value in neo4j_env.items():
            mp.setenv(key, value)
        mp.setenv("CLOUDMAP_CONFIG", str(tmp_path_factory.mktemp("explore") / "config.toml"))
        run_demo(_session_graph, small=True)
    yield _session_graph
    wipe(_session_graph)


def ask(graph, question: Question | dict, max_rows: int = 1000):
    if isinstance(question, dict):
        question = parse_question(question)
    return explore(graph, question, max_rows=max_rows, timeout_s=30)


def name(value) -> str:
    if isinstance(value, dict) and "properties" in value:
        value = value["properties"].get("name") or value["properties"]["id"]
    return re.sub(r"^rds:orders-db-.*", SNAPSHOT, str(value))


def rows_of(answer) -> list[tuple]:
    out = []
    for row in answer.result.rows:
        cells = []
        for col in answer.result.columns:
            value = row[col]
            if isinstance(value, dict) and "relationships" in value:
                cells.append(" > ".join(name(n) for n in value["nodes"]))
            else:
                cells.append(name(value) if isinstance(value, dict) else value)
        out.append(tuple(cells))
    return out


# ci-deployer rewrites its own policy: its escalation goes straight to the account, not through an admin
# identity, so this template (escalation to an identity that is admin) does not list it.
ADMIN_PATHS = {("dev-alice > ops-maintenance > " + PROD, 2)}

EXPECTED = {
    "account-admins": {("ops-admin", PROD), ("ops-maintenance", PROD), ("OrganizationAccountAccessRole", SHARED),
                       (AZ_USER, "contoso-prod"), (AZ_USER, "tenant a1b2c3d4-0000-4000-8000-00000000aaaa")},
    "assumable-roles": {("ops-admin", "OrganizationAccountAccessRole"),
                        ("ops-maintenance", "OrganizationAccountAccessRole"), ("ops-maintenance", "ops-admin"),
                        ("reporting-api-role", "analytics-reader")},
    "crown-jewels-reachable-by-identities": {
        ("ops-admin", "acme-payments-cardholder-data"), ("ops-maintenance", "acme-payments-cardholder-data"),
        ("payments-web-role", "acme-payments-cardholder-data"), (AZ_USER, "card-data"), (WEB_VM_ID, "card-data"),
        ("ops-admin", "orders-db"), ("ops-maintenance", "orders-db"),
        ("reports-export", "acme-payments-cardholder-data")},
    "exposed-assets-by-account": {(AZURE, 7), (PROD, 4), ("111", 2), ("222", 1)},   # 111, 222: the GCP projects
    "exposed-vms-with-imdsv1": {("bastion", "bastion-role"), ("marketing-blog", "marketing-blog-role"),
                                ("payments-web", "payments-web-role"), ("reporting-api", "reporting-api-role")},
    "exposed-vms-with-severe-vulnerabilities": {
        ("bastion", "CVE-2023-0286"), ("marketing-blog", "CVE-2021-44228"), ("marketing-blog", "CVE-2023-38545"),
        ("payments-web", "CVE-2021-44228"), ("payments-web", "CVE-2023-38545"), ("payments-web", "CVE-2023-0286"),
        ("web-vm", "CVE-2021-44228")},
    "hosts-with-rce-vulnerabilities": {("marketing-blog", "CVE-2021-44228"), ("payments-web", "CVE-2021-44228"),
                                       ("web-vm", "CVE-2021-44228")},
    "identities-reading-pci-pii": {
        ("ops-admin", "acme-payments-cardholder-data"), ("ops-maintenance", "acme-payments-cardholder-data"),
        ("payments-web-role", "acme-payments-cardholder-data"), (AZ_USER, "card-data"), (WEB_VM_ID, "card-data"),
        (AZ_USER, "orders"), ("ops-admin", "orders-db"), ("ops-maintenance", "orders-db"),
        ("reports-export", "acme-payments-cardholder-data"), ("analytics-reader", "acme-customer-exports"),
        ("ops-admin", "acme-customer-exports"), ("ops-maintenance", "acme-customer-exports"),
        (GCP_SA, "shop-cards")},
    "internet-to-sensitive-data-paths": {
        ("Internet > web-vm > web-vm (system identity) > card-data", 3),
        ("Internet > payments-web > payments-web-role > acme-payments-cardholder-data", 3),
        (f"Internet > web-cards > {GCP_SA} > shop-cards", 3)},
    "keys-usable-from-exposed-workloads": {("shop-app", "id-shop")},
    "lateral-movement-to-databases": {("bastion", "orders-db"), ("marketing-blog", "orders-db"),
                                      ("payments-web", "orders-db"), ("reporting-api", "orders-db")},
    "public-data-stores": {("acme-public-assets",), ("shop-assets",)},
    "public-snapshots": set(),  # the demo's one snapshot is private: the decoy of a public one
    "secrets-readable-from-exposed-workloads": {("shop-app", "id-shop")},
    "service-principals-with-valid-secrets": {("release-pipeline",)},
    "unencrypted-data-stores": {("orders-db",), (SNAPSHOT,)},
    "users-without-mfa": {("ci-deployer",), ("dev-alice",), ("readonly-bob",), ("reports-export",)},
    "vulnerable-vms-by-severity": {("high", 4), ("critical", 3)},
    "workloads-running-rce-images": set(),  # no container workloads in the demo estate
}


def test_there_are_at_least_fifteen_templates_each_with_an_expectation():
    found = templates()
    assert len(found) >= 15 and set(found) == {*EXPECTED, "escalation-to-account-admin"}
    assert all(q.title and q.description for q in found.values())


@pytest.mark.parametrize("template", sorted(EXPECTED))
def test_each_template_returns_the_expected_rows(demo, template):
    answer = ask(demo, templates()[template])
    rows = rows_of(answer)
    got = {r[:2] if template in ("keys-usable-from-exposed-workloads", "secrets-readable-from-exposed-workloads")
           else r for r in rows}
    assert got == EXPECTED[template], rows
    assert not answer.result.truncated


def test_secret_and_key_templates_name_the_vault(demo):
    for template, kind in (("secrets-readable-from-exposed-workloads", "Secret"),
                           ("keys-usable-from-exposed-workloads", "Key")):
        answer = ask(demo, templates()[template])
        [row] = answer.result.rows
        assert kind in row[answer.result.columns[-1]]["labels"]


def test_escalation_template_returns_the_seeded_paths(demo):
    answer = ask(demo, templates()["escalation-to-account-admin"])
    paths = set(rows_of(answer))
    assert ADMIN_PATHS <= paths, paths
    assert all(hops in (2, 3, 4) for _, hops in paths)
    # the read-only identity has no path to admin
    assert not any(p.startswith("readonly-bob") for p, _ in paths)


HOSTILE = ["x' OR 1=1 //", "`) DETACH DELETE n //", "\"}) MATCH (m) DETACH DELETE m //", "$__x }) //", "\\u0060"]


def graph_size(graph) -> tuple[int, int]:
    row = graph.read("MATCH (n) WITH count(n) AS n OPTIONAL MATCH ()-[r]->() RETURN n, count(r) AS r")[0]
    return row["n"], row["r"]


def test_hostile_values_in_every_field_are_inert_parameters(demo):
    before = graph_size(demo)
    for bad in HOSTILE:
        question = {
            "from": {"kind": "VirtualMachine", "where": [{"property": "name", "value": bad},
                                                         {"property": "region", "op": "in", "value": [bad]},
                                                         {"property": "name", "op": "contains", "value": bad},
                                                         {"property": "name", "op": "starts_with", "value": bad},
                                                         {"property": "name", "op": "lt", "value": bad},
                                                         {"tag": bad}, {"tag": "k=" + bad}]},
            "steps": [{"rel": "CAN_AUTHENTICATE_AS", "where": [{"property": "via", "value": bad}],
                       "to": {"kind": "Identity", "where": [{"any_of": [{"property": "name", "value": bad}]}]}},
                      {"rel": "CAN_ACCESS", "to": {"kind": "DataStore",
                                                   "where": [{"fact": "sensitive", "value": [bad]}]}}],
            "title": bad, "description": bad,
        }
        answer = ask(demo, question)
        assert answer.result.rows == []
        assert bad not in answer.compiled.cypher and bad in json.dumps(answer.compiled.params, ensure_ascii=False)
    assert graph_size(demo) == before


@pytest.mark.parametrize("field, question", [
    ("from.kind", {"from": {"kind": "VirtualMachine) DETACH DELETE n //"}}),
    ("from.where[0].property", {"from": {"kind": "VirtualMachine",
                                         "where": [{"property": "name` = 1 OR true //", "value": 1}]}}),
    ("steps[0].rel", {"from": {"kind": "Identity"}, "steps": [{"rel": "CAN_ACCESS]->() DETACH DELETE n //"}]}),
    ("steps[0].where[0].property", {"from": {"kind": "Identity"},
                                    "steps": [{"rel": "CAN_ACCESS", "where": ["level`=1 //=x"]}]}),
    ("steps[0].to.kind", {"from": {"kind": "Identity"}, "steps": [{"rel": "CAN_ACCESS", "to": {"kind": "x`"}}]}),
    ("from.as", {"from": {"kind": "Identity", "as": "x` DETACH DELETE n //"}}),
    ("return.group_by[0].property", {"from": {"kind": "Identity"},
                                     "return": {"kind": "count", "group_by": [{"node": 0, "property": "a`b"}]}}),
    ("return.group_by[0].node", {"from": {"kind": "Identity"},
                                 "return": {"kind": "count", "group_by": [{"node": "n0`", "property": "name"}]}}),
    ("order_by[0].property", {"from": {"kind": "Identity"}, "order_by": [{"property": "name DESC; MATCH (n)"}]}),
    ("steps.0.direction", {"from": {"kind": "Identity"}, "steps": [{"rel": "CAN_ACCESS", "direction": "]->("}]}),
    ("steps.0.hops", {"from": {"kind": "Identity"}, "steps": [{"rel": "CAN_ACCESS", "hops": "1..2} DELETE"}]}),
    ("limit", {"from": {"kind": "Identity"}, "limit": "1 DELETE n"}),
    ("from.where.0.op", {"from": {"kind": "Identity", "where": [{"property": "name", "op": "=~", "value": ".*"}]}}),
])
def test_hostile_names_are_one_clear_error_and_nothing_runs(demo, field, question):
    before = graph_size(demo)
    with pytest.raises(QuestionError) as exc:
        ask(demo, question)
    message = str(exc.value)
    assert field in message and "\n" not in message, message
    assert graph_size(demo) == before


def test_rows_are_bounded_by_the_hunt_cap(demo):
    answer = ask(demo, {"from": {"kind": "Asset"}, "limit": 10_000}, max_rows=5)
    assert len(answer.result.rows) == 5 and answer.result.truncated


def test_readers_explore_over_http(demo, neo4j_settings):
    client, keys = api_client(demo, neo4j_settings)
    body = {"from": {"kind": "VirtualMachine", "where": ["exposed"]},
            "steps": [{"rel": "CAN_AUTHENTICATE_AS"}, {"rel": "CAN_ACCESS", "to": {"kind": "DataStore",
                                                                                  "where": ["sensitivity=pci"]}}]}
    resp = client.post("/api/v1/explore", json=body, headers=keys["reader"])
    assert resp.status_code == 200, resp.text
    data = resp.json()
    pairs = {(r["virtualmachine"]["properties"]["name"], r["datastore"]["properties"]["name"]) for r in data["rows"]}
    assert pairs == {("payments-web", "acme-payments-cardholder-data"), ("web-vm", "card-data"), ("web-cards", "shop-cards")}
    assert data["columns"] == ["virtualmachine", "asset", "datastore"] and data["params"]["p0"] == ["pci"]
    assert data["cypher"].startswith("MATCH (n0:`VirtualMachine`)") and "$p0" in data["cypher"]

    templates_resp = client.get("/api/v1/explore/templates", headers=keys["reader"])
    assert templates_resp.status_code == 200
    listed = templates_resp.json()
    assert len(listed) >= 15 and {"name", "title", "description", "question"} <= set(listed[0])
    # a listed template posts back as it is
    admins = next(t for t in listed if t["name"] == "account-admins")
    resp = client.post("/api/v1/explore", json=admins["question"], headers=keys["reader"])
    assert resp.status_code == 200 and resp.json()["row_count"] == len(EXPECTED["account-admins"]) == 5

    before = graph_size(demo)
    bad = client.post("/api/v1/explore", json={"from": {"kind": "Vm`) DETACH DELETE n //"}}, headers=keys["reader"])
    assert bad.status_code == 400 and "from.kind: unknown kind" in bad.json()["detail"]
    assert bad.headers["content-type"].startswith("application/problem+json")
    invalid = client.post("/api/v1/explore", json={"from": {"kind": "Identity"}, "limit": -1}, headers=keys["reader"])
    assert invalid.status_code == 422
    assert graph_size(demo) == before

    assert client.post("/api/v1/explore", json=body).status_code == 401
    assert client.get("/api/v1/explore/templates").status_code == 401


def test_cli_flags_table_json_csv_and_show_cypher(demo, cli_env):
    flags = ["explore", "--from", "VirtualMachine", "--where", "exposed", "--step", "CAN_AUTHENTICATE_AS",
             "--step", "CAN_ACCESS", "--to", "DataStore", "--to-where", "sensitivity=pci"]
    table = run_cli(cli_env, *flags, "--show-cypher")
    assert table.returncode == 0, table.stderr
    assert "payments-web" in table.stdout and "acme-payments-cardholder-data" in table.stdout
    assert "MATCH (n0:`VirtualMachine`)" in table.stderr and "3 row(s)" in table.stderr

    as_json = run_cli(cli_env, *flags, "--format", "json")
    data = json.loads(as_json.stdout)
    assert data["row_count"] == 3 and data["cypher"].endswith("LIMIT $limit")

    as_csv = run_cli(cli_env, *flags, "--format", "csv")
    rows = list(csv.DictReader(io.StringIO(as_csv.stdout)))
    assert {(r["virtualmachine"], r["datastore"]) for r in rows} == {
        ("payments-web", "acme-payments-cardholder-data"), ("web-vm", "card-data"), ("web-cards", "shop-cards")}
    assert all(r["virtualmachine_id"] for r in rows)

    listed = run_cli(cli_env, "explore", "--templates")
    assert listed.returncode == 0 and "account-admins" in listed.stdout

    counted = run_cli(cli_env, "explore", "--from", "VirtualMachine", "--step", "HAS_VULNERABILITY:Vulnerability",
                      "--return", "count", "--group-by", "vulnerability.severity", "--format", "json")
    assert {(r["vulnerability_severity"], r["count"]) for r in json.loads(counted.stdout)["rows"]} == \
        EXPECTED["vulnerable-vms-by-severity"]


def test_cli_question_file_and_bad_input(demo, cli_env, tmp_path):
    question = tmp_path / "q.yaml"
    question.write_text("from: {kind: User, where: ['!mfa_enabled']}\norder_by: [{property: name}]\nlimit: 2\n")
    proc = run_cli(cli_env, "explore", "--file", str(question), "--format", "json")
    assert proc.returncode == 0, proc.stderr
    assert [r["user"]["properties"]["name"] for r in json.loads(proc.stdout)["rows"]] == ["ci-deployer", "dev-alice"]

    question.write_text("from: {kind: User, where: ['colour=red']}\n")
    proc = run_cli(cli_env, "explore", "--file", str(question))
    assert proc.returncode == 2
    assert "from.where[0].property: User has no property 'colour'; valid properties:" in proc.stderr
    proc = run_cli(cli_env, "explore", "--from", "User", "--step", "CAN_HACK")
    assert proc.returncode == 2 and "steps[0].rel: unknown relationship type 'CAN_HACK'" in proc.stderr
    proc = run_cli(cli_env, "explore", "--file", str(tmp_path / "missing.yaml"))
    assert proc.returncode == 2 and "missing.yaml: cannot read it" in proc.stderr
