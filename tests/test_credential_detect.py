"""The credential detectors on their own: each recognizer fires on a planted value (built here) and
stays silent on the look-alike that is not a credential."""

from __future__ import annotations

import json
import os
import stat

import pytest
from cloudmap.loaders.credentials import fingerprint as fp
from cloudmap.loaders.credentials.detect import scan_json, scan_settings, scan_text

KEY_ID = "AKIA" + "Q3EGRIXKJ5ZT" + "6ABC"
SECRET = "wJalr" + "XUtnFEMI/K7MDENG/bPx" + "RfiCYzEXAMPLEKE"


@pytest.fixture(autouse=True)
def key_file(tmp_path, monkeypatch):
    path = tmp_path / "fingerprint.key"
    monkeypatch.setattr(fp, "key_path", lambda: path)
    return path


def kinds(found) -> set[tuple[str, str]]:
    return {(d.kind, d.where) for d in found}


def test_each_recognizer_fires():
    assert kinds(scan_settings({"AWS_ACCESS_KEY_ID": KEY_ID, "AWS_SECRET_ACCESS_KEY": SECRET})) == {
        ("aws-access-key", "AWS_SECRET_ACCESS_KEY")}
    [aws] = scan_settings({"AWS_ACCESS_KEY_ID": KEY_ID, "AWS_SECRET_ACCESS_KEY": SECRET})
    assert aws.access_key_id == KEY_ID
    [db] = scan_settings({"DB_HOST": "orders.c1.rds.amazonaws.com:5432", "DB_USER": "app", "DB_PASSWORD": "Tr0ub4" + "dor&3x"})
    assert (db.kind, db.host, db.user) == ("db-password", "orders.c1.rds.amazonaws.com", "app")
    [url] = scan_settings({"DATABASE_URL": "postgres://app:" + "S3cr3t" + "pw@orders.c1.rds.amazonaws.com/x"})
    assert (url.kind, url.host, url.user) == ("db-connection-string", "orders.c1.rds.amazonaws.com", "app")
    key = "A" * 20 + "b" * 20 + "C" * 24 + "=="
    [az] = scan_settings({"STORAGE": f"DefaultEndpointsProtocol=https;AccountName=acme;AccountKey={key}"})
    assert (az.kind, az.account) == ("azure-storage-key", "acme")
    [sas] = scan_settings({"BLOB": "https://acme.blob.core.windows.net/c?sv=2022-11-02&sp=r&se=2030-01-01&sig=" + "aB3" * 12})
    assert (sas.kind, sas.account) == ("azure-sas", "acme")
    tokens = scan_settings({"SLACK": "xoxb-" + "123456789012-" + "abcdefghijKLMNOP", "GH": "ghp_" + "a1B2" * 9,
                            "PAYMENTS_API_KEY": "sk_live_" + "4eC39HqLyjWDarjtT1zdp7dc"})
    assert {d.kind for d in tokens} == {"slack-token", "github-token", "api-token"}
    pem = "-----BEGIN RSA " + "PRIVATE KEY-----\nMIIE" + "q7Zr" * 16 + "\n-----END RSA PRIVATE KEY-----\n"
    assert kinds(scan_text("#!/bin/sh\n" + pem)) == {("private-key", "line 2")}
    sa = json.dumps({"type": "service_account", "private_key_id": "k1", "client_email": "ci@p.iam.gserviceaccount.com",
                     "private_key": pem})
    [gcp] = scan_text(sa)
    assert (gcp.kind, gcp.account) == ("gcp-service-account-key", "ci@p.iam.gserviceaccount.com")


def test_look_alikes_are_silent():
    assert scan_settings({
        "AWS_ACCESS_KEY_ID": KEY_ID,                    # a key id alone opens nothing
        "COMMIT": "3f786850e387550fdab836ed7e6dc881de23001b", "IMAGE": "nginx:1.25", "LOG_LEVEL": "debug",
        "DB_PASSWORD": "${DB_PASS}", "ADMIN_PASSWORD": "{{ vault.admin }}", "PASSWORD_POLICY": "strict-mode",
        "PWD": "/home/app", "API_URL": "https://api.example.com/v1", "SECRET_ARN": "arn:aws:secretsmanager:x",
        "KEY": "@Microsoft.KeyVault(SecretUri=https://kv.vault.azure.net/secrets/x)", "REGION": "eu-west-1",
        "DATABASE_URL": "postgres://orders.c1.rds.amazonaws.com:5432/orders"}) == []
    assert scan_text("#!/bin/bash\nyum install -y nginx\nexport DB_HOST=localhost\n") == []


def test_fingerprints_are_keyed_stable_and_never_the_value(key_file):
    a = scan_settings({"TOKEN": "ghp_" + "Zq8" * 12})[0].fingerprint
    assert a == scan_text("GITHUB=" + "ghp_" + "Zq8" * 12)[0].fingerprint     # same secret, other place
    assert "Zq8" not in a and stat.S_IMODE(os.stat(key_file).st_mode) == 0o600
    fp._key.cache_clear()
    assert scan_settings({"TOKEN": "ghp_" + "Zq8" * 12})[0].fingerprint == a     # the key is read back
    key_file.write_text(os.urandom(32).hex())
    fp._key.cache_clear()
    assert scan_settings({"TOKEN": "ghp_" + "Zq8" * 12})[0].fingerprint != a     # another installation


def test_json_leaves_keep_their_path():
    found = scan_json({"resources": [{"address": "db1", "password": "Pw" + "x9Q" * 4, "address_host": "db1.local"}]})
    assert kinds(found) == {("db-password", "resources[0].password")}
