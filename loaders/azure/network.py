"""Network rows: VNets and subnets, peerings, route tables, NSGs (with Azure's default rules), ASGs,
NICs, public IPs, load balancers, application gateways, Azure Firewall and Bastion."""

from __future__ import annotations

from cloudmap.loaders.azure import ids
from cloudmap.loaders.azure.plan import Plan, Res, as_list, get, handles, scope_name

from cloudmap.graph.kinds import azure as K

# The six rules Azure adds to every NSG (priority, name, direction, action, source, destination).
DEFAULT_RULES = (
    (65000, "AllowVnetInBound", "inbound", "allow", "VirtualNetwork", "VirtualNetwork"),
    (65001, "AllowAzureLoadBalancerInBound", "inbound", "allow", "AzureLoadBalancer", "*"),
    (65500, "DenyAllInBound", "inbound", "deny", "*", "*"),
    (65000, "AllowVnetOutBound", "outbound", "allow", "VirtualNetwork", "VirtualNetwork"),
    (65001, "AllowInternetOutBound", "outbound", "allow", "*", "Internet"),
    (65500, "DenyAllOutBound", "outbound", "deny", "*", "*"),
)


def _scope(res: Res) -> str:
    return scope_name(res.sub, "resources", res.tenant)


def _one_or_many(props: dict, single: str, many: str) -> list[str]:
    values = [v for v in as_list(props.get(many)) if v not in (None, "")]
    if not values and props.get(single) not in (None, ""):
        values = [props[single]]
    return [str(v) for v in values]


@handles("microsoft.network/virtualnetworks")
def vnet(plan: Plan, res: Res) -> None:
    scope = _scope(res)
    plan.asset(K.VNET, res, address_prefixes=get(res.props, "addressSpace.addressPrefixes", []))
    for sn in as_list(res.props.get("subnets")):
        sid = ids.ref(sn)
        sprops = sn.get("properties") or {}
        plan.node(K.SUBNET, {"id": sid, "name": sn.get("name") or sid.rsplit("/", 1)[-1], "provider": "azure",
                             "account_id": res.sub, "region": res.raw.get("location"),
                             "address_prefixes": _one_or_many(sprops, "addressPrefix", "addressPrefixes")}, scope)
        plan.rel(K.VNET_CONTAINS, res.id, sid, scope)
        plan.rel(K.NSG_APPLIES_TO, ids.ref(sprops.get("networkSecurityGroup")), sid, scope)
        plan.rel(K.RT_ASSOCIATED, ids.ref(sprops.get("routeTable")), sid, scope)
    for peering in as_list(res.props.get("virtualNetworkPeerings")):
        pprops = peering.get("properties") or {}
        plan.rel(K.PEERED_WITH, res.id, ids.ref(pprops.get("remoteVirtualNetwork")), scope,
                 state=pprops.get("peeringState"), allow_forwarded=pprops.get("allowForwardedTraffic"),
                 allow_gateway_transit=pprops.get("allowGatewayTransit"))


@handles("microsoft.network/routetables")
def route_table(plan: Plan, res: Res) -> None:
    routes = [{"name": r.get("name"), "address_prefix": get(r, "properties.addressPrefix"),
               "next_hop_type": get(r, "properties.nextHopType"),
               "next_hop_ip": get(r, "properties.nextHopIpAddress")} for r in as_list(res.props.get("routes"))]
    default = next((r["next_hop_type"] for r in routes if r["address_prefix"] == "0.0.0.0/0"), None)
    plan.asset(K.ROUTE_TABLE, res, routes=routes, default_route_next_hop=default)
    for sid in ids.refs(res.props.get("subnets"), "properties.subnets"):
        plan.rel(K.RT_ASSOCIATED, res.id, sid, _scope(res))


@handles("microsoft.network/applicationsecuritygroups")
def asg(plan: Plan, res: Res) -> None:
    plan.asset(K.ASG, res)


@handles("microsoft.network/networksecuritygroups")
def nsg(plan: Plan, res: Res) -> None:
    scope = _scope(res)
    plan.asset(K.NSG, res)
    for rule in as_list(res.props.get("securityRules")):
        _rule(plan, res, rule, default=False)
    seen = set()
    for rule in as_list(res.props.get("defaultSecurityRules")):
        seen.add(str(rule.get("name")).lower())
        _rule(plan, res, rule, default=True)
    for priority, name, direction, action, source, dest in DEFAULT_RULES:  # exports often omit them
        if name.lower() not in seen:
            _rule(plan, res, {"id": f"{res.id}/defaultsecurityrules/{name}", "name": name, "properties": {
                "priority": priority, "direction": direction, "access": action, "protocol": "*",
                "sourceAddressPrefix": source, "destinationAddressPrefix": dest, "sourcePortRange": "*",
                "destinationPortRange": "*"}}, default=True)
    for target in ids.refs(res.props.get("networkInterfaces"), "properties.networkInterfaces") + \
            ids.refs(res.props.get("subnets"), "properties.subnets"):
        plan.rel(K.NSG_APPLIES_TO, res.id, target, scope)


