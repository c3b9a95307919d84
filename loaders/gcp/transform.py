"""Assets -> rows: one handler per CAI asset type, then the facts that span assets (IAM members,
the hierarchy). Projects are keyed by number and service accounts by email, whatever form an asset
names them in, so both forms meet on one node."""

from __future__ import annotations

import re
from collections import Counter, defaultdict
from dataclasses import dataclass, field

from cloudmap.loaders.gcp.acls import bucket_bindings, dataset_bindings
from cloudmap.loaders.gcp.exports import Asset, GCPInputError
from cloudmap.loaders.gcp.iam import policy_rows, sa_id
from cloudmap.loaders.kit.tags import classify_tags, tags_list

from cloudmap.graph.kinds import gcp as K
from cloudmap.graph.kinds.common import SENSITIVE_INFO_TYPE, STORES
from cloudmap.graph.model import NodeKind, RelKind

CRM = "//cloudresourcemanager.googleapis.com/"
IAM = "//iam.googleapis.com/"
NETWORK_TYPES = tuple("compute.googleapis.com/" + t for t in (   # mapped by loaders/gcp/network.py
    "Route", "ForwardingRule", "GlobalForwardingRule", "TargetHttpProxy", "TargetHttpsProxy", "TargetTcpProxy",
    "TargetSslProxy", "TargetGrpcProxy", "UrlMap", "BackendService", "RegionBackendService", "TargetPool",
    "InstanceGroup", "InstanceGroupManager", "NetworkEndpointGroup"))


def compute_name(url: str | None) -> str | None:
    """A compute selfLink (https://www.googleapis.com/compute/v1/projects/...) as a full resource name."""
    if not url:
        return None
    path = re.sub(r"^https://(www|compute)\.googleapis\.com/compute/(v1|beta|alpha)/", "", url)
    return url if path.startswith("//") else f"//compute.googleapis.com/{path}"


@dataclass
class Rows:
    nodes: dict[NodeKind, dict[str, tuple[str | None, dict]]] = field(default_factory=lambda: defaultdict(dict))
    rels: dict[str, dict[RelKind, dict[tuple[str, str], dict]]] = field(
        default_factory=lambda: defaultdict(lambda: defaultdict(dict)))
    skipped_types: Counter = field(default_factory=Counter)
    project_numbers: dict[str, str] = field(default_factory=dict)   # project id -> number
    sa_by_unique_id: dict[str, str] = field(default_factory=dict)
    policies: list[tuple[str, str | None, list[dict]]] = field(default_factory=list)  # resource, scope, bindings
    parents: list[tuple[str, str, str | None]] = field(default_factory=list)  # child, parent, scope
    managers: dict[tuple[str, str], str] = field(default_factory=dict)  # (project, manager path) -> group
    created_by: list[tuple[str, str, str | None]] = field(default_factory=list)  # instance, its manager, scope

    def node(self, kind: NodeKind, row: dict, scope: str | None, weak: bool = False) -> str:
        row = {k: v for k, v in row.items() if v is not None}
        old = self.nodes[kind].get(row["id"])
        if old is None:
            self.nodes[kind][row["id"]] = (scope, row)
        elif weak:
            old[1].update({k: v for k, v in row.items() if k not in old[1]})
        else:
            self.nodes[kind][row["id"]] = (scope if scope else old[0], {**old[1], **row})
        return row["id"]

    def rel(self, kind: RelKind, source: str | None, target: str | None, scope: str | None, /, **props) -> None:
        if source and target and source != target:
            self.rels[scope or "gcp/unscoped"][kind][(source, target)] = {k: v for k, v in props.items()
                                                                          if v is not None}

    def project_node(self, ref: str) -> str:
        """``projects/<number or id>`` (or a full name) as the project's node id (by number when known)."""
        key = ref.rsplit("projects/", 1)[-1].split("/")[0]
        return f"{CRM}projects/{self.project_numbers.get(key, key)}"


