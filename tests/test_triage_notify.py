"""Notifications after `cloudmap analyze`, received by a local HTTP server: retry after a 500, Slack text
from the config, failures and time-outs reported without failing the analysis, nothing secret sent."""

from __future__ import annotations

import json
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from tests.helpers import cli_json, run_cli
from tests.test_findings import seed

TOKEN = "T0KEN-in-the-webhook-path"


class Hook:
    """A local webhook: answers each POST with the next status of ``statuses`` (then 200)."""

    def __init__(self, statuses=(), delay: float = 0.0):
        self.statuses, self.delay, self.received = list(statuses), delay, []
        hook = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                body = self.rfile.read(int(self.headers["Content-Length"]))
                hook.received.append({"path": self.path, "type": self.headers["Content-Type"],
                                      "body": json.loads(body)})
                time.sleep(hook.delay)
                status = hook.statuses.pop(0) if hook.statuses else 200
                self.send_response(status)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_port}/hooks/{TOKEN}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self):
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def hook():
    made = []

    def make(*a, **kw):
        made.append(Hook(*a, **kw))
        return made[-1]
    yield make
    for h in made:
        h.close()


def analyze(env, *args):
    return run_cli(env, "analyze", "--no-derive", *args)


def test_new_findings_posted_with_a_retry_after_a_500(graph, cli_env, hook):
    seed(graph)
    server = hook([500])
    proc = analyze(cli_env, "--notify", server.url)
    assert proc.returncode == 0, proc.stderr
    assert len(server.received) == 2 and server.received[0] == server.received[1]   # the retry, same message
    sent = server.received[-1]
    assert sent["type"] == "application/json" and sent["path"] == f"/hooks/{TOKEN}"
    body = sent["body"]
    assert body["source"] == "cloudmap" and body["min_level"] == "high"
    assert [(f["change"], f["rule_id"], f["entry"]["id"], f["target"]["id"]) for f in body["findings"]] == [
        ("new", "CM-VM-003", "vm-a", "cards")]
    assert body["analysis_id"].startswith("analysis-")
    assert set(body["findings"][0]) == {"change", "id", "rule_id", "title", "level", "score", "entry", "target"}
    text = json.dumps(body)
    assert "evidence" not in text and "CVE-2024-3094" not in text and cli_env["NEO4J_PASSWORD"] not in text
    assert "delivered, HTTP 200 after 2 attempt(s)" in proc.stderr and TOKEN not in proc.stderr + proc.stdout

    # nothing new the second time: nothing posted; a suppressed finding that reopens is never sent
    assert analyze(cli_env, "--notify", server.url).returncode == 0 and len(server.received) == 2


def test_slack_from_the_config_and_reopened_findings(graph, cli_env, hook, tmp_path):
    seed(graph)
    assert analyze(cli_env).returncode == 0
    graph.write("MATCH (:Asset {id: 'role-a'})-[r:CAN_ACCESS]->(:Asset {id: 'cards'}) DELETE r")
    assert analyze(cli_env).returncode == 0
    graph.write("MATCH (a:Asset {id: 'role-a'}), (c:Asset {id: 'cards'}) "
                "CREATE (a)-[:CAN_ACCESS {derived: true, level: 'read'}]->(c)")
    server = hook()
    (tmp_path / "config.toml").write_text(f'[[notify]]\nurl = "{server.url}"\nmin_level = "medium"\n'
                                          'format = "slack"\n')
    proc = analyze(cli_env)
    assert proc.returncode == 0 and "delivered, HTTP 200 after 1 attempt(s)" in proc.stderr
    [sent] = server.received
    text = sent["body"]["text"]
    assert set(sent["body"]) == {"text"} and "1 new or reopened attack path(s) at medium or above" in text
    assert "CM-VM-003" in text and "web-a → cards (reopened" in text