def _rule(plan: Plan, res: Res, rule: dict, default: bool) -> None:
    scope = _scope(res)
    p = rule.get("properties") or {}
    kind = "defaultsecurityrules" if default else "securityrules"
    rid = ids.ref(rule) or f"{res.id}/{kind}/{str(rule.get('name')).lower()}"
    plan.node(K.NSG_RULE, {
        "id": rid, "name": rule.get("name"), "provider": "azure", "account_id": res.sub,
        "region": res.raw.get("location"), "direction": str(p.get("direction") or "").lower() or None,
        "action": str(p.get("access") or "").lower() or None, "protocol": str(p.get("protocol") or "*").lower(),
        "ports": _one_or_many(p, "destinationPortRange", "destinationPortRanges"),
        "source_ports": _one_or_many(p, "sourcePortRange", "sourcePortRanges"),
        "sources": _one_or_many(p, "sourceAddressPrefix", "sourceAddressPrefixes"),
        "destinations": _one_or_many(p, "destinationAddressPrefix", "destinationAddressPrefixes"),
        "priority": p.get("priority"), "default": default}, scope)
    plan.rel(K.NSG_HAS_RULE, res.id, rid, scope)
    for group in ids.refs(p.get("sourceApplicationSecurityGroups")):
        plan.rel(K.RULE_ALLOWS_FROM, rid, group, scope)
    for group in ids.refs(p.get("destinationApplicationSecurityGroups")):
        plan.rel(K.RULE_ALLOWS_TO, rid, group, scope)


@handles("microsoft.network/networkinterfaces")
def nic(plan: Plan, res: Res) -> None:
    scope = _scope(res)
    configs = as_list(res.props.get("ipConfigurations"))
    private_ips = [get(c, "properties.privateIPAddress") for c in configs if get(c, "properties.privateIPAddress")]
    plan.asset(K.NIC, res, private_ips=private_ips, ip_forwarding=res.props.get("enableIPForwarding"))
    plan.nic_ips[res.id] = private_ips
    vm = ids.ref(res.props.get("virtualMachine"))
    if vm:
        plan.nic_vm[res.id] = vm
        plan.rel(K.NIC_ATTACHED_TO, res.id, vm, scope)
    plan.rel(K.NSG_APPLIES_TO, ids.ref(res.props.get("networkSecurityGroup")), res.id, scope)
    for config in configs:
        cp = config.get("properties") or {}
        plan.rel(K.IN_SUBNET, res.id, ids.ref(cp.get("subnet")), scope)
        plan.rel(K.PIP_ATTACHED_TO, ids.ref(cp.get("publicIPAddress")), res.id, scope)
        for group in ids.refs(cp.get("applicationSecurityGroups")):
            plan.rel(K.NIC_MEMBER_OF, res.id, group, scope)
        for pool in ids.refs(cp.get("loadBalancerBackendAddressPools")) + \
                ids.refs(cp.get("applicationGatewayBackendAddressPools")):
            plan.pool_members[pool].add(res.id)


@handles("microsoft.network/publicipaddresses")
def public_ip(plan: Plan, res: Res) -> None:
    plan.asset(K.PUBLIC_IP, res, ip=res.props.get("ipAddress"), allocation=res.props.get("publicIPAllocationMethod"),
               fqdn=get(res.props, "dnsSettings.fqdn"))
    config = ids.ref(res.props.get("ipConfiguration"))
    if config:  # .../networkInterfaces/nic/ipConfigurations/x, .../loadBalancers/lb/frontendIPConfigurations/x
        plan.rel(K.PIP_ATTACHED_TO, res.id, ids.top_resource_of(config), _scope(res))


def _frontends(plan: Plan, res: Res, configs) -> bool:
    """Public IPs and subnets of frontend / ip configurations; True when one is public."""
    public = False
    for config in as_list(configs):
        pip = ids.ref(get(config, "properties.publicIPAddress"))
        public = public or bool(pip)
        plan.rel(K.PIP_ATTACHED_TO, pip, res.id, _scope(res))
        plan.rel(K.IN_SUBNET, res.id, ids.ref(get(config, "properties.subnet")), _scope(res))
    return public


