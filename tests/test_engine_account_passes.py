"""The identity step in passes of accounts gives the same edges as one pass over the whole estate: access,
assumption and escalation across accounts come from the cross-account index, principals and targets of no
known account are judged everywhere, and each pass's edges are written once."""

from __future__ import annotations

import json

import pytest

from cloudmap.engine import account_passes, derive

A, B, C = "111111111111", "222222222222", "333333333333"


def doc(*statements) -> str:
    return json.dumps({"Version": "2012-10-17", "Statement": list(statements)})


def allow(action, resource="*", **extra) -> dict:
    return {"Effect": "Allow", "Action": action, "Resource": resource, **extra}


def trust(principal) -> str:
    return doc({"Effect": "Allow", "Principal": principal, "Action": "sts:AssumeRole"})


def arn(account: str, kind: str, name: str) -> str:
    return f"arn:aws:iam::{account}:{kind}/{name}"


# (id, label, account, trust policy, identity policy)
PRINCIPALS = [
    (arn(A, "role", "app"), "Role", A, trust({"Service": "ec2.amazonaws.com"}),
     doc(allow(["s3:GetObject", "s3:ListBucket", "kms:Decrypt", "sts:AssumeRole"]))),
    (arn(A, "user", "dev"), "User", A, None, doc(allow("iam:AttachUserPolicy", arn(A, "user", "dev")),
                                                 allow("sts:AssumeRole"))),
    (arn(B, "role", "reader"), "Role", B, trust({"AWS": f"arn:aws:iam::{A}:root"}), doc(allow("s3:*"))),
    (arn(B, "role", "admin"), "Role", B, trust({"AWS": arn(A, "user", "dev")}), doc(allow("*"))),
    (arn(B, "user", "ops"), "User", B, None, doc(allow("iam:AddUserToGroup"), allow("s3:GetObject"))),
    (arn(C, "role", "open"), "Role", C, trust({"AWS": "*"}), doc(allow("secretsmanager:GetSecretValue"))),
    (arn(C, "role", "local"), "Role", C, trust({"AWS": f"arn:aws:iam::{C}:root"}), doc(allow("s3:GetObject"))),
    ("legacy-user", "User", None, None, doc(allow("s3:GetObject"))),   # of no known account
]

# (id, labels, account, resource policy)
TARGETS = [
    ("arn:aws:s3:::a-cards", "DataStore:Bucket", A, doc(allow("s3:GetObject", "arn:aws:s3:::a-cards/*",
                                                              Principal={"AWS": arn(B, "user", "ops")}))),
    ("arn:aws:s3:::a-logs", "DataStore:Bucket", A, None),
    ("arn:aws:s3:::b-data", "DataStore:Bucket", B, doc(allow("s3:GetObject", "arn:aws:s3:::b-data/*",
                                                             Principal={"AWS": A}))),
    (f"arn:aws:kms:eu-west-1:{C}:key/k1", "Key", C, doc(allow("kms:*", Principal={"AWS": f"arn:aws:iam::{C}:root"}),
                                                        allow("kms:Decrypt", Principal={"AWS": arn(A, "role", "app")}))),
    (f"arn:aws:secretsmanager:eu-west-1:{C}:secret:s1", "Secret", C, None),
    ("orphan-bucket", "DataStore:Bucket", None, None),   # of no known account
]

def build(graph) -> None:
    graph.write("UNWIND $accounts AS a CREATE (:Asset:Account:AWSAccount {id: a, account_id: a, provider: 'aws'})",
                accounts=[A, B, C])
    for pid, label, account, trust_doc, policy in PRINCIPALS:
        graph.write(f"CREATE (p:Asset:Identity:{label} {{id: $id, account_id: $account, provider: 'aws', "
                    "trust_policy: $trust}) "
                    "CREATE (p)-[:HAS_POLICY]->(:Asset:Policy {id: $id + '#inline', policy_type: 'inline', document: $doc})",
                    id=pid, account=account, trust=trust_doc, doc=policy)
    graph.write("""
        CREATE (g:Asset:Identity:Group {id: $g, account_id: $b, provider: 'aws'})
        CREATE (g)-[:HAS_POLICY]->(:Asset:Policy {id: $g + '#inline', policy_type: 'inline', document: $admin})""",
                g=arn(B, "group", "admins"), b=B, admin=doc(allow("*")))
    for tid, labels, account, policy in TARGETS:
        graph.write(f"CREATE (:Asset:{labels} {{id: $id, account_id: $account, provider: 'aws', resource_policy: $policy}})",
                    id=tid, account=account, policy=policy)
    graph.write("CREATE (:Asset:Identity:ExternalPrincipal:AWSExternalPrincipal {id: 'aws:external:999999999999', "
                "arn: 'arn:aws:iam::999999999999:root', principal_type: 'account'})")
    graph.write("MATCH (t:Bucket {id: 'arn:aws:s3:::a-logs'}) SET t.resource_policy = $p",
                p=doc(allow("s3:GetObject", "arn:aws:s3:::a-logs/*", Principal={"AWS": "999999999999"})))


