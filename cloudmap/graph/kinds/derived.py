"""Derived relationship kinds: the attacker moves the engine computes from raw facts.

Each move is declared once here with its typed evidence properties and its identity key (the
properties that tell two parallel edges of one type between the same nodes apart). The engine's
:class:`cloudmap.engine.writer.EdgeWriter` accepts only rows that match a declaration, and stamps
every edge with ``derived: true``, ``derived_by`` (the derivation that made it) and ``run_id``.
Rules chain these moves into attack paths (docs/rules.md)."""

from cloudmap.graph.kinds.common import INTERNET
from cloudmap.graph.model import Prop, rel_kind

WRITER_PROPS = ("derived", "derived_by", "run_id")   # set by the writer on every derived edge

_EVIDENCE = ("evidence", "list[str]", "what allows it: policy statements (policy#statement), role assignments, "
             "grants, settings")
_ACCESS = (
    Prop("level", "str", "read, write or admin", True),
    ("actions", "list[str]", "the allowed actions (at most a few, most telling first)"),
    _EVIDENCE,
    ("conditional", "bool", "allowed only under a policy condition the engine cannot settle"),
    ("reason", "str", "admin edges: why the identity controls the account"),
)

INTERNET_REACH = rel_kind(
    "CAN_REACH", INTERNET, "Asset",
    properties=(("ports", "list[str]", '"22", "80-443", "*"'), ("protocols", "list[str]", "tcp, udp, icmp, *"),
                Prop("via", "str", "direct, load-balancer, gateway, function-url, endpoint, ingress", True),
                ("rules", "list[str]", "ids of the firewall rules that allow it"),
                ("weaknesses", "list[str]", "what makes the entry exploitable without a CVE: imds-v1, "
                                            "management-port, password-auth, no-auth, credentials-in-configuration")),
    description="Reachable from the internet on the network.", derived=True, identity=("via",))

PUBLIC_ACCESS = rel_kind(
    "CAN_ACCESS", INTERNET, "Asset", properties=_ACCESS,
    description="Readable or writable anonymously: a public bucket, container or snapshot.", derived=True)

CONNECT = rel_kind(
    "CAN_CONNECT_TO", "Asset", "Asset",
    properties=(("ports", "list[str]"), ("protocols", "list[str]"),
                ("rules", "list[str]", "ids of the firewall rules that allow it"),
                ("aggregate", "bool", "the target is a subnet standing for its many reachable workloads"),
                ("targets", "int", "aggregate edges: how many workloads the subnet stands for")),
    description="Lateral network reachability from one workload to another inside the estate.", derived=True)

AUTHENTICATE_AS = rel_kind(
    "CAN_AUTHENTICATE_AS", "Asset", "Identity",
    properties=(Prop("via", "str", "instance-profile, lambda-role, task-role, managed-identity, irsa, ...", True),
                _EVIDENCE),
    description="The workload runs as the identity, or can obtain its credentials.", derived=True,
    identity=("via",))

ACCESS = rel_kind(
    "CAN_ACCESS", "Identity", "Asset", properties=_ACCESS,
    description="Effective permission of an identity on a data store, secret, key, or (level admin) an "
                "account or subscription.", derived=True)

ASSUME = rel_kind(
    "CAN_ASSUME", "Identity", "Identity",
    properties=(_EVIDENCE, ("conditional", "bool", "allowed only under a condition the engine cannot settle"),
                ("condition", "str", "conditional edges: the trust policy condition left undecided")),
    description="Can assume the role (its trust policy and the caller's permissions both allow it).", derived=True)

ESCALATE = rel_kind(
    "CAN_ESCALATE_TO", "Identity", "Asset",
    properties=(Prop("method", "str", "the escalation method, e.g. iam:CreatePolicyVersion", True),
                ("method_id", "str", "catalogue id of the method"),
                _EVIDENCE,
                ("conditional", "bool", "works only under a condition the engine cannot settle"),
                ("condition", "str", "conditional edges: the policy conditions left undecided (JSON, '; '-joined)"),
                ("steps", "list[str]", "each request the method makes, in order (two-step paths name both)"),
                ("confidence", "str", "high, or low when the outcome depends on code (a confused deputy)"),
                ("explanation", "str", "how the method works")),
    description="Privilege escalation: gains the target identity's privileges, or, when the target is an "
                "account, can make itself admin of it.", derived=True, identity=("method",))

EXPOSES_CREDENTIAL = rel_kind(
    "EXPOSES_CREDENTIAL", "Asset", "Asset",
    properties=(Prop("kind", "str", "the credential's kind: aws-access-key, db-password, azure-storage-key, ...", True),
                ("where", "list[str]", "where in the holder's configuration: variable, setting or line"),
                ("location", "str", "which configuration: lambda-environment, user-data, ssm-parameter, ..."),
                Prop("credential", "str", "the Credential node (credential:<fingerprint>)", True)),
    description="The holder's configuration holds a credential that opens the target: the IAM user of an "
                "active access key, the database or storage account it names, else the Credential itself "
                "(owner unknown).", derived=True, identity=("credential",))

DERIVED_KINDS = (INTERNET_REACH, PUBLIC_ACCESS, CONNECT, AUTHENTICATE_AS, ACCESS, ASSUME, ESCALATE, EXPOSES_CREDENTIAL)
MOVES = tuple(sorted({k.type for k in DERIVED_KINDS}))