def scope_of(a: Asset, rows: Rows) -> str | None:
    proj = next((x for x in a.ancestors if x.startswith("projects/")), None)
    if proj:
        return "gcp/" + rows.project_node(proj).rsplit("/", 1)[-1]
    m = re.search(r"/projects/([^/]+)", a.name)
    return "gcp/" + rows.project_node(m.group(0)).rsplit("/", 1)[-1] if m else None


def _project_id_of(a: Asset) -> str | None:
    m = re.search(r"/projects/([^/]+)", a.name)
    return m.group(1) if m else None


def _asset(rows: Rows, kind: NodeKind, a: Asset, scope: str | None, **props) -> str:
    labels = a.data.get("labels") if isinstance(a.data.get("labels"), dict) else {}
    critical, infos = classify_tags(labels)
    account = scope.split("/", 1)[1] if scope else None
    node = rows.node(kind, {"id": a.name, "name": a.data.get("name") or a.name.rsplit("/", 1)[-1], "provider": "gcp",
                            "account_id": account, "region": a.data.get("region", "").rsplit("/", 1)[-1] or
                            a.data.get("zone", "").rsplit("/", 1)[-1] or None,
                            "tags": tags_list(labels), **critical, **props}, scope)
    for info in infos:
        rows.node(SENSITIVE_INFO_TYPE, info, scope)
        rows.rel(STORES, node, info["id"], scope, source="tag")
    if scope:
        rows.parents.append((node, f"{CRM}projects/{account}", scope))
    return node


def _hierarchy(rows: Rows, a: Asset, kind: NodeKind, node_id: str, scope: str | None, **props) -> None:
    rows.node(kind, {"id": node_id, "name": a.data.get("displayName") or node_id.rsplit("/", 1)[-1],
                     "provider": "gcp", "account_id": node_id.rsplit("/", 1)[-1], **props}, scope)
    parent = a.data.get("parent")
    if isinstance(parent, dict) and parent.get("type") and parent.get("id"):
        parent = f"{parent['type']}s/{parent['id']}"
    if not parent and len(a.ancestors) > 1:
        parent = a.ancestors[1]
    if isinstance(parent, str) and parent:
        rows.parents.append((node_id, CRM + parent, scope))


def firewall_props(allowed: list, denied: list, protocol_key: str, *, direction, priority, disabled, sources,
                   source_tags, source_service_accounts, target_tags, target_service_accounts) -> dict:
    """A firewall rule's properties, from Compute's API (``allowed``/``IPProtocol``) or Terraform
    (``allow``/``protocol``)."""
    perms = [{"protocol": str(p.get(protocol_key, "all")).lower(), "ports": [str(x) for x in p.get("ports") or []]}
             for p in (allowed or denied)]
    return {"direction": str(direction or "INGRESS").lower(), "action": "deny" if denied else "allow",
            "priority": int(priority if priority is not None else 1000), "disabled": bool(disabled),
            "permissions": perms, "sources": list(sources or []), "source_tags": list(source_tags or []),
            "source_service_accounts": [s.lower() for s in source_service_accounts or []],
            "target_tags": list(target_tags or []),
            "target_service_accounts": [s.lower() for s in target_service_accounts or []], "implied": False}


def _firewall(rows: Rows, a: Asset, scope: str | None) -> None:
    d = a.data
    props = firewall_props(d.get("allowed") or [], d.get("denied") or [], "IPProtocol", direction=d.get("direction"),
                           priority=d.get("priority"), disabled=d.get("disabled", False),
                           sources=d.get("sourceRanges"), source_tags=d.get("sourceTags"),
                           source_service_accounts=d.get("sourceServiceAccounts"), target_tags=d.get("targetTags"),
                           target_service_accounts=d.get("targetServiceAccounts"))
    rule = _asset(rows, K.FIREWALL, a, scope, **props)
    rows.rel(K.NETWORK_RULE, compute_name(d.get("network")), rule, scope)