@handles("microsoft.network/loadbalancers")
def load_balancer(plan: Plan, res: Res) -> None:
    public = _frontends(plan, res, res.props.get("frontendIPConfigurations"))
    rules = [r.get("properties") or {} for r in as_list(res.props.get("loadBalancingRules"))]
    ports = sorted({str(r["frontendPort"]) for r in rules if r.get("frontendPort") is not None})
    plan.asset(K.LOAD_BALANCER, res, scheme="internet-facing" if public else "internal", listener_ports=ports,
               sku=get(res.raw, "sku.name"))
    for pool in as_list(res.props.get("backendAddressPools")):
        for config in ids.refs(get(pool, "properties.backendIPConfigurations")):
            plan.pool_members[ids.ref(pool)].add(ids.top_resource_of(config))
    for r in rules:
        pools = ids.refs(r.get("backendAddressPools")) or [p for p in [ids.ref(r.get("backendAddressPool"))] if p]
        for pool in pools:
            plan.pool_routes.append((res.id, pool, K.LB_ROUTES_TO, [str(r.get("frontendPort"))],
                                     [str(r.get("backendPort"))]))
    for nat in as_list(res.props.get("inboundNatRules")):
        np = nat.get("properties") or {}
        config = ids.ref(np.get("backendIPConfiguration"))
        if config:
            pool = f"{res.id}/inboundnatrules/{str(nat.get('name')).lower()}"
            plan.pool_members[pool].add(ids.top_resource_of(config))
            plan.pool_routes.append((res.id, pool, K.LB_ROUTES_TO, [str(np.get("frontendPort"))],
                                     [str(np.get("backendPort"))]))


@handles("microsoft.network/applicationgateways")
def app_gateway(plan: Plan, res: Res) -> None:
    public = _frontends(plan, res, res.props.get("frontendIPConfigurations"))
    for config in as_list(res.props.get("gatewayIPConfigurations")):
        plan.rel(K.IN_SUBNET, res.id, ids.ref(get(config, "properties.subnet")), _scope(res))
    port_of = {ids.ref(p): str(get(p, "properties.port")) for p in as_list(res.props.get("frontendPorts"))}
    ports = sorted({port_of.get(ids.ref(get(listener, "properties.frontendPort")), "")
                    for listener in as_list(res.props.get("httpListeners"))} - {""})
    waf = res.props.get("webApplicationFirewallConfiguration") or {}
    plan.asset(K.APP_GATEWAY, res, gateway_type="application-gateway", listener_ports=ports,
               scheme="internet-facing" if public else "internal",
               waf_enabled=bool(waf.get("enabled") or res.props.get("firewallPolicy")), waf_mode=waf.get("firewallMode"))
    for pool in as_list(res.props.get("backendAddressPools")):
        pid = ids.ref(pool)
        for config in ids.refs(get(pool, "properties.backendIPConfigurations")):
            plan.pool_members[pid].add(ids.top_resource_of(config))
        for address in as_list(get(pool, "properties.backendAddresses")):
            if address.get("ipAddress"):
                plan.pool_ips[pid].add(address["ipAddress"])
        plan.pool_routes.append((res.id, pid, K.APPGW_ROUTES_TO, ports, []))
    plan.identity(res.id, res)


@handles("microsoft.network/azurefirewalls")
def firewall(plan: Plan, res: Res) -> None:
    configs = res.props.get("ipConfigurations")
    _frontends(plan, res, configs)
    plan.asset(K.FIREWALL, res, gateway_type="firewall", private_ips=[
        get(c, "properties.privateIPAddress") for c in as_list(configs) if get(c, "properties.privateIPAddress")])


@handles("microsoft.network/bastionhosts")
def bastion(plan: Plan, res: Res) -> None:
    _frontends(plan, res, res.props.get("ipConfigurations"))
    plan.asset(K.BASTION, res, gateway_type="bastion")


def resolve_pools(plan: Plan) -> None:
    """Load balancer and application gateway backends -> ROUTES_TO the VMs behind the NICs (or the
    NIC when it has no VM, or the scale set)."""
    by_ip = {ip: nic for nic, ips in plan.nic_ips.items() for ip in ips}
    for lb, pool, kind, ports, backend_ports in plan.pool_routes:
        members = set(plan.pool_members.get(pool, ())) | {by_ip[ip] for ip in plan.pool_ips.get(pool, ()) if ip in by_ip}
        scope = next((s for s, _ in [plan.nodes[kind.source].get(lb, (None, None))] if s), None)
        if not scope:
            continue
        for member in members:
            target = plan.nic_vm.get(member, member)
            existing = plan.rels[scope][kind].get((lb, target), {})
            plan.rel(kind, lb, target, scope,
                     ports=sorted(set(existing.get("ports", [])) | {p for p in ports if p != "None"}),
                     backend_ports=sorted(set(existing.get("backend_ports", [])) |
                                          {p for p in backend_ports if p != "None"}))