def test_failures_and_time_outs_are_reported_and_the_analysis_succeeds(graph, cli_env, hook):
    seed(graph)
    down = hook([500, 503, 500])
    env = {**cli_env, "CLOUDMAP_NOTIFY_TIMEOUT": "1"}
    proc = run_cli(env, "analyze", "--no-derive", "--format", "json", "--notify", down.url)
    assert proc.returncode == 0 and json.loads(proc.stdout)["status"] == "success"
    assert len(down.received) == 3 and "NOT delivered: HTTP 500 after 3 attempt(s)" in proc.stderr
    assert graph.read("MATCH (f:Finding {status: 'open'}) RETURN count(f) AS n")[0]["n"] > 0

    graph.write("MATCH (b:Asset {id: 'role-b'}), (c:Asset {id: 'cards'}) "
                "CREATE (b)-[:CAN_ACCESS {derived: true, level: 'read'}]->(c)")
    slow = hook(delay=3)
    started = time.monotonic()
    proc = run_cli({**env, "CLOUDMAP_NOTIFY_ATTEMPTS": "2"}, "analyze", "--no-derive", "--notify", slow.url)
    assert proc.returncode == 0 and "NOT delivered: no answer within 1 s after 2 attempt(s)" in proc.stderr
    assert time.monotonic() - started < 60 and TOKEN not in proc.stderr

    refused = run_cli(env, "analyze", "--no-derive", "--notify", "http://127.0.0.1:9/x")
    assert refused.returncode == 0 and "nothing new at high or above" in refused.stderr
    graph.write("MATCH (:Asset {id: 'role-b'})-[r:CAN_ACCESS]->(:Asset {id: 'cards'}) DELETE r")
    run_cli(env, "analyze", "--no-derive")
    graph.write("MATCH (b:Asset {id: 'role-b'}), (c:Asset {id: 'cards'}) "
                "CREATE (b)-[:CAN_ACCESS {derived: true, level: 'read'}]->(c)")
    refused = run_cli(env, "analyze", "--no-derive", "--notify", "http://127.0.0.1:9/x")
    assert refused.returncode == 0 and "NOT delivered: cannot connect" in refused.stderr

    bad = run_cli(env, "analyze", "--no-derive", "--notify", "ftp://example.com/x")
    assert bad.returncode == 2 and "--notify" in bad.stderr
    assert cli_json(env, "findings", "--format", "json")


def test_saving_a_setting_keeps_the_notify_tables(tmp_path, monkeypatch):
    from cloudmap.config import load_settings, save_config_value

    path = tmp_path / "config.toml"
    path.write_text('[[notify]]\nurl = "https://hooks.example.com/a"\nformat = "slack"\n\n'
                    '[[notify]]\nurl = "https://hooks.example.com/b"\nmin_level = "critical"\n')
    monkeypatch.setenv("CLOUDMAP_CONFIG", str(path))
    save_config_value("bolt_port", "7688")
    targets = load_settings().notify
    assert [(t.url, t.min_level, t.format) for t in targets] == [
        ("https://hooks.example.com/a", "high", "slack"), ("https://hooks.example.com/b", "critical", "json")]
    assert load_settings().bolt_port == 7688


def test_analyses_started_through_the_api_notify_the_configured_targets(graph, neo4j_settings, hook):
    from cloudmap.config import NotifyTarget
    from tests.helpers import api_client, wait_for_analysis

    server = hook()
    graph.write("CREATE (:Asset:VirtualMachine {id: 'vm-9', name: 'lonely', provider: 'aws'})")
    client, keys = api_client(graph, neo4j_settings, notify=[NotifyTarget(url=server.url, min_level="low")])
    job = client.post("/api/v1/analyses", headers=keys["admin"]).json()["id"]
    status = wait_for_analysis(client, job, keys["admin"])
    host = server.url.split("/hooks/")[0]
    assert status["summary"]["notifications"] == [f"notification to {host}: nothing new at low or above"]
    assert server.received == []
