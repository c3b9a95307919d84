"""google resources of a Terraform state or plan, on the GCP loader's kinds and Cloud Asset Inventory
full resource names (``//compute.googleapis.com/projects/<project id>/zones/<zone>/instances/<name>``),
so that a state and a Cloud Asset load meet on the same nodes.

A state names a project by its id; the GCP loader keys projects by number. The project node is the one
keyed by number when the number is known (a ``google_project`` of the state, or a project of that id
already in the graph), else ``//cloudresourcemanager.googleapis.com/projects/<project id>`` with no
``project_number``: the link pass (:func:`cloudmap.loaders.kit.link.merge_gcp_projects`) folds it into
the numbered node once a Cloud Asset load brings that, so both load orders end on one node.

IAM resources (``google_{project,folder,organization,storage_bucket,service_account}_iam_{member,binding,
policy}``) become the bindings the GCP loader writes for the same policy, through the same code
(:mod:`cloudmap.loaders.gcp.iam`); custom roles (``google_{project,organization}_iam_custom_role``) the
roles it writes from ``iam.googleapis.com/Role``."""

from __future__ import annotations

import json

from cloudmap.loaders.gcp.iam import BindingError, binding_id, check_bindings, member_row, policy_rows, sa_id
from cloudmap.loaders.gcp.transform import CRM, IAM, compute_name, firewall_props
from cloudmap.loaders.inputfile import InputError
from cloudmap.loaders.terraform.build import Build
from cloudmap.loaders.terraform.state import Resource

from cloudmap.graph.driver import Graph
from cloudmap.graph.kinds import gcp as K

COMPUTE = "//compute.googleapis.com/"


def _compute(value) -> str | None:
    value = str(value or "")
    if not value:
        return None
    return compute_name(value) if value.startswith(("https://", "//")) else f"{COMPUTE}{value}"


def _bucket(value) -> str | None:
    return f"//storage.googleapis.com/{value}" if value else None


def _sql(r: Resource) -> str | None:
    v = r.values
    return f"//cloudsql.googleapis.com/projects/{v['project']}/instances/{v['name']}" \
        if v.get("project") and v.get("name") else None


def _sa(r: Resource) -> str | None:
    email = r.values.get("email")
    return sa_id(str(email), r.values.get("project")) if email else None


def _project(r: Resource) -> str | None:
    v = r.values
    key = v.get("number") or v.get("project_id")
    return f"{CRM}projects/{key}" if key else None


def _folder_name(value) -> str | None:
    value = str(value or "").rsplit("/", 1)[-1]
    return f"{CRM}folders/{value}" if value else None


def _custom_role(r: Resource) -> str | None:
    v = r.values
    if v.get("name"):
        return str(v["name"])
    parent = f"projects/{v['project']}" if v.get("project") else f"organizations/{v['org_id']}" if v.get("org_id") \
        else None
    return f"{parent}/roles/{v['role_id']}" if parent and v.get("role_id") else None


_IDS = {"google_compute_network": lambda r: _compute(r.values.get("id")),
        "google_compute_subnetwork": lambda r: _compute(r.values.get("id")),
        "google_compute_firewall": lambda r: _compute(r.values.get("id")),
        "google_compute_instance": lambda r: _compute(r.values.get("id")),
        "google_storage_bucket": lambda r: _bucket(r.values.get("name")),
        "google_sql_database_instance": _sql,
        "google_service_account": _sa,
        "google_project": _project,
        "google_folder": lambda r: _folder_name(r.values.get("name") or r.values.get("folder_id")),
        "google_project_iam_custom_role": _custom_role,
        "google_organization_iam_custom_role": _custom_role}
TYPES = tuple(_IDS)


def known_projects(graph: Graph) -> dict[str, str]:
    """project id -> the node of the project (keyed by number) for each project already in the graph."""
    return {r["pid"]: r["id"] for r in graph.read(
        "MATCH (p:GCPProject) WHERE p.project_id IS NOT NULL AND p.project_number IS NOT NULL "
        "RETURN p.project_id AS pid, p.id AS id ORDER BY id")}


