"""Credentials in configuration read from files, through the real CLI: an Azure export with App
Service app settings and connection strings, a kubectl file with pod environments and ConfigMaps, a
Terraform state. The IAM users whose keys they hold come from a moto account loaded first: one whose
key is active, one whose key is inactive, one deleted. Every location has its decoys (configuration
without a credential, the inactive key, the deleted user's key). Planted values are built here.
Asserts the findings and levels, that no planted value is in the graph, the server logs or the CLI
output, and that a reload keeps every fingerprint."""

from __future__ import annotations

import json
import os

import boto3
import pytest
from cloudmap.loaders.aws import load as load_account
from moto import mock_aws

from tests.conftest import wipe
from tests.helpers import assert_nowhere, cli_json, graph_text, moto_env, run_cli

pytestmark = pytest.mark.neo4j

RULE = "CM-CRED-003"
REGION = "us-east-1"
ACCOUNT = "123456789012"
SUB = "5f1e6a7b-1111-4222-8333-444455556666"
RG = f"/subscriptions/{SUB}/resourceGroups/rg-web"
STORAGE = f"/subscriptions/{SUB}/resourcegroups/rg-web/providers/microsoft.storage/storageaccounts/acmeshop"
SITES = {name: f"{RG}/providers/Microsoft.Web/sites/{name}" for name in ("shop", "blog", "legacy", "ghost")}
CLUSTER = "prod"
POD = f"kubernetes:{CLUSTER}/namespaces/shop/pods/"
CONFIG_MAP = f"kubernetes:{CLUSTER}/namespaces/shop/configmaps/"
STATE = "terraform-state:infra"
PCI_BUCKET = "acme-pci-exports"


def iam_users(session: boto3.Session) -> dict[str, tuple[str, str]]:
    """builder (active key, reads and writes the PCI bucket), retired (inactive key), ghost (deleted with its key)."""
    iam, s3 = session.client("iam"), session.client("s3", region_name=REGION)
    s3.create_bucket(Bucket=PCI_BUCKET)
    s3.put_bucket_tagging(Bucket=PCI_BUCKET, Tagging={"TagSet": [{"Key": "data-classification", "Value": "pci"}]})
    read = json.dumps({"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": ["s3:GetObject", "s3:PutObject"],
                                                               "Resource": f"arn:aws:s3:::{PCI_BUCKET}/*"}]})
    keys = {}
    for name in ("builder", "retired", "ghost"):
        iam.create_user(UserName=name)
        iam.put_user_policy(UserName=name, PolicyName="read", PolicyDocument=read)
        key = iam.create_access_key(UserName=name)["AccessKey"]
        keys[name] = (key["AccessKeyId"], key["SecretAccessKey"])
    iam.update_access_key(UserName="retired", AccessKeyId=keys["retired"][0], Status="Inactive")
    iam.delete_access_key(UserName="ghost", AccessKeyId=keys["ghost"][0])
    iam.delete_user_policy(UserName="ghost", PolicyName="read")
    iam.delete_user(UserName="ghost")
    return keys


def planted(keys: dict[str, tuple[str, str]]) -> dict[str, str]:
    return {"account_key": "Zm9v" * 16 + "YmFy" * 6 + "==", "db_password": "Tf-" + "p9K" * 4 + "$",
            **{f"{name}_secret": secret for name, (_, secret) in keys.items()}}


def pair(key: tuple[str, str]) -> dict[str, str]:
    return {"AWS_ACCESS_KEY_ID": key[0], "AWS_SECRET_ACCESS_KEY": key[1]}