def derived(graph) -> set[tuple]:
    """Every identity edge with its properties, less the run that wrote it."""
    return {(r["a"], r["t"], r["b"], json.dumps({k: v for k, v in r["p"].items() if k != "run_id"}, sort_keys=True))
            for r in graph.read("""
        MATCH (a)-[r]->(b) WHERE r.derived AND type(r) IN ['CAN_ACCESS', 'CAN_ASSUME', 'CAN_ESCALATE_TO']
        RETURN a.id AS a, type(r) AS t, b.id AS b, properties(r) AS p""")}


def test_passes_of_one_account_give_the_edges_of_one_pass(graph, monkeypatch):
    build(graph)
    monkeypatch.setattr(account_passes, "PASS_PAIRS", 10 ** 9)
    assert account_passes.plan(graph) == [[""], [A, B, C]]
    assert derive(graph)["status"] == "ok"
    whole = derived(graph)

    graph.write("MATCH ()-[r]->() WHERE r.derived DELETE r")
    monkeypatch.setattr(account_passes, "PASS_PAIRS", 1)
    assert account_passes.plan(graph) == [[""], [A], [B], [C]]
    assert derive(graph)["status"] == "ok"
    assert derived(graph) == whole

    moves = {(a, t, b) for a, t, b, _ in whole}
    # across accounts, through the policies that name the other side
    assert (arn(A, "role", "app"), "CAN_ASSUME", arn(B, "role", "reader")) in moves        # trusts A's root
    assert (arn(A, "user", "dev"), "CAN_ASSUME", arn(B, "role", "admin")) in moves        # trusts dev by ARN
    assert (arn(A, "role", "app"), "CAN_ASSUME", arn(B, "role", "admin")) not in moves    # ... and no one else
    assert (arn(A, "role", "app"), "CAN_ASSUME", arn(C, "role", "open")) in moves         # trusts everyone
    assert (arn(A, "role", "app"), "CAN_ASSUME", arn(C, "role", "local")) not in moves
    assert (arn(B, "user", "ops"), "CAN_ACCESS", "arn:aws:s3:::a-cards") in moves          # named by the bucket
    assert (arn(A, "role", "app"), "CAN_ACCESS", "arn:aws:s3:::b-data") in moves          # A named by account
    assert (arn(A, "role", "app"), "CAN_ACCESS", f"arn:aws:kms:eu-west-1:{C}:key/k1") in moves
    assert (arn(B, "role", "reader"), "CAN_ACCESS", "arn:aws:s3:::a-logs") not in moves   # no policy names B
    assert ("aws:external:999999999999", "CAN_ACCESS", "arn:aws:s3:::a-logs") in moves
    # of no known account: judged against every account's targets, and every account's principals
    assert ("legacy-user", "CAN_ACCESS", "arn:aws:s3:::b-data") in moves
    assert (arn(B, "role", "reader"), "CAN_ACCESS", "orphan-bucket") in moves
    # inside an account: escalation and admin
    assert (arn(A, "user", "dev"), "CAN_ESCALATE_TO", A) in moves
    assert (arn(B, "user", "ops"), "CAN_ESCALATE_TO", arn(B, "group", "admins")) in moves
    assert (arn(B, "group", "admins"), "CAN_ACCESS", B) in moves
    assert (arn(B, "role", "admin"), "CAN_ACCESS", B) in moves


def test_a_pass_holds_whole_accounts_up_to_its_size(graph, monkeypatch):
    build(graph)
    # (principals x targets) per account: A 2 x 2, B 4 x 1 (a group counts as a principal), C 2 x 2
    monkeypatch.setattr(account_passes, "PASS_PAIRS", 8)
    assert account_passes.plan(graph) == [[""], [A, B], [C]]
    assert account_passes.plan(graph, limit=3) == [[""], [A], [B], [C]]


@pytest.mark.parametrize("limit", [1, 10 ** 9])
def test_a_bad_row_in_a_late_pass_keeps_every_earlier_edge(graph, monkeypatch, limit):
    build(graph)
    assert derive(graph)["status"] == "ok"
    before = derived(graph)
    monkeypatch.setattr(account_passes, "PASS_PAIRS", limit)
    from cloudmap.engine import identity

    real = identity.aws_admins

    def broken(model, accounts):
        rows = list(real(model, accounts))
        if C in {p.account_id for p in model.principals.values()}:
            rows.append({"source": arn(C, "role", "open"), "target": C, "level": ["not", "a", "level"]})
        return iter(rows)

    monkeypatch.setattr(identity, "aws_admins", broken)
    graph.write("MATCH (:Role {id: $r})-[h:HAS_POLICY]->() DELETE h", r=arn(B, "role", "admin"))
    summary = derive(graph)
    assert [s["status"] for s in summary["steps"] if s["name"] == "identity"] == ["failed"]
    # nothing was swept: the admin role's old access is still there, as is every other edge
    assert {(a, t, b) for a, t, b, _ in derived(graph)} >= {(a, t, b) for a, t, b, _ in before}