class Gcp:
    def __init__(self, build: Build, projects: dict[str, str] | None = None):
        self.b = build
        self.projects = dict(projects or {})   # project id -> project node id

    def register(self, res: Resource) -> bool:
        v = res.values
        if res.type in _IDS:
            node = _IDS[res.type](res)
            self.b.register(res, node, v.get("id"), v.get("self_link"), v.get("name"), v.get("email"),
                            v.get("unique_id") if res.type == "google_service_account" else None,
                            v.get("folder_id") if res.type == "google_folder" else None)
            if res.type == "google_project" and v.get("project_id") and v.get("number"):
                self.projects[str(v["project_id"])] = node   # without a number (a plan) it stays keyed by id
        return res.type in MAPPERS

    def ref(self, r: Resource, attr: str, rtype: str) -> str | None:
        return self.b.ref(r, attr, rtype, _compute)

    def project(self, project_id) -> str | None:
        """The node of a project the state names by id (a reference unless the state declares it)."""
        if not project_id:
            return None
        pid = str(project_id).removeprefix("projects/")
        node = self.projects.get(pid) or f"{CRM}projects/{pid}"
        number = node.rsplit("/", 1)[-1] if pid in self.projects else None
        row = {"id": node, "name": pid, "provider": "gcp", "project_id": pid, "account_id": number or pid}
        return self.b.reference(K.PROJECT, {**row, "project_number": number} if number else row)

    def account(self, project_id) -> str | None:
        """A project's account id as the GCP loader writes it: its number when known, else its id."""
        node = self.projects.get(str(project_id or "").removeprefix("projects/"))
        return node.rsplit("/", 1)[-1] if node else project_id

    def asset(self, kind, r: Resource, **props) -> str:
        region = r.values.get("region") or str(r.values.get("zone") or "") or r.values.get("location")
        node = self.b.asset(kind, r, "gcp", self.account(r.values.get("project")), region,
                            tags=r.values.get("labels") or {}, **props)
        self.b.rel(K.CONTAINS, self.project(r.values.get("project")), node)
        return node

    def member(self, rows, member: str, scope) -> str | None:
        """A binding's member: a service account is a reference, users, groups and domains are in no scope."""
        found = member_row(member)
        if found is None:
            return None
        kind, row = found
        return self.b.reference(kind, row) if kind is K.SERVICE_ACCOUNT else rows.node(kind, row, None, weak=True)

    def bindings(self, r: Resource, resource: str | None, bindings: list[dict]) -> None:
        if not resource:
            return
        new = [binding_id(resource, b) for b in bindings if not self.b.has(K.BINDING, binding_id(resource, b))]
        policy_rows(self.b, resource, "", bindings, member_node=self.member)
        for bid in new if r.planned else ():
            self.b.update(K.BINDING, bid, planned=True)   # what a plan grants: not in the estate yet


def _block(value) -> dict:
    return value[0] if isinstance(value, list) and value and isinstance(value[0], dict) else {}


def network(g: Gcp, r: Resource) -> None:
    g.asset(K.NETWORK, r, auto_subnets=bool(r.values.get("auto_create_subnetworks", False)))


def subnetwork(g: Gcp, r: Resource) -> None:
    sub = g.asset(K.SUBNETWORK, r, cidr=r.values.get("ip_cidr_range"),
                  private_google_access=bool(r.values.get("private_ip_google_access", False)))
    g.b.rel(K.NETWORK_CONTAINS, g.ref(r, "network", "google_compute_network"), sub)


def firewall(g: Gcp, r: Resource) -> None:
    v = r.values
    rule = g.asset(K.FIREWALL, r, **firewall_props(
        v.get("allow") or [], v.get("deny") or [], "protocol", direction=v.get("direction"),
        priority=v.get("priority"), disabled=v.get("disabled", False), sources=v.get("source_ranges"),
        source_tags=v.get("source_tags"), source_service_accounts=v.get("source_service_accounts"),
        target_tags=v.get("target_tags"), target_service_accounts=v.get("target_service_accounts")))
    g.b.rel(K.NETWORK_RULE, g.ref(r, "network", "google_compute_network"), rule)