def _instance(rows: Rows, a: Asset, scope: str | None) -> None:
    d = a.data
    meta = {i.get("key"): str(i.get("value", "")) for i in (d.get("metadata") or {}).get("items") or []}
    nics = d.get("networkInterfaces") or []
    external = [c["natIP"] for n in nics for c in n.get("accessConfigs") or [] if c.get("natIP")]
    sas = d.get("serviceAccounts") or []
    vm = _asset(rows, K.INSTANCE, a, scope, state=str(d.get("status", "")).lower() or None,
                machine_type=str(d.get("machineType", "")).rsplit("/", 1)[-1] or None,
                network_tags=list((d.get("tags") or {}).get("items") or []),
                private_ips=[n["networkIP"] for n in nics if n.get("networkIP")], external_ips=external,
                scopes=sorted({s for sa in sas for s in sa.get("scopes") or []}),
                serial_port_enabled=meta.get("serial-port-enable", "").lower() in ("true", "1"),
                os_login=meta.get("enable-oslogin", "").lower() in ("true", "1"))
    for n in nics:
        rows.rel(K.IN_NETWORK, vm, compute_name(n.get("network")), scope, nic=n.get("name"), ip=n.get("networkIP"))
        rows.rel(K.IN_SUBNET, vm, compute_name(n.get("subnetwork")), scope)
        for c in n.get("accessConfigs") or []:
            if c.get("natIP"):
                ip = rows.node(K.ADDRESS, {"id": f"{vm}/ip/{c['natIP']}", "name": c["natIP"], "ip": c["natIP"],
                                           "provider": "gcp", "address_type": "EPHEMERAL"}, scope, weak=True)
                rows.rel(K.ADDRESS_ON, ip, vm, scope)
    if meta.get("created-by"):
        rows.created_by.append((vm, compute_name(meta["created-by"]), scope))
    for sa in sas:
        if sa.get("email"):
            target = rows.node(K.SERVICE_ACCOUNT, {"id": sa_id(sa["email"]), "name": sa["email"], "provider": "gcp",
                                                   "email": sa["email"].lower()}, scope, weak=True)
            rows.rel(K.USES_SA, vm, target, scope, via="metadata-server")


def _sql(rows: Rows, a: Asset, scope: str | None) -> None:
    ipc = (a.data.get("settings") or {}).get("ipConfiguration") or {}
    nets = [n.get("value") for n in ipc.get("authorizedNetworks") or [] if n.get("value")]
    ips = [i["ipAddress"] for i in a.data.get("ipAddresses") or [] if i.get("type") == "PRIMARY" and i.get("ipAddress")]
    enabled = bool(ipc.get("ipv4Enabled", False))
    _asset(rows, K.SQL_INSTANCE, a, scope, engine=a.data.get("databaseVersion"), ipv4_enabled=enabled,
           authorized_networks=nets, ssl_mode=ipc.get("sslMode"), public_ips=ips,
           publicly_accessible=enabled and any(n.endswith("/0") for n in nets),
           password_auth=True)  # built-in database users log in with passwords; IAM login only adds a way


_INGRESS = {"INGRESS_TRAFFIC_ALL": "all", "ALLOW_ALL": "all", "INGRESS_TRAFFIC_INTERNAL_ONLY": "internal",
            "ALLOW_INTERNAL_ONLY": "internal", "INGRESS_TRAFFIC_INTERNAL_LOAD_BALANCER": "internal-and-cloud-load-balancing",
            "ALLOW_INTERNAL_AND_GCLB": "internal-and-cloud-load-balancing", "all": "all", "internal": "internal",
            "internal-and-cloud-load-balancing": "internal-and-cloud-load-balancing"}


def _runs_as(rows: Rows, node: str, email, scope: str | None, via: str) -> None:
    if email:
        sa = rows.node(K.SERVICE_ACCOUNT, {"id": sa_id(str(email)), "name": str(email).lower(), "provider": "gcp",
                                           "email": str(email).lower()}, scope, weak=True)
        rows.rel(K.RUNS_AS, node, sa, scope, via=via)


