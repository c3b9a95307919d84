"""Credentials in configuration: what each found credential opens, and who can use it.

1. Resolve (``EXPOSES_CREDENTIAL`` holder -> owner): an AWS access key id -> the IAM user that owns
   it while the key is active (an inactive key, or a key no loaded user has, opens nothing); a
   database password -> the database whose endpoint, identifier or name the configuration names;
   an Azure storage key or SAS token -> the storage account; anything else -> the Credential node
   itself, owner unknown.
2. Use: every principal that can read the holder's configuration, and the holder workload itself,
   ``CAN_AUTHENTICATE_AS`` the owning user, or ``CAN_ACCESS`` the database or storage account."""

from __future__ import annotations

from collections.abc import Iterator

from cloudmap.engine.iam_model import IamModel
from cloudmap.engine.writer import EdgeWriter, stream
from cloudmap.graph.driver import Graph
from cloudmap.graph.kinds.derived import ACCESS, AUTHENTICATE_AS, EXPOSES_CREDENTIAL

# Who can read a holder's configuration: the read actions per holder label (first match wins).
AWS_READ_ACTIONS: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("AWSLambdaFunction", ("lambda:GetFunctionConfiguration", "lambda:GetFunction")),
    ("AWSCodeBuildProject", ("codebuild:BatchGetProjects",)),
    ("AWSSSMParameter", ("ssm:GetParameter", "ssm:GetParameters")),
    ("AWSInstance", ("ec2:DescribeInstanceAttribute",)),
    ("AWSLaunchTemplate", ("ec2:DescribeLaunchTemplateVersions",)),
    ("AWSBeanstalkEnvironment", ("elasticbeanstalk:DescribeConfigurationSettings",)),
    ("AWSCloudFormationStack", ("cloudformation:DescribeStacks",)),
    ("AWSECSTaskDefinition", ("ecs:DescribeTaskDefinition",)),
)
AZURE_READ_OPERATION = "Microsoft.Web/sites/config/list/action"
# Holders that run code: the workload itself can use what its configuration holds.
WORKLOAD_LABELS = ("VirtualMachine", "Function", "ContainerService", "Workload", "Pod")
# What a credential to a data store gives: a database login, a storage account key, a SAS token.
DATA_LEVELS = {"db-password": "write", "db-connection-string": "write", "azure-storage-key": "write",
               "azure-sas": "read"}


def holdings(graph: Graph) -> Iterator[dict]:
    yield from stream(graph, """
        MATCH (h:Asset)-[r:HOLDS_CREDENTIAL]->(c:Credential)
        RETURN h.id AS holder, labels(h) AS labels, h.account_id AS account, r.where AS where,
               r.location AS location, c.id AS credential, c.kind AS kind, c.access_key_id AS key_id,
               c.host AS host, c.account AS storage""")


class Owners:
    """The lookups that resolve a credential to what it opens."""

    def __init__(self, graph: Graph):
        self.key_users = {r["key"]: r["user"] for r in graph.read(
            "MATCH (u:User)-[:HAS_KEY]->(k:AccessKey) WHERE coalesce(k.status, 'Active') = 'Active' "
            "RETURN k.id AS key, u.id AS user")}
        self.databases: dict[str, str] = {}
        for r in graph.read("MATCH (d:Database) RETURN d.id AS id, d.name AS name, d.endpoint AS endpoint"):
            for name in (r["endpoint"], r["name"]):
                if name:
                    self.databases.setdefault(str(name).lower().split(":")[0], r["id"])
        self.storage = {str(r["name"]).lower(): r["id"] for r in graph.read(
            "MATCH (s:StorageAccount) RETURN s.id AS id, s.name AS name") if r["name"]}

    def owner(self, h: dict) -> tuple[str, str] | None:
        """(owner id, owner kind: user / data / unknown), or None when the credential opens nothing."""
        kind = h["kind"]
        if kind == "aws-access-key":
            user = self.key_users.get(h["key_id"])
            return (user, "user") if user else None
        if kind in ("db-password", "db-connection-string") and h["host"]:
            host = h["host"].lower()
            db = self.databases.get(host) or self.databases.get(host.split(".")[0])
            if db:
                return db, "data"
        if kind in ("azure-storage-key", "azure-sas") and h["storage"] in self.storage:
            return self.storage[h["storage"]], "data"
        return h["credential"], "unknown"


def exposures(holds: list[dict], owners: Owners) -> Iterator[dict]:
    for h in holds:
        resolved = owners.owner(h)
        if resolved:
            yield {"source": h["holder"], "target": resolved[0], "kind": h["kind"], "where": h["where"],
                   "location": h["location"], "credential": h["credential"], "owner_kind": resolved[1],
                   "level": DATA_LEVELS.get(h["kind"], "read") if resolved[1] == "data" else None}