def azure_export(p: dict, keys: dict) -> list[dict]:
    conn = f"DefaultEndpointsProtocol=https;AccountName=acmeshop;AccountKey={p['account_key']};EndpointSuffix=core.windows.net"

    def site(name: str) -> dict:
        return {"id": SITES[name], "name": name, "type": "microsoft.web/sites", "kind": "app", "location": "westeurope",
                "subscriptionId": SUB, "properties": {"httpsOnly": True, "state": "Running"}, "tags": {}}

    def config(name: str, section: str, props: dict) -> dict:
        return {"id": f"{SITES[name]}/config/{section}", "name": section, "type": "Microsoft.Web/sites/config",
                "subscriptionId": SUB, "properties": props}

    return [
        {"id": STORAGE, "name": "acmeshop", "type": "microsoft.storage/storageaccounts", "location": "westeurope",
         "subscriptionId": SUB, "properties": {"allowBlobPublicAccess": False}, "tags": {}},
        *(site(name) for name in SITES),
        config("shop", "connectionstrings", {"Storage": {"value": conn, "type": "Custom"}}),
        config("blog", "appsettings", {"WEBSITE_RUN_FROM_PACKAGE": "1", "THEME": "dark",     # decoy: no credential
                                       "STORAGE_KEY": "@Microsoft.KeyVault(SecretUri=https://kv/x)"}),
        config("legacy", "appsettings", pair(keys["retired"])),                              # decoy: inactive key
        config("ghost", "appsettings", pair(keys["ghost"])),                                 # decoy: deleted user
    ]


def kubectl(p: dict, keys: dict) -> dict:
    def pod(name: str, env: dict | list) -> dict:
        env = env if isinstance(env, list) else [{"name": k, "value": v} for k, v in env.items()]
        return {"kind": "Pod", "metadata": {"name": name, "namespace": "shop"},
                "spec": {"containers": [{"name": "app", "image": "nginx:1.25", "env": env}]}, "status": {"phase": "Running"}}

    def config_map(name: str, data: dict) -> dict:
        return {"kind": "ConfigMap", "metadata": {"name": name, "namespace": "shop"}, "data": data}

    def properties(key: tuple[str, str]) -> str:
        return f"aws.accessKeyId={key[0]}\naws.secretAccessKey={key[1]}\n"

    return {"kind": "List", "items": [
        {"kind": "Namespace", "metadata": {"name": "shop"}},
        pod("release-bot", pair(keys["builder"])),
        pod("api", [{"name": "AWS_SECRET_ACCESS_KEY", "valueFrom": {"secretKeyRef": {"name": "aws", "key": "secret"}}},
                    {"name": "LOG_LEVEL", "value": "info"}]),                                 # decoy: no credential
        pod("old-worker", pair(keys["retired"])),                                            # decoy: inactive key
        pod("ghost-worker", pair(keys["ghost"])),                                            # decoy: deleted user
        config_map("storage", {"app.properties": "storage.account=acmeshop\nstorage.connection=DefaultEndpointsProtocol="
                                                 f"https;AccountName=acmeshop;AccountKey={p['account_key']}\n"}),
        config_map("plain", {"LOG_LEVEL": "info"}),                                          # decoy: no credential
        config_map("old-keys", {"aws.properties": properties(keys["retired"])}),             # decoy: inactive key
        config_map("ghost-keys", {"aws.properties": properties(keys["ghost"])}),             # decoy: deleted user
    ]}


def tfstate(p: dict, keys: dict) -> dict:
    def db(name: str, password, tags: dict) -> dict:
        address = f"{name}.c1abc.us-east-1.rds.amazonaws.com"
        return {"address": f"aws_db_instance.{name}", "mode": "managed", "type": "aws_db_instance", "name": name,
                "provider_name": "registry.terraform.io/hashicorp/aws",
                "values": {"id": f"db-{name.upper()}", "identifier": name,
                           "arn": f"arn:aws:rds:us-east-1:{ACCOUNT}:db:{name}", "engine": "postgres",
                           "address": address, "endpoint": f"{address}:5432", "port": 5432, "username": "app",
                           "password": password, "tags": tags, "tags_all": tags}}

    def deploy(name: str, key: tuple[str, str]) -> dict:
        return {"address": f"null_resource.{name}", "mode": "managed", "type": "null_resource", "name": name,
                "provider_name": "registry.terraform.io/hashicorp/null", "values": {"id": "1", "triggers": pair(key)}}

    return {"format_version": "1.0", "terraform_version": "1.9.0", "values": {"root_module": {"resources": [
        db("ledger", p["db_password"], {"data-classification": "pci"}),
        db("wiki", None, {}),               # decoy: the password is managed by RDS, nothing in state
        deploy("old", keys["retired"]),     # decoy: inactive key
        deploy("ghost", keys["ghost"]),     # decoy: deleted user
    ]}}}