def _serverless_or_cluster(rows: Rows, a: Asset, scope: str | None) -> None:
    d, t = a.data, a.asset_type
    if t == "run.googleapis.com/Service":  # v1 (Knative) or v2 shape
        ingress = d.get("ingress") or ((d.get("metadata") or {}).get("annotations") or {}).get(
            "run.googleapis.com/ingress") or "all"
        template = d.get("template") or {}
        email = template.get("serviceAccount") or (template.get("spec") or {}).get("serviceAccountName")
        node = _asset(rows, K.RUN_SERVICE, a, scope, ingress=_INGRESS.get(ingress, ingress),
                      url=d.get("uri") or (d.get("status") or {}).get("url"))
        _runs_as(rows, node, email, scope, "cloud-run")
    elif t.startswith("cloudfunctions."):  # 1st gen (CloudFunction) or 2nd gen (Function)
        config = d.get("serviceConfig") or {}
        ingress = d.get("ingressSettings") or config.get("ingressSettings") or "ALLOW_ALL"
        node = _asset(rows, K.FUNCTION, a, scope, ingress=_INGRESS.get(ingress, ingress),
                      runtime=d.get("runtime") or (d.get("buildConfig") or {}).get("runtime"),
                      url=(d.get("httpsTrigger") or {}).get("url") or config.get("uri") or d.get("url"))
        _runs_as(rows, node, d.get("serviceAccountEmail") or config.get("serviceAccountEmail"), scope,
                 "cloud-functions")
    else:
        private = d.get("privateClusterConfig") or {}
        man = d.get("masterAuthorizedNetworksConfig") or {}
        pools = d.get("nodePools") or []
        emails = {p.get("config", {}).get("serviceAccount") for p in pools} | {(d.get("nodeConfig") or {})
                                                                              .get("serviceAccount")}
        emails = {e for e in emails if e and e != "default"}
        pool = (d.get("workloadIdentityConfig") or {}).get("workloadPool")
        public = not private.get("enablePrivateEndpoint", False) and ((d.get("controlPlaneEndpointsConfig") or {}).get(
            "ipEndpointsConfig") or {}).get("enablePublicEndpoint", True)
        restricted = bool(man.get("enabled", False))
        nets = [c.get("cidrBlock") for c in man.get("cidrBlocks") or [] if c.get("cidrBlock")]
        node = _asset(rows, K.GKE_CLUSTER, a, scope, public_endpoint=public, endpoint=d.get("endpoint"),
                      authorized_networks_enabled=restricted, authorized_networks=nets,
                      # the agnostic exposure facts EKS writes too: authorized networks on and empty admit no one
                      endpoint_public=public and (not restricted or bool(nets)),
                      public_cidrs=nets if restricted else ["0.0.0.0/0"],
                      workload_identity=bool(pool), workload_pool=pool,
                      node_service_account=sorted(emails)[0] if emails else None)
        for email in sorted(emails):
            _runs_as(rows, node, email, scope, "gke-nodes")


def _service_account(rows: Rows, a: Asset, scope: str | None) -> None:
    email = str(a.data.get("email") or "").lower()
    if not email:
        raise GCPInputError("field 'resource.data.email' is missing")
    node = sa_id(email, _project_id_of(a))
    if a.data.get("uniqueId"):
        rows.sa_by_unique_id[str(a.data["uniqueId"])] = node
        rows.sa_by_unique_id[f"{a.name.rsplit('/', 1)[0]}/{a.data['uniqueId']}"] = node
    rows.sa_by_unique_id[a.name] = node
    saved, a.name = a.name, node
    _asset(rows, K.SERVICE_ACCOUNT, a, scope, email=email, unique_id=a.data.get("uniqueId"),
           disabled=bool(a.data.get("disabled", False)))
    rows.nodes[K.SERVICE_ACCOUNT][node][1]["name"] = email
    a.name = saved


def _key(rows: Rows, a: Asset, scope: str | None) -> None:
    if a.data.get("keyType", "USER_MANAGED") != "USER_MANAGED":
        return
    key = _asset(rows, K.SA_KEY, a, scope, key_type="USER_MANAGED", valid_before=a.data.get("validBeforeTime"))
    rows.policies.append((a.name.split("/keys/")[0], None, [{"__key__": key}]))


