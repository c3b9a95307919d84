"""Reading an RDS snapshot takes two requests: RestoreDBInstanceFromDBSnapshot creates an instance whose
master password only rds:ModifyDBInstance on that new instance can reset. CAN_ACCESS to a snapshot
needs both; restoring alone is no read."""

from __future__ import annotations

import json

from cloudmap.engine.iam_model import IamModel, Principal, safe_statements
from cloudmap.engine.identity import aws_access

ACCT = "111111111111"
SNAP = f"arn:aws:rds:eu-west-1:{ACCT}:snapshot:orders-snap"


def principal(name: str, *statements) -> Principal:
    arn = f"arn:aws:iam::{ACCT}:user/{name}"
    doc = json.dumps({"Version": "2012-10-17", "Statement": list(statements)})
    p = Principal(arn, "User", ACCT, [(f"{arn}#inline", doc, "own")], [], None, None)
    p.statements = safe_statements([(f"{arn}#inline", doc)], print)
    return p


def access(*principals) -> dict[str, tuple[str, list[str]]]:
    model = IamModel()
    for p in principals:
        model.add(p)
    target = {"id": SNAP, "account": ACCT, "policy": None, "labels": ["Asset", "DataStore", "Snapshot"]}
    return {e["source"].rsplit("/", 1)[1]: (e["level"], e["actions"]) for e in aws_access(model, [target])}


def test_restore_counts_only_with_modify_on_the_new_instance():
    restore = {"Effect": "Allow", "Action": "rds:RestoreDBInstanceFromDBSnapshot", "Resource": "*"}
    modify = {"Effect": "Allow", "Action": "rds:ModifyDBInstance", "Resource": f"arn:aws:rds:eu-west-1:{ACCT}:db:*"}
    found = access(principal("dba", restore, modify), principal("restore-only", restore),
                   principal("modify-denied", restore, {**modify, "Resource": "*"},
                             {"Effect": "Deny", "Action": "rds:ModifyDBInstance", "Resource": "*"}))
    assert found == {"dba": ("read", ["rds:RestoreDBInstanceFromDBSnapshot"])}
