"""Escalation derived from a real graph: the facts query (resources with roles, users' keys), SCP
levels read from APPLIES_TO targets, and the evidence written on CAN_ESCALATE_TO."""

from __future__ import annotations

import json

from cloudmap.engine import derive

ACCT = "111111111111"
A = f"arn:aws:iam::{ACCT}:"
DEV, VICTIM, DEPLOY = A + "user/dev", A + "user/victim", A + "role/deploy"
STACK = f"arn:aws:cloudformation:eu-west-1:{ACCT}:stack/net/1"
OTHER_STACK = f"arn:aws:cloudformation:eu-west-1:{ACCT}:stack/app/2"

GRAPH = """
CREATE (acct:Asset:Account:AWSAccount {id: $acct_arn, account_id: $acct, provider: 'aws'})
CREATE (dev:Asset:Identity:User:AWSUser {id: $dev, account_id: $acct, provider: 'aws', tags: ['team=blue']})
CREATE (victim:Asset:Identity:User:AWSUser {id: $victim, account_id: $acct, provider: 'aws'})
CREATE (deploy:Asset:Identity:Role:AWSRole {id: $deploy, account_id: $acct, provider: 'aws', trust_policy: $trust})
CREATE (dev)-[:HAS_POLICY]->(:Asset:Policy:AWSPolicy {id: 'dev-inline', policy_type: 'inline', document: $dev_doc})
CREATE (:Asset:Deployment:AWSCloudFormationStack {id: $stack, provider: 'aws', account_id: $acct})
       -[:USES_IDENTITY {via: 'stack-role'}]->(deploy)
CREATE (:Asset:Deployment:AWSCloudFormationStack {id: $other, provider: 'aws', account_id: $acct})
CREATE (root:Asset:Policy:AWSPolicy {id: 'scp-full', policy_type: 'scp', document: $all})-[:APPLIES_TO {targets: ['r-1', $acct]}]->(acct)
CREATE (ou:Asset:Policy:AWSPolicy {id: 'scp-ou', policy_type: 'scp', document: $ou_doc})-[:APPLIES_TO {targets: ['ou-1']}]->(acct)
"""


def doc(*statements):
    return json.dumps({"Version": "2012-10-17", "Statement": list(statements)})


def build(graph, ou_actions):
    dev_doc = doc({"Effect": "Allow", "Action": ["iam:CreateAccessKey", "cloudformation:UpdateStack"], "Resource": "*",
                   "Condition": {"StringEquals": {"aws:PrincipalTag/team": "blue"}}},
                  {"Effect": "Allow", "Action": "iam:UpdateLoginProfile", "Resource": VICTIM,
                   "Condition": {"Bool": {"aws:MultiFactorAuthPresent": "true"}}})
    graph.write(GRAPH, acct_arn=A + "root", acct=ACCT, dev=DEV, victim=VICTIM, deploy=DEPLOY, stack=STACK,
                other=OTHER_STACK, dev_doc=dev_doc, all=doc({"Effect": "Allow", "Action": "*", "Resource": "*"}),
                ou_doc=doc({"Effect": "Allow", "Action": ou_actions, "Resource": "*"}),
                trust=doc({"Effect": "Allow", "Principal": {"Service": "cloudformation.amazonaws.com"},
                           "Action": "sts:AssumeRole"}))
    graph.write("MATCH (v:User {id: $v}) SET v.has_console_password = true", v=VICTIM)
    assert derive(graph)["status"] == "ok"
    return {(r["a"], r["b"], r["id"]): r["p"] for r in graph.read(
        "MATCH (a)-[r:CAN_ESCALATE_TO]->(b) RETURN a.id AS a, b.id AS b, r.method_id AS id, properties(r) AS p")}


def test_escalation_edges_from_the_graph_with_their_evidence(graph):
    esc = build(graph, ["*"])
    stack = esc[(DEV, DEPLOY, "cloudformation-002")]       # only the stack that has a role leads anywhere
    assert stack["evidence"] == [STACK, "dev-inline"] and stack["conditional"] is False
    assert stack["steps"] == [f"cloudformation:UpdateStack on {STACK}"] and stack["method"] == "cloudformation:UpdateStack"
    assert esc[(DEV, VICTIM, "iam-002")]["conditional"] is False   # the principal tag condition holds
    mfa = esc[(DEV, VICTIM, "iam-006")]
    assert mfa["conditional"] is True and "aws:MultiFactorAuthPresent" in mfa["condition"]


def test_an_scp_at_one_ou_level_blocks_what_the_root_allows(graph):
    esc = build(graph, ["s3:*"])
    assert not {k for k in esc if k[0] == DEV}
