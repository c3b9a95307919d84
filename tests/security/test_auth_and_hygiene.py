"""Auth material out of hunts' reach, failed-auth and per-key rate limits, request hygiene
(bodies, headers, --no-auth Host and origin checks, signed cursors) and error bodies."""

from __future__ import annotations

import json
import logging
import sqlite3
import stat

from cloudmap.services.apikeys import create_key
from cloudmap.services.authstore import open_store
from tests.helpers import api_client, run_cli, wait_for_analysis
from tests.security.common import SEED

SECURITY_HEADERS = {"x-content-type-options": "nosniff", "cache-control": "no-store", "x-frame-options": "DENY"}


def test_key_material_is_unreachable_from_any_hunt(graph, neo4j_settings, cli_env):
    graph.write(SEED)
    client, keys = api_client(graph, neo4j_settings)
    token = keys["hunter"]["Authorization"][7:]
    assert client.post("/api/v1/queries", headers=keys["hunter"], json={
        "id": "keys-exfil", "title": "keys", "query": "MATCH (n) RETURN n"}).status_code == 201
    with sqlite3.connect(neo4j_settings.auth_db) as db:
        secrets_ = [v for row in db.execute("SELECT id, salt, hash FROM api_keys") for v in row]
        secrets_ += [row[0] for row in db.execute("SELECT owner_id FROM saved_queries")]
    secrets_ = [s for s in [*secrets_, token.split("_", 2)[2]] if s]   # the whole secret (it may hold "_"); an empty owner id is none
    hunts = ["MATCH (k:ApiKey) RETURN k", "MATCH (q:SavedQuery) RETURN q", "MATCH (n) RETURN n",
             "MATCH (n) RETURN labels(n), properties(n)", "MATCH ()-[r]->() RETURN properties(r)",
             "CALL db.labels() YIELD label RETURN label", "CALL db.propertyKeys() YIELD propertyKey RETURN propertyKey",
             "MATCH (n) WHERE any(k IN keys(n) WHERE k IN ['hash', 'salt', 'owner']) RETURN n",
             "CALL db.schema.visualization()"]
    answers = [client.post("/api/v1/hunt", headers=keys["hunter"], json={"query": q}) for q in hunts]
    answers.append(client.post("/api/v1/queries/keys-exfil/run", headers=keys["reader"]))
    assert all(r.status_code == 200 for r in answers), [r.text[-300:] for r in answers if r.status_code != 200]
    texts = [json.dumps([r.json()["rows"], r.json()["graph"]]) for r in answers]
    texts.append(client.post("/api/v1/hunt", headers=keys["hunter"], json={
        "query": f"LOAD CSV FROM 'file://{neo4j_settings.auth_db}' AS l RETURN l"}).text)
    texts.append(run_cli(cli_env, "hunt", "MATCH (n) RETURN n", "--format", "json").stdout)
    for text in texts:
        assert "ApiKey" not in text and "SavedQuery" not in text
        for secret in secrets_:
            assert secret not in text
    mode = stat.S_IMODE(neo4j_settings.auth_db.stat().st_mode)
    assert mode == 0o600, oct(mode)
    with sqlite3.connect(neo4j_settings.auth_db) as db:
        salt, hashed = db.execute("SELECT salt, hash FROM api_keys LIMIT 1").fetchone()
    assert len(hashed) == 64 and len(salt) == 32          # scrypt, 32 bytes, per-key salt


def test_old_auth_nodes_move_out_of_the_graph(graph, neo4j_settings):
    graph.write("CREATE (:ApiKey {id: 'k1', salt: 'aa', hash: 'bb', role: 'admin'}), "
                "(:SavedQuery {id: 'old-one', title: 'Old', query: 'MATCH (n) RETURN n', params: '{}'})")
    client, keys = api_client(graph, neo4j_settings)
    assert graph.read("MATCH (n) WHERE n:ApiKey OR n:SavedQuery RETURN count(n) AS n")[0]["n"] == 0
    moved = client.get("/api/v1/queries/old-one", headers=keys["reader"]).json()
    assert moved["owner"] == "admin" and moved["query"] == "MATCH (n) RETURN n"