def _role(rows: Rows, a: Asset, scope: str | None) -> None:
    role_name = a.data.get("name") or a.name.split("googleapis.com/", 1)[-1]
    rows.node(K.ROLE, {"id": role_name, "name": a.data.get("title") or role_name, "title": a.data.get("title"),
                       "permissions": list(a.data.get("includedPermissions") or []), "custom": True,
                       "policy_type": "gcp-role", "provider": "gcp"}, scope)


def build_rows(assets: list[Asset]) -> Rows:
    """Every asset mapped, or GCPInputError naming its file and line and what is wrong with it."""
    rows = Rows()
    for a in assets:  # projects first: their numbers key every other asset
        if a.asset_type == "cloudresourcemanager.googleapis.com/Project" and a.data.get("projectId"):
            number = str(a.data.get("projectNumber") or a.name.rsplit("/", 1)[-1])
            rows.project_numbers[a.data["projectId"]] = number
            rows.project_numbers[number] = number
    for a in assets:
        if a.asset_type == "cloudresourcemanager.googleapis.com/Project" or a.name.startswith(CRM + "projects/"):
            a.name = rows.project_node(a.name)
        try:
            _one(rows, a)
        except (GCPInputError, TypeError, AttributeError, ValueError, KeyError) as exc:
            raise GCPInputError(f"{a.origin} ({a.name}): {exc}") from None
    _resolve(rows)
    return rows


HANDLED_TYPES = ("cloudresourcemanager.googleapis.com/Organization", "cloudresourcemanager.googleapis.com/Folder",
                 "cloudresourcemanager.googleapis.com/Project", "compute.googleapis.com/Network",
                 "compute.googleapis.com/Subnetwork", "compute.googleapis.com/Firewall",
                 "compute.googleapis.com/Instance", "compute.googleapis.com/Address", "storage.googleapis.com/Bucket",
                 "sqladmin.googleapis.com/Instance", "iam.googleapis.com/ServiceAccount",
                 "iam.googleapis.com/ServiceAccountKey", "iam.googleapis.com/Role", "bigquery.googleapis.com/Dataset",
                 "secretmanager.googleapis.com/Secret", "cloudkms.googleapis.com/CryptoKey", "run.googleapis.com/Service",
                 "cloudfunctions.googleapis.com/CloudFunction", "cloudfunctions.googleapis.com/Function",
                 "container.googleapis.com/Cluster", *NETWORK_TYPES)