def read_actions(holder: dict) -> tuple[str, ...] | None:
    """The AWS actions that read the holder's configuration (None: not an AWS holder)."""
    return next((acts for label, acts in AWS_READ_ACTIONS if label in holder["labels"]), None)


def aws_readers(model: IamModel, holder: dict) -> Iterator[tuple[str, list[str], bool]]:
    """(principal id, evidence, conditional) for every AWS principal that can read the holder's configuration."""
    actions = read_actions(holder)
    if not actions:
        return
    account = holder["account"] or ""
    for p in model.candidates(None, account):
        for action in actions:
            if not p.could_ever(action):
                continue
            d = p.can(action, holder["holder"], None, account)
            if d.allowed:
                yield p.id, [action, *d.evidence], d.conditional
                break


def azure_readers(graph: Graph, holder_ids: list[str]) -> Iterator[tuple[str, str, list[str]]]:
    """(holder, principal, evidence) for Azure principals whose role at a scope above the web app
    allows listing its configuration (app settings and connection strings)."""
    from cloudmap.engine.azure_rbac import RoleDefinition

    if not holder_ids:
        return
    for r in stream(graph, """
            UNWIND $ids AS hid
            MATCH (h:Asset {id: hid}), (s)-[:CONTAINS*0..8]->(h),
                  (ra:RoleAssignment)-[:AT_SCOPE]->(s), (ra)-[:ASSIGNED_TO]->(p:Identity), (ra)-[:GRANTS]->(rd:RoleDefinition)
            RETURN DISTINCT hid AS holder, p.id AS principal, ra.id AS assignment, properties(rd) AS role""",
                    ids=holder_ids):
        role = RoleDefinition.from_row(r["role"])
        if role.permits(AZURE_READ_OPERATION, False):
            yield r["holder"], r["principal"], [AZURE_READ_OPERATION, r["assignment"], role.id]


def uses(graph: Graph, model: IamModel, holds: list[dict], exposed: list[dict]) -> Iterator[tuple[str, dict]]:
    """(relationship type, row) for each identity or workload that can use an exposed credential."""
    by_holder: dict[str, dict] = {h["holder"]: h for h in holds}
    readers: dict[str, list[tuple[str, list[str], bool]]] = {}
    for hid, h in by_holder.items():
        readers[hid] = list(aws_readers(model, h))
    azure = [hid for hid, h in by_holder.items() if "AzureWebApp" in h["labels"]]
    for hid, principal, evidence in azure_readers(graph, azure):
        readers[hid].append((principal, evidence, False))
    for e in exposed:
        if e["owner_kind"] == "unknown":
            continue
        h = by_holder[e["source"]]
        sources = list(readers.get(e["source"], []))
        if any(label in h["labels"] for label in WORKLOAD_LABELS):
            sources.append((e["source"], ["runs-with-its-configuration"], False))
        for source, evidence, conditional in sources:
            if source == e["target"]:
                continue
            common = {"source": source, "target": e["target"], "evidence": [e["source"], *evidence]}
            if e["owner_kind"] == "user":
                yield "CAN_AUTHENTICATE_AS", {**common, "via": f"credential-in-{e['location']}"}
            else:
                yield "CAN_ACCESS", {**common, "level": e["level"], "actions": [f"login-with-{e['kind']}"],
                                     "conditional": conditional,
                                     "reason": f"{e['kind']} in {e['source']} ({', '.join(e['where'])})"}


def derive_config_credentials(graph: Graph, writer: EdgeWriter) -> None:
    holds = list(holdings(graph))
    exposed = list(exposures(holds, Owners(graph)))
    writer.write("config-credentials", EXPOSES_CREDENTIAL,
                 [{k: v for k, v in e.items() if k in ("source", "target", "kind", "where", "location", "credential")}
                  for e in exposed])
    writer.sweep("config-credentials", EXPOSES_CREDENTIAL)
    rows: dict[str, list[dict]] = {"CAN_AUTHENTICATE_AS": [], "CAN_ACCESS": []}
    if exposed:   # AWS readers need no resource policy: the holder's account (any, for a holder of none)
        held_in = {h["account"] or "" for h in holds if read_actions(h)}
        model = IamModel.load(graph, accounts=None if "" in held_in else [*held_in, ""]) if held_in else IamModel()
        for rel, row in uses(graph, model, holds, exposed):
            rows[rel].append(row)
    for kind in (AUTHENTICATE_AS, ACCESS):
        writer.write("config-credentials", kind, rows[kind.type])
        writer.sweep("config-credentials", kind)