def test_the_20th_bad_key_in_a_second_is_429_and_the_secret_is_not_logged(graph, neo4j_settings, caplog):
    client, keys = api_client(graph, neo4j_settings)
    bad = "cm_0123456789abcdef_" + "wrong" * 8
    caplog.set_level(logging.WARNING, logger="cloudmap.api.auth")
    answers = [client.get("/api/v1/findings", headers={"Authorization": f"Bearer {bad}"}) for _ in range(20)]
    codes = [r.status_code for r in answers]
    assert codes[:10] == [401] * 10 and codes[19] == 429, codes
    assert int(answers[19].headers["retry-after"]) >= 1
    assert "wrong" not in caplog.text and "0123456789abcdef" in caplog.text
    # the same client with a wrong secret for a real key id is blocked too, and the key id is limited on its own
    real_id = keys["reader"]["Authorization"].split("_")[1]
    assert client.get("/api/v1/findings", headers={"X-API-Key": f"cm_{real_id}_{'x' * 30}"}).status_code == 429


def test_hunts_and_analyses_are_rate_limited_per_key(graph, neo4j_settings):
    client, keys = api_client(graph, neo4j_settings, hunts_per_minute=3, analyses_per_hour=1)
    codes = [client.post("/api/v1/hunt", headers=keys["hunter"], json={"query": "RETURN 1 AS x"}).status_code
             for _ in range(4)]
    assert codes == [200, 200, 200, 429]
    assert client.post("/api/v1/hunt", headers=keys["admin"], json={"query": "RETURN 1 AS x"}).status_code == 200
    r = client.post("/api/v1/queries/open-findings-by-rule/run", headers=keys["hunter"])
    assert r.status_code == 429 and int(r.headers["retry-after"]) >= 1
    first = client.post("/api/v1/analyses", headers=keys["admin"])
    assert first.status_code in (202, 409)
    r = client.post("/api/v1/analyses", headers=keys["admin"])
    assert r.status_code == 429 and int(r.headers["retry-after"]) > 60
    if first.status_code == 202:   # the job must not write into the next test's graph
        wait_for_analysis(client, first.json()["id"], keys["admin"])


def test_security_headers_on_every_response(graph, neo4j_settings):
    client, keys = api_client(graph, neo4j_settings)
    answers = [client.get("/api/v1/health"), client.get("/api/v1/findings"),
               client.post("/api/v1/keys", headers=keys["admin"], json={"name": "n", "role": "reader"}),
               client.get("/api/v1/no-such", headers=keys["reader"]), client.get("/api/v1/docs")]
    for r in answers:
        for name, value in SECURITY_HEADERS.items():
            assert r.headers.get(name) == value, (r.url, name, dict(r.headers))
        assert "frame-ancestors 'none'" in r.headers["content-security-policy"]
    assert answers[2].status_code == 201 and answers[2].json()["token"].startswith("cm_")


