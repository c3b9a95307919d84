"""Network assets beyond firewalls: routes, peerings and the load-balancing chain (forwarding rule →
target proxy → URL map → backend service → instance group or endpoint group → instances or a
serverless service), each hop a ``ROUTES_TO`` edge so the engine can walk from a frontend to its
backends."""

from __future__ import annotations

from cloudmap.loaders.gcp.exports import Asset
from cloudmap.loaders.gcp.transform import NETWORK_TYPES, Rows, _asset, compute_name

from cloudmap.graph.kinds import gcp as K

C = "compute.googleapis.com/"
PROXIES = {"TargetHttpProxy": "http", "TargetHttpsProxy": "https", "TargetTcpProxy": "tcp",
           "TargetSslProxy": "ssl", "TargetGrpcProxy": "grpc"}
TYPES = NETWORK_TYPES
EXTERNAL_SCHEMES = ("EXTERNAL", "EXTERNAL_MANAGED")
INTERNET_GATEWAY = "/global/gateways/default-internet-gateway"
_PROXY_PATHS = ("/targetHttpProxies/", "/targetHttpsProxies/", "/targetTcpProxies/", "/targetSslProxies/",
                "/targetGrpcProxies/")


def map_network_asset(rows: Rows, a: Asset, scope: str | None) -> None:
    kind = a.asset_type.removeprefix(C)
    d = a.data
    if kind == "Route":
        _route(rows, a, scope)
    elif kind in ("ForwardingRule", "GlobalForwardingRule"):
        _forwarding_rule(rows, a, scope)
    elif kind in PROXIES:
        node = _asset(rows, K.TARGET_PROXY, a, scope, proxy_type=PROXIES[kind])
        rows.rel(K.PROXY_ROUTES_TO, node, compute_name(d.get("urlMap") or d.get("service")), scope)
    elif kind == "UrlMap":
        node = _asset(rows, K.URL_MAP, a, scope)
        for service in sorted(_url_map_services(d)):
            rows.rel(K.URL_MAP_ROUTES_TO, node, compute_name(service), scope)
    elif kind in ("BackendService", "RegionBackendService"):
        node = _asset(rows, K.BACKEND_SERVICE, a, scope, load_balancing_scheme=d.get("loadBalancingScheme", "EXTERNAL"),
                      protocol=d.get("protocol"), port=d.get("port"), port_name=d.get("portName"))
        for b in d.get("backends") or []:
            rows.rel(K.BACKEND_ROUTES_TO, node, compute_name(b.get("group")), scope)
    elif kind == "TargetPool":
        node = _asset(rows, K.TARGET_POOL, a, scope)
        for vm in d.get("instances") or []:
            rows.rel(K.POOL_ROUTES_TO, node, compute_name(vm), scope)
    elif kind == "InstanceGroup":
        node = _asset(rows, K.INSTANCE_GROUP, a, scope,
                      named_ports={p["name"]: int(p["port"]) for p in d.get("namedPorts") or [] if p.get("name")})
        # CAI holds no members of an unmanaged group; Terraform and `list-instances` enrichment do
        for vm in d.get("instances") or []:
            rows.rel(K.GROUP_CONTAINS, node, compute_name(vm), scope)
    elif kind == "InstanceGroupManager":
        group = compute_name(d.get("instanceGroup"))
        if group:
            rows.managers[_manager_key(rows, a.name)] = group
            rows.node(K.INSTANCE_GROUP, {"id": group, "name": group.rsplit("/", 1)[-1], "provider": "gcp",
                                         "managed": True}, scope, weak=True)
            rows.nodes[K.INSTANCE_GROUP][group][1]["managed"] = True
    elif kind == "NetworkEndpointGroup":
        _endpoint_group(rows, a, scope)


def _route(rows: Rows, a: Asset, scope: str | None) -> None:
    d = a.data
    hop = next((d[k] for k in ("nextHopGateway", "nextHopInstance", "nextHopIp", "nextHopIlb", "nextHopVpnTunnel",
                               "nextHopNetwork", "nextHopPeering") if d.get(k)), None)
    node = _asset(rows, K.ROUTE, a, scope, dest_range=d.get("destRange"), next_hop=compute_name(hop) if hop and
                  "/" in hop else hop, internet_gateway=bool(hop and hop.endswith(INTERNET_GATEWAY)),
                  priority=int(d.get("priority", 1000)), route_tags=list(d.get("tags") or []))
    rows.rel(K.NETWORK_ROUTE, compute_name(d.get("network")), node, scope)


