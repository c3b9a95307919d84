"""'Admin of account X' as a target, built through real IAM calls in moto: self-escalation by
CreatePolicyVersion on one's own policy and AddUserToGroup into an admin group reach the account;
each twin decoy differs in the one fact that breaks the path."""

from __future__ import annotations

import json

import boto3
import pytest
from cloudmap.loaders.aws import load as load_account
from moto import mock_aws

from cloudmap.engine import derive

REGION = "eu-west-1"


def _doc(*statements) -> str:
    return json.dumps({"Version": "2012-10-17", "Statement": list(statements)})


def _allow(action, resource="*"):
    return {"Effect": "Allow", "Action": action, "Resource": resource}


@pytest.fixture(scope="module")
def estate(_session_graph, tmp_path_factory):
    graph = _session_graph
    graph.write("MATCH (n) WHERE NOT n:SchemaVersion DETACH DELETE n")
    env = {"AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing", "AWS_DEFAULT_REGION": REGION,
           "MOTO_IAM_LOAD_MANAGED_POLICIES": "false"}
    mp = pytest.MonkeyPatch()
    for k, v in env.items():
        mp.setenv(k, v)
    mp.delenv("AWS_PROFILE", raising=False)
    mp.delenv("AWS_ENDPOINT_URL", raising=False)
    with mock_aws():
        session = boto3.Session(region_name=REGION)
        iam = session.client("iam")
        account = session.client("sts").get_caller_identity()["Account"]
        admin_doc = _doc(_allow("*"))
        ids = {"account": f"arn:aws:iam::{account}:root"}
        # self-escalation: a user allowed CreatePolicyVersion on the managed policy attached to itself
        for name, boundary in (("dev", None), ("dev-denied", True)):
            user = iam.create_user(UserName=name)["User"]["Arn"]
            iam.create_access_key(UserName=name)
            pol = iam.create_policy(PolicyName=f"{name}-self", PolicyDocument=_doc(
                _allow(["iam:CreatePolicyVersion", "iam:GetPolicy"], f"arn:aws:iam::{account}:policy/{name}-self")))
            iam.attach_user_policy(UserName=name, PolicyArn=pol["Policy"]["Arn"])
            if boundary:   # the decoy: an explicit deny of the one action the escalation needs
                iam.put_user_policy(UserName=name, PolicyName="deny-policy-writes", PolicyDocument=_doc(
                    {"Effect": "Deny", "Action": "iam:CreatePolicyVersion", "Resource": "*"}))
            ids[name] = user
        # group escalation: AddUserToGroup into an admin group; the decoy group is not admin
        for group, doc in (("admins", admin_doc), ("readers", _doc(_allow("s3:GetObject")))):
            iam.create_group(GroupName=group)
            iam.put_group_policy(GroupName=group, PolicyName=f"{group}-policy", PolicyDocument=doc)
            ids[group] = f"arn:aws:iam::{account}:group/{group}"
        user = iam.create_user(UserName="helpdesk")["User"]["Arn"]
        iam.create_access_key(UserName="helpdesk")
        iam.put_user_policy(UserName="helpdesk", PolicyName="join", PolicyDocument=_doc(
            _allow("iam:AddUserToGroup", [ids["admins"], ids["readers"]])))
        ids["helpdesk"] = user
        load_account(graph, session, [REGION])
    mp.undo()
    summary = derive(graph)
    assert summary["status"] == "ok", summary
    return graph, ids


def _escalations_to_account(graph, account):
    return {(r["s"], r["m"]) for r in graph.read(
        "MATCH (s)-[e:CAN_ESCALATE_TO]->(:Account {id: $a}) RETURN s.id AS s, e.method AS m", a=account)}


def test_create_policy_version_on_own_policy_reaches_account_admin(estate):
    graph, ids = estate
    esc = _escalations_to_account(graph, ids["account"])
    assert (ids["dev"], "iam:CreatePolicyVersion") in esc
    # decoy: an explicit deny of CreatePolicyVersion
    assert not any(s == ids["dev-denied"] for s, _ in esc)


def test_add_user_to_admin_group_reaches_account_admin(estate):
    graph, ids = estate
    admin_groups = {r["g"] for r in graph.read(
        "MATCH (g:Group)-[:CAN_ACCESS {level: 'admin'}]->(:Account {id: $a}) RETURN g.id AS g", a=ids["account"])}
    assert admin_groups == {ids["admins"]}          # decoy: the readers group is no admin
    hops = graph.read("""
        MATCH p = SHORTEST 1 (u {id: $u})-[:CAN_ESCALATE_TO]->(g:Group)-[:CAN_ACCESS {level: 'admin'}]->(:Account {id: $a})
        RETURN g.id AS g, length(p) AS hops""", u=ids["helpdesk"], a=ids["account"])
    assert hops == [{"g": ids["admins"], "hops": 2}]