def instance(g: Gcp, r: Resource) -> None:
    v = r.values
    meta = {str(k): str(x).lower() for k, x in (v.get("metadata") or {}).items()}
    nics = [n for n in v.get("network_interface") or [] if isinstance(n, dict)]
    external = [c["nat_ip"] for n in nics for c in n.get("access_config") or [] if c.get("nat_ip")]
    sa = _block(v.get("service_account"))
    vm = g.asset(K.INSTANCE, r, machine_type=v.get("machine_type"), network_tags=list(v.get("tags") or []),
                 private_ips=[n["network_ip"] for n in nics if n.get("network_ip")], external_ips=external,
                 scopes=sorted(sa.get("scopes") or []),
                 serial_port_enabled=meta.get("serial-port-enable") in ("true", "1"),
                 os_login=meta.get("enable-oslogin") in ("true", "1"))
    for n in nics:
        g.b.rel(K.IN_NETWORK, vm, _compute(n.get("network")), nic=n.get("name"), ip=n.get("network_ip"))
        g.b.rel(K.IN_SUBNET, vm, _compute(n.get("subnetwork")))
        for c in n.get("access_config") or []:
            if c.get("nat_ip"):
                ip = g.b.node(K.ADDRESS, {"id": f"{vm}/ip/{c['nat_ip']}", "name": c["nat_ip"], "ip": c["nat_ip"],
                                          "provider": "gcp", "address_type": "EPHEMERAL", "source": "terraform"},
                              weak=True)
                g.b.rel(K.ADDRESS_ON, ip, vm)
    if sa.get("email"):
        target = g.b.reference(K.SERVICE_ACCOUNT, {"id": sa_id(str(sa["email"])), "name": str(sa["email"]).lower(),
                                                   "provider": "gcp", "email": str(sa["email"]).lower()})
        g.b.rel(K.USES_SA, vm, target, via="metadata-server")


def bucket(g: Gcp, r: Resource) -> None:
    v = r.values
    g.asset(K.BUCKET, r, public_access_prevention=v.get("public_access_prevention") or "inherited",
            uniform_access=bool(v.get("uniform_bucket_level_access", False)), location=v.get("location"))


def sql(g: Gcp, r: Resource) -> None:
    ipc = _block(_block(r.values.get("settings")).get("ip_configuration"))
    nets = [n.get("value") for n in ipc.get("authorized_networks") or [] if n.get("value")]
    enabled = bool(ipc.get("ipv4_enabled", False))
    g.asset(K.SQL_INSTANCE, r, engine=r.values.get("database_version"), ipv4_enabled=enabled,
            authorized_networks=nets, ssl_mode=ipc.get("ssl_mode"),
            public_ips=[r.values["public_ip_address"]] if r.values.get("public_ip_address") else [],
            publicly_accessible=enabled and any(n.endswith("/0") for n in nets), password_auth=True)


def service_account(g: Gcp, r: Resource) -> None:
    email = str(r.values.get("email") or "").lower() or None
    g.asset(K.SERVICE_ACCOUNT, r, name=email, email=email, unique_id=r.values.get("unique_id"),
            disabled=bool(r.values.get("disabled", False)))


def project(g: Gcp, r: Resource) -> None:
    v = r.values
    number = str(v["number"]) if v.get("number") else None
    node = g.b.asset(K.PROJECT, r, "gcp", number or v.get("project_id"), None, name=v.get("project_id"),
                     tags=v.get("labels") or {}, project_id=v.get("project_id"), project_number=number)
    parent = f"{CRM}folders/{v['folder_id']}" if v.get("folder_id") else \
        f"{CRM}organizations/{v['org_id']}" if v.get("org_id") else None
    if parent:
        g.b.rel(K.CONTAINS, _hierarchy_ref(g, parent), node)


def folder(g: Gcp, r: Resource) -> None:
    v = r.values
    node = g.b.asset(K.FOLDER, r, "gcp", g.b.ids[r.address].rsplit("/", 1)[-1], None,
                     name=v.get("display_name"), display_name=v.get("display_name"))
    parent = str(v.get("parent") or "")
    if parent.startswith(("folders/", "organizations/")):
        g.b.rel(K.CONTAINS, _hierarchy_ref(g, CRM + parent), node)


def _hierarchy_ref(g: Gcp, node: str) -> str:
    kind = K.FOLDER if "/folders/" in node else K.ORGANIZATION
    return g.b.by_value.get(("google_folder", node.rsplit("/", 1)[-1])) or g.b.reference(
        kind, {"id": node, "name": node.rsplit("/", 1)[-1], "provider": "gcp", "account_id": node.rsplit("/", 1)[-1]})


def custom_role(g: Gcp, r: Resource) -> None:
    v = r.values
    if v.get("deleted"):
        return   # a deleted role grants nothing; bindings that still name it get the bare role
    role = g.b.ids[r.address]
    g.b.node(K.ROLE, {"id": role, "name": v.get("title") or role, "title": v.get("title"),
                      "permissions": sorted(v.get("permissions") or []), "custom": True, "policy_type": "gcp-role",
                      "provider": "gcp", "source": "terraform", "terraform_address": r.address,
                      "planned": r.planned})