def peerings(rows: Rows, network: str, d: dict, scope: str | None) -> None:
    """Only an ACTIVE peering carries traffic: GCP marks it so once both networks have configured it."""
    for p in d.get("peerings") or []:
        if str(p.get("state", "")).upper() == "ACTIVE":
            rows.rel(K.PEERED_WITH, network, compute_name(p.get("network")), scope, peering=p.get("name"),
                     state="ACTIVE")


def _ports(d: dict) -> list[str]:
    if d.get("allPorts"):
        return ["*"]
    if d.get("ports"):
        return [str(p) for p in d["ports"]]
    lo, _, hi = str(d.get("portRange") or "").partition("-")
    return [lo if not hi or hi == lo else f"{lo}-{hi}"] if lo else ["*"]


def _forwarding_rule(rows: Rows, a: Asset, scope: str | None) -> None:
    d = a.data
    scheme = str(d.get("loadBalancingScheme") or "EXTERNAL").upper()
    target = compute_name(d.get("target") or d.get("backendService"))
    external = scheme in EXTERNAL_SCHEMES and bool(d.get("IPAddress")) and bool(target)
    node = _asset(rows, K.FORWARDING_RULE, a, scope, scheme="internet-facing" if external else "internal",
                  load_balancing_scheme=scheme, ip=d.get("IPAddress"),
                  ip_protocol=str(d.get("IPProtocol") or "TCP").lower(), listener_ports=_ports(d),
                  proxied=any(p in (target or "") for p in _PROXY_PATHS))
    rows.rel(K.LB_ROUTES_TO, node, target, scope)


def _url_map_services(d: dict) -> set[str]:
    """Every backend service a URL map can send a request to (default, host/path and route rules)."""
    found: set[str] = set()

    def take(obj: dict) -> None:
        if obj.get("defaultService"):
            found.add(obj["defaultService"])
        if obj.get("service"):
            found.add(obj["service"])
        for action in (obj.get("defaultRouteAction"), obj.get("routeAction")):
            for w in (action or {}).get("weightedBackendServices") or []:
                if w.get("backendService"):
                    found.add(w["backendService"])

    take(d)
    for matcher in d.get("pathMatchers") or []:
        take(matcher)
        for rule in [*(matcher.get("pathRules") or []), *(matcher.get("routeRules") or [])]:
            take(rule)
    return found


def _endpoint_group(rows: Rows, a: Asset, scope: str | None) -> None:
    d = a.data
    node = _asset(rows, K.NEG, a, scope, endpoint_type=d.get("networkEndpointType"))
    project = a.name.split("/projects/", 1)[-1].split("/", 1)[0]
    region = str(d.get("region") or "").rsplit("/", 1)[-1]
    run, function = (d.get("cloudRun") or {}).get("service"), (d.get("cloudFunction") or {}).get("function")
    if run:
        rows.rel(K.NEG_ROUTES_TO, node, f"//run.googleapis.com/projects/{project}/locations/{region}/services/{run}",
                 scope)
    if function:
        rows.rel(K.NEG_ROUTES_TO, node,
                 f"//cloudfunctions.googleapis.com/projects/{project}/locations/{region}/functions/{function}", scope)


def _manager_key(rows: Rows, name: str) -> tuple[str, str]:
    """A manager named by project id (Cloud Asset) or number (``created-by`` metadata) as one key."""
    project, _, rest = name.split("/projects/", 1)[-1].partition("/")
    return rows.project_numbers.get(project, project), rest


def resolve_groups(rows: Rows) -> None:
    """Instances a managed group created (their ``created-by`` metadata names its manager) are members."""
    for vm, manager, scope in rows.created_by:
        group = rows.managers.get(_manager_key(rows, manager))
        if group:
            rows.rel(K.GROUP_CONTAINS, group, vm, scope)
