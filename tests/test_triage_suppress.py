"""Suppressions through the CLI and HTTP on a real Neo4j: listing, --fail-on, expiry with an injected
clock, exemptions by file, config and tag, history, errors that change nothing."""

from __future__ import annotations

import json

from cloudmap.findings.analysis import run_analysis
from tests.helpers import api_client, cli_json, run_cli
from tests.test_findings import seed


def day(env: dict, today: str) -> dict:
    return {**env, "CLOUDMAP_TODAY": today}


def analyze(env: dict, *args: str) -> dict:
    return cli_json(env, "analyze", "--no-derive", "--format", "json", *args)


def listed(env: dict, *args: str) -> list[dict]:
    return cli_json(env, "findings", "--format", "json", *args)


def history(graph, fid: str) -> list[dict]:
    rows = graph.read("MATCH (f:Finding {id: $id}) RETURN f.history AS h", id=fid)
    return [json.loads(h) for h in rows[0]["h"] or []]


def test_suppress_list_fail_on_expiry_and_history_through_the_cli(graph, cli_env):
    seed(graph)
    env = day(cli_env, "2027-01-10")
    analyze(env)
    top = listed(env)[0]
    assert (top["rule_id"], top["entry"]["id"], top["target"]["id"]) == ("CM-VM-003", "vm-a", "cards")
    high = [f["id"] for f in listed(env) if f["level"] in ("high", "critical")]
    assert high == [top["id"]]
    assert run_cli(env, "findings", "--fail-on", "high").returncode == 3

    # errors name the problem and change nothing
    past = run_cli(env, "findings", "suppress", top["id"], "--reason", "x", "--until", "2027-01-09")
    assert past.returncode == 2 and "until 2027-01-09 is in the past (today is 2027-01-10)" in past.stderr
    unknown = run_cli(env, "findings", "suppress", top["id"], "nope", "--reason", "x")
    assert unknown.returncode == 2 and "no finding with id 'nope' (nothing was changed)" in unknown.stderr
    assert run_cli(env, "findings", "suppress", top["id"], "--reason", " ").returncode == 2
    assert [h["action"] for h in history(graph, top["id"])] == ["new"]

    done = run_cli(env, "findings", "suppress", top["id"], "--reason", "accepted: pen-test estate",
                   "--until", "2027-01-31", "--by", "alice")
    assert done.returncode == 0 and f"{top['id']}: suppressed" in done.stderr
    default = run_cli(env, "findings")
    assert top["id"] not in default.stdout and "1 suppressed finding(s) not shown" in default.stderr
    assert top["id"] not in {f["id"] for f in listed(env)}
    assert run_cli(env, "findings", "--fail-on", "high").returncode == 0
    [hidden] = listed(env, "--status", "suppressed")
    assert hidden["id"] == top["id"] and hidden["suppression"]["reason"] == "accepted: pen-test estate"
    assert (hidden["suppression"]["until"], hidden["suppression"]["by"]) == ("2027-01-31", "alice")
    table = run_cli(env, "findings", "--status", "suppressed")
    assert "accepted: pen-test estate" in table.stdout and "2027-01-31" in table.stdout

    # still evaluated, still suppressed, same id
    again = analyze(day(cli_env, "2027-01-31"))
    assert again["findings"]["suppressed"] == 1 and again["findings"]["new"] == 0
    assert [f["id"] for f in listed(env, "--status", "suppressed")] == [top["id"]]

    # the day after: open at once for a reader, and the next analysis records the reopening
    later = day(cli_env, "2027-02-01")
    assert top["id"] in {f["id"] for f in listed(later)}
    assert run_cli(later, "findings", "--fail-on", "high").returncode == 3
    assert analyze(later)["findings"]["suppressed"] == 0
    assert graph.read("MATCH (f:Finding {id: $id}) RETURN f.status AS s", id=top["id"])[0]["s"] == "open"
    events = history(graph, top["id"])
    assert [h["action"] for h in events] == ["new", "suppressed", "expired"]
    assert events[1]["by"] == "alice" and events[1]["until"] == "2027-01-31" and events[1]["at"]
    shown = cli_json(later, "findings", "show", top["id"], "--format", "json")
    assert [h["action"] for h in shown["history"]] == ["new", "suppressed", "expired"]

    # without --until it stays until unsuppressed; unsuppressing twice is an error
    assert run_cli(later, "findings", "suppress", top["id"], "--reason", "false positive").returncode == 0
    assert run_cli(later, "findings", "unsuppress", top["id"], "--by", "bob").returncode == 0
    twice = run_cli(later, "findings", "unsuppress", top["id"])
    assert twice.returncode == 2 and "is not suppressed" in twice.stderr
    assert [h["action"] for h in history(graph, top["id"])][-2:] == ["suppressed", "unsuppressed"]


