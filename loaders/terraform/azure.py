"""azurerm resources of a Terraform state or plan, on the Azure loader's kinds and lower-case resource ids."""

from __future__ import annotations

from cloudmap.loaders.azure import ids
from cloudmap.loaders.terraform.build import Build
from cloudmap.loaders.terraform.state import Resource

from cloudmap.graph.kinds import azure as K

TYPES = ("azurerm_resource_group", "azurerm_virtual_network", "azurerm_subnet", "azurerm_network_security_group",
         "azurerm_network_security_rule", "azurerm_network_interface", "azurerm_public_ip",
         "azurerm_linux_virtual_machine", "azurerm_windows_virtual_machine", "azurerm_storage_account",
         "azurerm_storage_container", "azurerm_key_vault", "azurerm_role_assignment",
         "azurerm_subnet_network_security_group_association",
         "azurerm_network_interface_security_group_association")
_NO_NODE = ("azurerm_subnet_network_security_group_association", "azurerm_network_interface_security_group_association")


class Azure:
    def __init__(self, build: Build):
        self.b = build

    def register(self, res: Resource) -> bool:
        if res.type in TYPES and res.type not in _NO_NODE:
            self.b.register(res, ids.norm(res.values.get("id")), ids.norm(res.values.get("id")))
        return res.type in MAPPERS

    def ref(self, r: Resource, attr: str, rtype: str) -> str | None:
        return self.b.ref(r, attr, rtype, ids.norm)

    def asset(self, kind, r: Resource, contained: bool = True, **props) -> str:
        node_id = self.b.ids[r.address]
        sub = ids.subscription_of(node_id) if not node_id.startswith("terraform:") else None
        self.b.asset(kind, r, "azure", sub, r.values.get("location"), tags=r.values.get("tags") or {}, **props)
        rg = ids.resource_group_of(node_id) if sub else None
        if contained and rg:
            self.b.rel(K.RG_CONTAINS, rg, node_id)
        return node_id


def _list(value) -> list[str]:
    return [str(v) for v in value] if isinstance(value, list) else ([str(value)] if value else [])


def resource_group(a: Azure, r: Resource) -> None:
    gid = a.asset(K.RESOURCE_GROUP, r, contained=False)
    sub = ids.subscription_of(gid)
    a.b.rel(K.SUB_CONTAINS, ids.subscription_id(sub) if sub else None, gid)


def vnet(a: Azure, r: Resource) -> None:
    vid = a.asset(K.VNET, r, address_prefixes=_list(r.values.get("address_space")))
    for sn in r.values.get("subnet") or []:  # inline subnets
        sid = ids.norm(sn.get("id"))
        if sid:
            a.b.node(K.SUBNET, {"id": sid, "name": sn.get("name"), "provider": "azure",
                                "account_id": ids.subscription_of(sid), "source": "terraform",
                                "address_prefixes": _list(sn.get("address_prefixes") or sn.get("address_prefix")),
                                "terraform_address": r.address, "planned": r.planned})
            a.b.rel(K.VNET_CONTAINS, vid, sid)


def subnet(a: Azure, r: Resource) -> None:
    sid = a.asset(K.SUBNET, r, contained=False, address_prefixes=_list(r.values.get("address_prefixes")))
    if not sid.startswith("terraform:"):
        vnet_id = ids.parent_of(sid)
    else:
        vnet_id = next((a.b.ids[ad.rsplit(".", 1)[0]] for ad in r.references.get("virtual_network_name", [])
                        if ad.rsplit(".", 1)[0] in a.b.ids), None)
    a.b.rel(K.VNET_CONTAINS, vnet_id, sid)


def _rule(a: Azure, nsg_id: str, rule: dict, address: str, planned: bool, rule_id: str | None = None) -> None:
    name = str(rule.get("name"))
    rid = rule_id or f"{nsg_id}/securityrules/{name.lower()}"
    a.b.node(K.NSG_RULE, {
        "id": rid, "name": name, "provider": "azure", "account_id": ids.subscription_of(nsg_id),
        "direction": str(rule.get("direction") or "").lower() or None,
        "action": str(rule.get("access") or "").lower() or None, "protocol": str(rule.get("protocol") or "*").lower(),
        "ports": _list(rule.get("destination_port_range")) + _list(rule.get("destination_port_ranges")),
        "source_ports": _list(rule.get("source_port_range")) + _list(rule.get("source_port_ranges")),
        "sources": _list(rule.get("source_address_prefix")) + _list(rule.get("source_address_prefixes")),
        "destinations": _list(rule.get("destination_address_prefix")) + _list(rule.get("destination_address_prefixes")),
        "priority": rule.get("priority"), "default": False, "source": "terraform", "terraform_address": address,
        "planned": planned})
    a.b.rel(K.NSG_HAS_RULE, nsg_id, rid)


def nsg(a: Azure, r: Resource) -> None:
    nid = a.asset(K.NSG, r)
    for rule in r.values.get("security_rule") or []:
        _rule(a, nid, rule, r.address, r.planned)


def nsg_rule(a: Azure, r: Resource) -> None:
    nid = a.ref(r, "network_security_group_name", "azurerm_network_security_group")
    if not nid and r.values.get("resource_group_name") and ids.norm(r.values.get("id")):
        nid = ids.parent_of(ids.norm(r.values["id"]))
    if nid:
        _rule(a, nid, r.values, r.address, r.planned, ids.norm(r.values.get("id")))