def test_bodies_are_capped_while_read_and_auth_comes_first(graph, neo4j_settings):
    client, keys = api_client(graph, neo4j_settings)

    def chunks(total):
        for _ in range(total // 65536):
            yield b"x" * 65536

    r = client.post("/api/v1/hunt", content=chunks(3_000_000), headers={"Content-Type": "application/json"})
    assert r.status_code == 401                              # no key: answered before the body is read
    r = client.post("/api/v1/hunt", content=chunks(3_000_000),
                    headers={**keys["hunter"], "Content-Type": "application/json"})
    assert r.status_code == 413 and "1000000 bytes" in r.json()["detail"]
    r = client.post("/api/v1/hunt", content=b"{}", headers={**keys["hunter"], "Content-Length": "50000000"})
    assert r.status_code == 413


def test_hunt_responses_are_capped_in_bytes_and_per_value(graph, neo4j_settings):
    client, keys = api_client(graph, neo4j_settings)
    big = "RETURN [x IN range(1, 10000) | reduce(s = '', n IN [1] | s + '" + "x" * 1000 + "')] AS big"
    r = client.post("/api/v1/hunt", headers=keys["hunter"], json={"query": big})
    assert r.status_code == 200 and r.json()["truncated"] is True and len(r.content) < 10_000_000
    long_value = "WITH '" + "y" * 1000 + "' AS s RETURN [x IN range(1, 200) | s] AS parts, " \
                 "reduce(t = '', p IN [x IN range(1, 200) | s] | t + p) AS joined"
    r = client.post("/api/v1/hunt", headers=keys["hunter"], json={"query": long_value})
    assert r.status_code == 400                              # a string-building reduce() is refused
    r = client.post("/api/v1/hunt", headers=keys["hunter"], json={"query": "UNWIND range(1, 5000) AS x RETURN x"})
    assert r.json()["truncated"] is True


def test_no_auth_checks_host_and_refuses_cross_origin_changes(graph, neo4j_settings):
    client, _ = api_client(graph, neo4j_settings, auth=False)
    local = {"Host": "127.0.0.1:8000"}
    assert client.get("/api/v1/findings", headers={"Host": "attacker.example"}).status_code == 421
    assert client.get("/api/v1/findings", headers=local).status_code == 200
    assert client.get("/api/v1/findings", headers={"Host": "localhost:8000"}).status_code == 200
    r = client.post("/api/v1/analyses", headers={**local, "Origin": "http://evil.example",
                                                 "Content-Type": "application/json"})
    assert r.status_code == 403 and "cross-origin" in r.json()["detail"]
    r = client.post("/api/v1/analyses", headers={**local, "Content-Type": "text/plain"}, content=b"x")
    assert r.status_code == 415                             # no simple (form-like) requests
    r = client.post("/api/v1/hunt", headers={**local, "Origin": "http://localhost:8000"},
                    json={"query": "RETURN 1 AS one"})
    assert r.status_code == 200


def test_a_tampered_cursor_is_a_400(graph, neo4j_settings):
    graph.write("UNWIND range(1, 5) AS i CREATE (:Asset:VirtualMachine {id: 'vm-' + i, name: 'vm'})")
    client, keys = api_client(graph, neo4j_settings)
    page = client.get("/api/v1/assets", params={"limit": 2}, headers=keys["reader"]).json()
    cursor = page["next_cursor"]
    assert client.get("/api/v1/assets", params={"limit": 2, "cursor": cursor}, headers=keys["reader"]).status_code == 200
    payload, mac = cursor.rsplit(".", 1)
    import base64
    forged = base64.urlsafe_b64encode(b'[{"dt": 5}]').decode()
    for bad in (payload + "." + mac[::-1], forged + "." + mac, payload, "abc", cursor + "x"):
        for path in ("/api/v1/assets", "/api/v1/findings"):
            r = client.get(path, params={"cursor": bad}, headers=keys["reader"])
            assert r.status_code == 400 and "cursor" in r.json()["detail"], (path, bad, r.text)


def test_error_bodies_carry_no_internals(graph, neo4j_settings):
    client, keys = api_client(graph, neo4j_settings)
    for query in ("MATCH (n RETURN n", "RETURN 1/0", "RETURN toInteger([])", "CALL db.nope()"):
        r = client.post("/api/v1/hunt", headers=keys["hunter"], json={"query": query})
        assert r.status_code == 400
        text = r.text
        assert "org.neo4j" not in text and "Traceback" not in text and "password" not in text.lower()
        assert neo4j_settings.neo4j_password.get_secret_value() not in text


def test_keys_created_on_the_cli_work_and_are_stored_outside_the_graph(graph, cli_env, neo4j_settings):
    proc = run_cli(cli_env, "apikeys", "create", "--role", "reader", "--name", "cli-made")
    assert proc.returncode == 0, proc.stderr
    token = proc.stdout.strip().splitlines()[-1]
    client, _ = api_client(graph, neo4j_settings)
    assert client.get("/api/v1/findings", headers={"Authorization": f"Bearer {token}"}).status_code == 200
    listed = run_cli(cli_env, "apikeys", "list", "--format", "json").stdout
    assert "cli-made" in listed and token.split("_", 2)[2] not in listed
    assert graph.read("MATCH (n) WHERE n:ApiKey OR n.name = 'cli-made' "
                      "OR any(k IN keys(n) WHERE k IN ['salt', 'hash', 'key_hash', 'secret']) "
                      "RETURN collect(labels(n)) AS n")[0]["n"] == [], "no key material in the graph"
    assert create_key(open_store(neo4j_settings), "x", "reader")[1] != token


def test_the_local_server_bounds_transactions_and_keeps_its_home_private(tmp_path):
    from cloudmap.db.server import LocalServer

    server = LocalServer(tmp_path / "home", bolt_port=1, http_port=2, password="p", heap="512m", data_dir=tmp_path,
                         neo4j_version="5", browser_version="5", tx_timeout="90s", tx_memory="128m")
    server.make_home()
    server.write_conf()
    conf = (tmp_path / "home" / "conf" / "neo4j.conf").read_text()
    for line in ("db.transaction.timeout=90s", "db.memory.transaction.max=128m",
                 "dbms.memory.transaction.total.max=367001k", "dbms.security.allow_csv_import_from_file_urls=false"):
        assert line in conf
    assert "server.directories.import" not in conf and not (tmp_path / "home" / "import").exists()
    for path in (tmp_path / "home", tmp_path / "home" / "data", tmp_path / "home" / "logs"):
        assert stat.S_IMODE(path.stat().st_mode) == 0o700, path
    assert stat.S_IMODE((tmp_path / "home" / "conf" / "neo4j.conf").stat().st_mode) == 0o600