def test_exemptions_by_file_config_and_tag(graph, cli_env, tmp_path):
    seed(graph)
    env = day(cli_env, "2027-01-10")
    exemptions = tmp_path / "exemptions.yaml"
    exemptions.write_text("exemptions:\n"
                          "  - rule: CM-VM-003\n    asset: web-*\n    reason: pen-test estate\n    owner: alice\n"
                          "    expires: 2027-03-01\n"
                          "  - account: '999'\n    reason: old\n    owner: bob\n    expires: 2026-01-01\n")
    summary = analyze(env, "--exemptions", str(exemptions))
    assert summary["findings"]["suppressed"] == 1
    [s] = listed(env, "--status", "suppressed")
    assert s["rule_id"] == "CM-VM-003" and s["suppression"] == {
        "reason": "pen-test estate", "until": "2027-03-01", "by": "alice",
        "source": "exemptions file exemptions.yaml entry 1", "at": s["suppression"]["at"]}
    assert run_cli(env, "findings", "--fail-on", "high").returncode == 0
    unsupp = run_cli(env, "findings", "unsuppress", s["id"])
    assert unsupp.returncode == 2 and "change that instead" in unsupp.stderr

    # the same file from the config; a tag on vm-b exempts its paths for the rules it names
    (tmp_path / "config.toml").write_text(f'exemptions_file = "{exemptions}"\n')
    graph.write("MATCH (a:Asset {id: 'vm-b'}) SET a.tags = ['env=legacy', 'cloudmap:exempt=CM-VM-* CM-NET-*', "
                "'cloudmap:exempt-reason=legacy web tier, replaced in Q2', 'cloudmap:exempt-owner=carol']")
    analyze(env)
    hidden = listed(env, "--status", "suppressed")
    by_source = {f["entry"]["id"]: f["suppression"]["source"] for f in hidden}
    assert by_source["vm-a"] == "exemptions file exemptions.yaml entry 1"
    assert by_source["vm-b"] == "tag cloudmap:exempt on vm-b"
    assert all(f["suppression"]["by"] == "carol" for f in hidden if f["entry"]["id"] == "vm-b")
    assert not [f for f in listed(env) if f["entry"]["id"] == "vm-b" and f["rule_id"].startswith(("CM-VM", "CM-NET"))]

    # entry removed from the file: the exemption is lifted and recorded
    (tmp_path / "config.toml").write_text("")
    analyze(env)
    assert s["id"] in {f["id"] for f in listed(env)}
    assert [h["action"] for h in history(graph, s["id"])] == ["new", "exempted", "exemption-lifted"]

    # a broken file: one error naming file, entry and field, before anything is written
    bad = tmp_path / "bad.yaml"
    bad.write_text("exemptions:\n  - rule: CM-VM-003\n    owner: alice\n")
    runs = graph.read("MATCH (a:Analysis) RETURN count(a) AS n")[0]["n"]
    proc = run_cli(env, "analyze", "--no-derive", "--exemptions", str(bad))
    assert proc.returncode == 2 and f"{bad}: exemption 1: field 'reason' is required" in proc.stderr
    assert graph.read("MATCH (a:Analysis) RETURN count(a) AS n")[0]["n"] == runs
    (tmp_path / "config.toml").write_text(f'exemptions_file = "{bad}"\n')
    proc = run_cli(env, "analyze", "--no-derive")
    assert proc.returncode == 2 and "field 'reason' is required" in proc.stderr


def test_suppressions_over_http(graph, neo4j_settings, monkeypatch):
    monkeypatch.setenv("CLOUDMAP_TODAY", "2027-01-10")
    seed(graph)
    run_analysis(graph, derive=False, exempt=[])
    client, keys = api_client(graph, neo4j_settings)
    api = "/api/v1/findings"
    top = client.get(api, headers=keys["reader"]).json()["items"][0]
    body = {"ids": [top["id"]], "reason": "accepted until the migration", "until": "2027-02-01"}
    assert client.post(f"{api}/suppress", json=body, headers=keys["reader"]).status_code == 403
    r = client.post(f"{api}/suppress", json={**body, "ids": [top["id"], "nope"]}, headers=keys["hunter"])
    assert r.status_code == 404 and "'nope'" in r.json()["detail"]
    r = client.post(f"{api}/suppress", json={**body, "until": "2027-01-01"}, headers=keys["hunter"])
    assert r.status_code == 400 and "in the past" in r.json()["detail"]
    r = client.post(f"{api}/suppress", json=body, headers=keys["hunter"])
    assert r.status_code == 200 and r.json()["items"] == [{"id": top["id"], "status": "suppressed"}]

    assert top["id"] not in {f["id"] for f in client.get(api, headers=keys["reader"]).json()["items"]}
    [s] = client.get(api, params={"status": "suppressed"}, headers=keys["reader"]).json()["items"]
    assert s["suppression"]["by"] == "test-hunter" and s["suppression"]["until"] == "2027-02-01"
    one = client.get(f"{api}/{top['id']}", headers=keys["reader"]).json()
    assert [h["action"] for h in one["history"]] == ["new", "suppressed"]
    assert one["history"][1]["reason"] == "accepted until the migration"

    assert client.post(f"{api}/unsuppress", json={"ids": [top["id"]]}, headers=keys["admin"]).status_code == 200
    r = client.post(f"{api}/unsuppress", json={"ids": [top["id"]]}, headers=keys["admin"])
    assert r.status_code == 400 and "is not suppressed" in r.json()["detail"]
    paths = client.get("/api/v1/openapi.json").json()["paths"]
    assert {f"{api}/suppress", f"{api}/unsuppress"} <= set(paths)