def nsg_association(a: Azure, r: Resource) -> None:
    target_attr, rtype = (("subnet_id", "azurerm_subnet") if "subnet" in r.type
                          else ("network_interface_id", "azurerm_network_interface"))
    a.b.rel(K.NSG_APPLIES_TO, a.ref(r, "network_security_group_id", "azurerm_network_security_group"),
            a.ref(r, target_attr, rtype))


def nic(a: Azure, r: Resource) -> None:
    configs = r.values.get("ip_configuration") or []
    ips = [c["private_ip_address"] for c in configs if c.get("private_ip_address")]
    nid = a.asset(K.NIC, r, private_ips=ips, ip_forwarding=r.values.get("ip_forwarding_enabled",
                                                                            r.values.get("enable_ip_forwarding")))
    for c in configs:
        sub = ids.norm(c.get("subnet_id"))
        a.b.rel(K.IN_SUBNET, nid, a.b.by_value.get(("azurerm_subnet", sub)) or sub)
        pip = ids.norm(c.get("public_ip_address_id"))
        a.b.rel(K.PIP_ATTACHED_TO, a.b.by_value.get(("azurerm_public_ip", pip)) or pip, nid)
    if not configs or not any(c.get("subnet_id") for c in configs):
        for address in r.references.get("ip_configuration", []):
            target = a.b.ids.get(address.rsplit(".", 1)[0])
            if target and ".azurerm_subnet." in f".{address}":
                a.b.rel(K.IN_SUBNET, nid, target)


def public_ip(a: Azure, r: Resource) -> None:
    v = r.values
    a.asset(K.PUBLIC_IP, r, ip=v.get("ip_address") or None, allocation=v.get("allocation_method"),
            fqdn=v.get("fqdn") or None)


def vm(a: Azure, r: Resource) -> None:
    vid = a.asset(K.VM, r, os="windows" if "windows" in r.type else "linux", size=r.values.get("size"))
    for nic_id in a.b.refs(r, "network_interface_ids", "azurerm_network_interface", ids.norm):
        a.b.rel(K.NIC_ATTACHED_TO, nic_id, vid)


def storage_account(a: Azure, r: Resource) -> None:
    v = r.values
    rules = (v.get("network_rules") or [{}])[0]
    public = v.get("allow_nested_items_to_be_public", v.get("allow_blob_public_access"))
    a.asset(K.STORAGE_ACCOUNT, r, allow_blob_public_access=public,
            allow_shared_key_access=v.get("shared_access_key_enabled", True) is not False,
            public_network_access="Disabled" if v.get("public_network_access_enabled") is False else "Enabled",
            network_default_action=rules.get("default_action") or "Allow",
            https_only=v.get("https_traffic_only_enabled", v.get("enable_https_traffic_only")),
            min_tls_version=v.get("min_tls_version"))


def storage_container(a: Azure, r: Resource) -> None:
    v = r.values
    account = a.ref(r, "storage_account_id", "azurerm_storage_account") or next(
        (i for (t, _), i in a.b.by_value.items() if t == "azurerm_storage_account"
         and i.rsplit("/", 1)[-1] == str(v.get("storage_account_name") or "").lower()), None)
    if not r.planned and account and v.get("name"):
        # the Terraform id is the blob URL; the graph keys containers by their ARM id
        cid = f"{account}/blobservices/default/containers/{v['name'].lower()}"
        a.b.ids[r.address] = cid
    a.asset(K.BLOB_CONTAINER, r, contained=False,
            public_access=str(v.get("container_access_type") or "private").replace("private", "none"))
    a.b.rel(K.ACCOUNT_CONTAINS, account, a.b.ids[r.address])


def key_vault(a: Azure, r: Resource) -> None:
    v = r.values
    acls = (v.get("network_acls") or [{}])[0]
    a.asset(K.KEY_VAULT, r, rbac_authorization=v.get("enable_rbac_authorization", v.get("rbac_authorization_enabled")),
            public_network_access="Disabled" if v.get("public_network_access_enabled") is False else "Enabled",
            network_default_action=acls.get("default_action") or "Allow",
            soft_delete=True, purge_protection=v.get("purge_protection_enabled"), uri=v.get("vault_uri"))


def role_assignment(a: Azure, r: Resource) -> None:
    v = r.values
    aid = a.asset(K.ROLE_ASSIGNMENT, r, contained=False, principal_id=v.get("principal_id"),
                  principal_type=v.get("principal_type"), role_name=v.get("role_definition_name"),
                  scope_id=ids.norm(v.get("scope")), condition=v.get("condition"))
    a.b.rel(K.AT_SCOPE, aid, ids.norm(v.get("scope")))
    a.b.rel(K.GRANTS, aid, ids.role_definition_id(v.get("role_definition_id")))


MAPPERS = {
    "azurerm_resource_group": resource_group, "azurerm_virtual_network": vnet, "azurerm_subnet": subnet, "azurerm_network_security_group": nsg,
    "azurerm_network_security_rule": nsg_rule, "azurerm_public_ip": public_ip, "azurerm_network_interface": nic,
    "azurerm_subnet_network_security_group_association": nsg_association,
    "azurerm_network_interface_security_group_association": nsg_association,
    "azurerm_linux_virtual_machine": vm, "azurerm_windows_virtual_machine": vm,
    "azurerm_storage_account": storage_account, "azurerm_storage_container": storage_container,
    "azurerm_key_vault": key_vault, "azurerm_role_assignment": role_assignment,
}