def _one(rows: Rows, a: Asset) -> None:
    from cloudmap.loaders.gcp import network  # it maps onto this module's rows

    t = a.asset_type
    scope = scope_of(a, rows)
    if a.bindings:
        rows.policies.append((a.name, scope, a.bindings))
    if a.iam_only:
        return
    if t == "cloudresourcemanager.googleapis.com/Organization":
        _hierarchy(rows, a, K.ORGANIZATION, a.name, None, display_name=a.data.get("displayName"))
    elif t == "cloudresourcemanager.googleapis.com/Folder":
        _hierarchy(rows, a, K.FOLDER, a.name, None, display_name=a.data.get("displayName"))
    elif t == "cloudresourcemanager.googleapis.com/Project":
        number = a.name.rsplit("/", 1)[-1]
        _hierarchy(rows, a, K.PROJECT, a.name, f"gcp/{number}", project_id=a.data.get("projectId"),
                   project_number=number, state=str(a.data.get("lifecycleState", "")).lower() or None)
        rows.nodes[K.PROJECT][a.name][1]["name"] = a.data.get("projectId") or number
    elif t == "compute.googleapis.com/Network":
        net = _asset(rows, K.NETWORK, a, scope, auto_subnets=bool(a.data.get("autoCreateSubnetworks", False)))
        network.peerings(rows, net, a.data, scope)
    elif t == "compute.googleapis.com/Subnetwork":
        sub = _asset(rows, K.SUBNETWORK, a, scope, cidr=a.data.get("ipCidrRange"),
                     private_google_access=bool(a.data.get("privateIpGoogleAccess", False)))
        rows.rel(K.NETWORK_CONTAINS, compute_name(a.data.get("network")), sub, scope)
    elif t == "compute.googleapis.com/Firewall":
        _firewall(rows, a, scope)
    elif t == "compute.googleapis.com/Instance":
        _instance(rows, a, scope)
    elif t == "compute.googleapis.com/Address":
        if a.data.get("addressType", "EXTERNAL") == "EXTERNAL":
            _asset(rows, K.ADDRESS, a, scope, ip=a.data.get("address"), address_type="EXTERNAL")
    elif t == "storage.googleapis.com/Bucket":
        iam = a.data.get("iamConfiguration") or {}
        _asset(rows, K.BUCKET, a, scope, public_access_prevention=iam.get("publicAccessPrevention", "inherited"),
               uniform_access=bool((iam.get("uniformBucketLevelAccess") or {}).get("enabled", False)),
               location=a.data.get("location"))
        _access_list(rows, a.name, scope, bucket_bindings(a.data))
    elif t == "sqladmin.googleapis.com/Instance":
        _sql(rows, a, scope)
    elif t == "iam.googleapis.com/ServiceAccount":
        _service_account(rows, a, scope)
    elif t == "iam.googleapis.com/ServiceAccountKey":
        _key(rows, a, scope)
    elif t == "iam.googleapis.com/Role":
        _role(rows, a, scope)
    elif t == "bigquery.googleapis.com/Dataset":
        _asset(rows, K.BIGQUERY_DATASET, a, scope, location=a.data.get("location"))
        _access_list(rows, a.name, scope, dataset_bindings(a.data))
    elif t == "secretmanager.googleapis.com/Secret":
        _asset(rows, K.SECRET, a, scope, name=a.name.rsplit("/", 1)[-1], replication="user-managed" if "userManaged" in
               (a.data.get("replication") or {}) else "automatic")
    elif t == "cloudkms.googleapis.com/CryptoKey":
        _asset(rows, K.CRYPTO_KEY, a, scope, name=a.name.rsplit("/", 1)[-1], purpose=a.data.get("purpose"), rotation_period=a.data.get("rotationPeriod"),
               protection_level=(a.data.get("versionTemplate") or {}).get("protectionLevel"))
    elif t in ("run.googleapis.com/Service", "cloudfunctions.googleapis.com/CloudFunction",
               "cloudfunctions.googleapis.com/Function", "container.googleapis.com/Cluster"):
        _serverless_or_cluster(rows, a, scope)
    elif t in network.TYPES:
        network.map_network_asset(rows, a, scope)
    else:
        rows.skipped_types[t] += 1


def _access_list(rows: Rows, resource: str, scope: str | None, bindings: list[dict]) -> None:
    if bindings:
        rows.policies.append((resource, scope, bindings))


def _resolve(rows: Rows) -> None:
    networks = set(rows.nodes[K.NETWORK])
    for net in networks:  # the implied rules every VPC network has
        scope = rows.nodes[K.NETWORK][net][0]
        for direction, action, sources in (("ingress", "deny", ["0.0.0.0/0"]), ("egress", "allow", [])):
            rule = rows.node(K.FIREWALL, {"id": f"{net}/implied/{direction}", "name": f"implied-{action}-{direction}",
                                          "provider": "gcp", "direction": direction, "action": action,
                                          "priority": 65535, "disabled": False, "implied": True, "sources": sources,
                                          "permissions": [{"protocol": "all", "ports": []}]}, scope)
            rows.rel(K.NETWORK_RULE, net, rule, scope)
    from cloudmap.loaders.gcp.network import resolve_groups

    resolve_groups(rows)
    for child, parent, scope in rows.parents:
        if parent.startswith(CRM + "projects/"):
            parent = rows.project_node(parent)
        rows.rel(K.CONTAINS, parent, child, scope)
    for resource, scope, bindings in rows.policies:
        resource = rows.sa_by_unique_id.get(resource, resource)
        for b in bindings:
            if "__key__" in b:
                rows.rel(K.HAS_KEY, resource, b["__key__"], scope)
                continue
            policy_rows(rows, resource, scope, [b])
