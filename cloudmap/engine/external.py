"""Moves of principals outside the loaded accounts (``AWSExternalPrincipal`` nodes, which the link pass
writes from the policies in the graph): assuming a role whose trust policy admits them, and reaching a
data store, secret or key whose resource policy names them.

The principal's own account is not in the graph and its administrator can grant it anything, so its side
counts as allowing everything: the trust or resource policy alone decides, denies included. What the
graph cannot settle (an ``sts:ExternalId``, a federated token's subject, an organization id) makes the
move conditional; path rules start only from unconditional ones."""

from __future__ import annotations

from collections.abc import Iterator

from cloudmap.engine import aws_policy
from cloudmap.engine.access_levels import AWS_PROBE_ORDER, AWS_PROBES, access_edge
from cloudmap.engine.aws_conditions import RequestContext
from cloudmap.engine.iam_model import IamModel
from cloudmap.graph.driver import Graph

OWN_ACCOUNT = aws_policy.parse_policy('{"Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*"}]}',
                                      "external-account#any-policy")
ANY_ACCOUNT = "arn:aws:iam::*:root"   # the caller a wildcard principal admits: it matches no named principal
# OIDC providers whose audience claim the caller sets (any workflow can ask for any audience)
CALLER_SET_AUDIENCE = ("token.actions.githubusercontent.com", "gitlab.com")


def externals(graph: Graph) -> list[dict]:
    return graph.read("MATCH (x:ExternalPrincipal) RETURN x.id AS id, x.arn AS arn, "
                      "x.principal_type AS type ORDER BY x.id")


def _caller(x: dict) -> tuple[str, str, RequestContext | None]:
    """(principal to match, action, what the caller controls) for one external principal."""
    if x["type"] == "anyone":
        return ANY_ACCOUNT, "sts:AssumeRole", None
    if x["type"] != "federated":
        return x["arn"], "sts:AssumeRole", None
    if ":saml-provider/" in x["arn"]:
        return x["arn"], "sts:AssumeRoleWithSAML", RequestContext(chosen=("saml:aud",))
    host = x["arn"].split("oidc-provider/", 1)[-1]
    chosen = (f"{host}:aud".lower(),) if host.split("/", 1)[0] in CALLER_SET_AUDIENCE else ()
    return x["arn"], "sts:AssumeRoleWithWebIdentity", RequestContext(chosen=chosen)


def _admitted(statements: tuple[aws_policy.Statement, ...], principal: str) -> bool:
    """Does an Allow statement name the principal? A wildcard admits the any-account node only, not
    each account besides (one finding for an open trust, not one per account that happens to be named)."""
    return any(s.allow and aws_policy.principal_match(s, principal)
               and (principal == ANY_ACCOUNT or not aws_policy.principal_match(s, ANY_ACCOUNT)) for s in statements)


def assume(model: IamModel, outside: list[dict]) -> Iterator[dict]:
    """CAN_ASSUME from each external principal (:func:`externals`) to each role whose trust policy admits it."""
    for role in (model.principals.values() if outside else ()):
        trust = model.trust(role)
        if role.kind != "Role" or not trust:
            continue
        for x in outside:
            principal, action, context = _caller(x)
            if not _admitted(trust, principal):
                continue
            d = aws_policy.evaluate(action, role.id, OWN_ACCOUNT, resource_policy=trust, principal=principal,
                                    resource_account=role.account_id, resource_policy_required=True,
                                    context=context)
            if d.allowed:
                yield {"source": x["id"], "target": role.id, "evidence": d.evidence, "conditional": d.conditional,
                       "condition": "; ".join(d.conditions) or None}


def access(outside: list[dict], targets: list[dict]) -> Iterator[dict]:
    """CAN_ACCESS from each external principal (:func:`externals`) a resource policy names to the resource
    (federated users sign in through roles only)."""
    outside = [x for x in outside if x["type"] != "federated"]
    for t in targets if outside else ():
        if not t["policy"]:
            continue
        try:
            rpol = aws_policy.parse_policy(t["policy"], f"{t['id']}#resource-policy")
        except aws_policy.PolicyError:
            continue   # reported by the identity derivation
        kind = next(lbl for lbl in AWS_PROBE_ORDER if lbl in t["labels"])
        account = t["account"] or aws_policy.account_of(t["id"])
        for x in outside:
            if x["type"] == "anyone" and kind == "Bucket":
                continue   # a public bucket policy: the public-data derivation, with the public access blocks
            principal = _caller(x)[0]
            if not _admitted(rpol, principal):
                continue
            edge = access_edge(x["id"], t["id"], [
                (action, level, aws_policy.evaluate(action, f"{t['id']}/*" if obj else t["id"], OWN_ACCOUNT,
                                                    resource_policy=rpol, principal=principal, resource_account=account,
                                                    resource_policy_required=kind == "Key"))
                for action, level, obj in AWS_PROBES[kind]])
            if edge:
                yield edge