@pytest.fixture(scope="module")
def loaded(_session_graph, neo4j_env, neo4j_logs, tmp_path_factory):
    graph = _session_graph
    wipe(graph)
    mp = moto_env(REGION)
    try:
        with mock_aws():
            session = boto3.Session(region_name=REGION)
            keys = iam_users(session)
            load_account(graph, session, regions=[REGION])
    finally:
        mp.undo()
    p = planted(keys)
    d = tmp_path_factory.mktemp("files")
    (d / "azure.json").write_text(json.dumps(azure_export(p, keys)))
    (d / "k8s.json").write_text(json.dumps(kubectl(p, keys)))
    (d / "infra.json").write_text(json.dumps(tfstate(p, keys)))
    env = {k: v for k, v in os.environ.items() if not k.startswith(("NEO4J_", "CLOUDMAP_"))}
    env.update(neo4j_env)
    env.update({"CLOUDMAP_CONFIG": str(d / "config.toml"), "NO_COLOR": "1"})
    loads = [("load", "azure", "--export", str(d / "azure.json"), "--format", "json"),
             ("load", "kubernetes", "--file", str(d / "k8s.json"), "--cluster-id", CLUSTER, "--format", "json"),
             ("load", "terraform", str(d / "infra.json"), "--format", "json")]
    outputs = []
    for args in loads:
        proc = run_cli(env, *args)
        assert proc.returncode == 0, proc.stderr + proc.stdout
        outputs.append(proc.stdout + proc.stderr)
    analysis = run_cli(env, "analyze", "--format", "json")
    assert analysis.returncode == 0, analysis.stderr
    first = _fingerprints(graph)
    findings = cli_json(env, "findings", "--rule", RULE, "--format", "json")
    table = run_cli(env, "findings", "--rule", RULE)
    for args in loads:   # reload: the fingerprints stay
        proc = run_cli(env, *args)
        assert proc.returncode == 0, proc.stderr + proc.stdout
        outputs.append(proc.stdout + proc.stderr)
    again = cli_json(env, "analyze", "--format", "json")
    return {"graph": graph, "env": env, "dir": d, "planted": p, "keys": keys, "first": first, "findings": findings, "again": again,
            "logs": neo4j_logs() if neo4j_logs else "",
            "output": "\n".join([*outputs, analysis.stdout, analysis.stderr, table.stdout, table.stderr,
                                 json.dumps(findings)])}


def _fingerprints(graph) -> set[tuple]:
    return {(r["h"], r["c"]) for r in graph.read(
        "MATCH (h)-[:HOLDS_CREDENTIAL]->(c:Credential) RETURN h.id AS h, c.fingerprint AS c")}