def _error(r: Resource, field: str, problem: str) -> InputError:
    return InputError(f"{r.values['_where']} ({r.address}): values.{field}: {problem}")


def _condition(r: Resource) -> dict | None:
    cond = _block(r.values.get("condition"))
    if cond and not isinstance(cond.get("expression"), str):
        raise _error(r, "condition[0].expression", "expected a string")
    return {"title": cond.get("title") or None, "expression": cond["expression"]} if cond.get("expression") else None


def _iam_bindings(r: Resource) -> list[dict]:
    """The resource's bindings in the Cloud Asset shape: one member, one binding, or a whole policy."""
    v = r.values
    if r.type.endswith("_iam_policy"):
        if v.get("policy_data") is None:
            if r.planned:
                return []   # known after apply
            raise _error(r, "policy_data", "missing")
        try:
            policy = json.loads(v["policy_data"]) if isinstance(v.get("policy_data"), str) else v.get("policy_data")
        except json.JSONDecodeError as exc:
            raise _error(r, "policy_data", f"not valid JSON: {exc.msg}") from None
        if not isinstance(policy, dict):
            raise _error(r, "policy_data", "expected a JSON object with bindings (google_iam_policy policy_data)")
        try:
            return [{"role": b["role"], "members": b["members"], **({"condition": b["condition"]}
                                                                   if b.get("condition") else {})}
                    for b in check_bindings(policy.get("bindings") or [], "bindings")]
        except BindingError as exc:
            raise _error(r, f"policy_data.{exc.field}", exc.problem) from None
    members_field = "member" if r.type.endswith("_iam_member") else "members"
    for field in ("role", members_field):
        if v.get(field) in (None, ""):
            if r.planned:
                return []   # known after apply
            raise _error(r, field, "missing")
    cond = _condition(r)
    members = [v["member"]] if members_field == "member" else list(v["members"])
    return [{"role": v["role"], "members": members, **({"condition": cond} if cond else {})}]


_TARGET_FIELD = {"project": "project", "folder": "folder", "organization": "org_id", "storage_bucket": "bucket",
                 "service_account": "service_account_id"}


def _iam_target(g: Gcp, r: Resource, level: str, value: str) -> str | None:
    if level == "project":
        return g.project(value)
    if level in ("folder", "organization"):
        kind = "folders" if level == "folder" else "organizations"
        return _hierarchy_ref(g, f"{CRM}{kind}/{value.rsplit('/', 1)[-1]}")
    if level == "storage_bucket":
        name = value.removeprefix("b/")
        return g.b.by_value.get(("google_storage_bucket", name)) or _bucket(name)
    # projects/<project id or ->/serviceAccounts/<email or unique id>, or the bare email
    account = value.rsplit("/", 1)[-1]
    project = value.split("/")[1] if value.startswith("projects/") else None
    return (g.b.by_value.get(("google_service_account", value)) or g.b.by_value.get(("google_service_account", account))
            or (sa_id(account, project if project != "-" else None) if "@" in account else f"{IAM}{value}"))


def iam(g: Gcp, r: Resource) -> None:
    level = r.type.removeprefix("google_").rsplit("_iam_", 1)[0]
    field = _TARGET_FIELD[level]
    value = str(r.values.get(field) or "")
    if value:
        target = _iam_target(g, r, level, value)
    else:   # a plan: the resource it is on is created with it
        target = g.b.ref(r, field, {"storage_bucket": "google_storage_bucket",
                                    "service_account": "google_service_account"}.get(level, f"google_{level}"))
        if not target and not r.planned:
            raise _error(r, field, "missing: it names the resource the binding is on")
    g.bindings(r, target, _iam_bindings(r))


IAM_TYPES = tuple(f"google_{level}_iam_{form}" for level in _TARGET_FIELD for form in ("member", "binding", "policy"))

MAPPERS = {"google_folder": folder, "google_project": project, "google_compute_network": network,
           "google_compute_subnetwork": subnetwork, "google_compute_firewall": firewall,
           "google_service_account": service_account, "google_compute_instance": instance,
           "google_storage_bucket": bucket, "google_sql_database_instance": sql,
           "google_project_iam_custom_role": custom_role, "google_organization_iam_custom_role": custom_role,
           **dict.fromkeys(IAM_TYPES, iam)}   # in this order: bindings after the roles and resources they name