def test_file_sources_findings_and_levels(loaded):
    graph = loaded["graph"]
    got = {(r["entry"], r["target"]): r["level"] for r in graph.read(
        "MATCH (f:Finding {rule_id: $rule, status: 'open'}) RETURN f.entry_id AS entry, f.target_id AS target, "
        "f.level AS level", rule=RULE)}
    ledger = graph.read("MATCH (d:Database {name: 'ledger'}) RETURN d.id AS id")[0]["id"]
    builder = f"arn:aws:iam::{ACCOUNT}:user/builder"
    assert got == {
        (SITES["shop"].lower(), STORAGE): "medium",          # App Service connection string -> storage account
        (CONFIG_MAP + "storage", STORAGE): "medium",         # the same key in a ConfigMap
        (POD + "release-bot", builder): "high",              # an active key whose user writes PCI data
        (STATE, ledger): "high",                             # the state holds the classified database's password
    }
    # one key in two places is one credential; the shop app itself can use it
    assert graph.read("MATCH (a {id: $a})-[:HOLDS_CREDENTIAL]->(c)<-[:HOLDS_CREDENTIAL]-(:KubernetesConfigMap) "
                      "RETURN count(c) AS n", a=SITES["shop"].lower())[0]["n"] == 1
    assert graph.read("MATCH ({id: $a})-[r:CAN_ACCESS {derived_by: 'config-credentials'}]->({id: $s}) "
                      "RETURN r.level AS level", a=SITES["shop"].lower(), s=STORAGE) == [{"level": "write"}]
    assert graph.read("MATCH ({id: $p})-[r:CAN_AUTHENTICATE_AS]->({id: $u}) RETURN r.via AS via",
                      p=POD + "release-bot", u=builder) == [{"via": "credential-in-pod-environment"}]


def test_file_sources_decoys(loaded):
    graph, keys = loaded["graph"], loaded["keys"]
    held = {r["h"]: r["k"] for r in graph.read("MATCH (h)-[:HOLDS_CREDENTIAL]->(c) RETURN h.id AS h, c.access_key_id AS k")}
    for plain in (SITES["blog"].lower(), POD + "api", CONFIG_MAP + "plain"):
        assert plain not in held, plain                      # configuration without a credential
    assert graph.read("MATCH (c:KubernetesConfigMap {name: 'plain'}) RETURN c") == []
    decoys = {SITES["legacy"].lower(): "retired", SITES["ghost"].lower(): "ghost", POD + "old-worker": "retired",
              POD + "ghost-worker": "ghost", CONFIG_MAP + "old-keys": "retired", CONFIG_MAP + "ghost-keys": "ghost"}
    for holder, user in decoys.items():                      # found, but the key opens nothing
        assert held.get(holder) == keys[user][0], holder
        assert graph.read("MATCH ({id: $h})-[:EXPOSES_CREDENTIAL]->() RETURN 1", h=holder) == [], holder
    state_keys = {r["k"] for r in graph.read("MATCH ({id: $s})-[:HOLDS_CREDENTIAL]->(c) RETURN c.access_key_id AS k",
                                             s=STATE)}
    assert {keys["retired"][0], keys["ghost"][0]} <= state_keys
    assert graph.read("MATCH ({id: $s})-[:EXPOSES_CREDENTIAL]->(o) RETURN o.name AS name", s=STATE) == [{"name": "ledger"}]


def test_file_sources_leak_nothing_and_reload_is_stable(loaded):
    graph = loaded["graph"]
    assert_nowhere(list(loaded["planted"].values()), graph=graph_text(graph), output=loaded["output"],
                   logs=loaded["logs"])
    assert loaded["first"] and _fingerprints(graph) == loaded["first"]
    assert loaded["again"]["findings"]["new"] == 0


def test_malformed_config_map_is_one_error_and_the_graph_is_unchanged(loaded):
    graph, d = loaded["graph"], loaded["dir"]
    count = "MATCH (n) WITH count(n) AS n OPTIONAL MATCH ()-[r]->() RETURN n, count(r) AS r"
    before = graph.read(count)
    bad = d / "bad.json"
    bad.write_text(json.dumps({"kind": "List", "items": [
        {"kind": "ConfigMap", "metadata": {"name": "broken", "namespace": "shop"}, "data": "not-an-object"}]}))
    proc = run_cli(loaded["env"], "load", "kubernetes", "--file", str(bad), "--cluster-id", CLUSTER)
    assert proc.returncode == 1
    assert "bad.json: items[0]: field 'data' must be an object" in proc.stderr, proc.stderr
    assert graph.read(count) == before
