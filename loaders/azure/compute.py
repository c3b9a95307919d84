"""Compute rows: VMs, scale sets, App Service / Function apps, AKS clusters, user-assigned identities."""

from __future__ import annotations

from cloudmap.loaders.azure import ids
from cloudmap.loaders.azure.plan import Plan, Res, as_list, get, handles, scope_name

from cloudmap.graph.kinds import azure as K
from cloudmap.graph.kinds.common import CONTAINER_IMAGE, RUNS_IMAGE


def _os(profile: dict) -> str | None:
    os_type = get(profile, "storageProfile.osDisk.osType")
    if os_type:
        return str(os_type).lower()
    if get(profile, "osProfile.linuxConfiguration"):
        return "linux"
    if get(profile, "osProfile.windowsConfiguration"):
        return "windows"
    return None


def _password_auth(profile: dict) -> bool | None:
    """Whether the OS admin signs in by password; unknown (None) when the export has no OS profile."""
    linux = get(profile, "osProfile.linuxConfiguration")
    if linux is not None:
        return get(linux, "disablePasswordAuthentication") is False
    if get(profile, "osProfile.windowsConfiguration") is not None:
        return True
    return None


def _power_state(res: Res) -> str | None:
    code = get(res.props, "extended.instanceView.powerState.code")  # "PowerState/running"
    return str(code).split("/")[-1].lower() if code else None


@handles("microsoft.compute/virtualmachines")
def vm(plan: Plan, res: Res) -> None:
    scope = scope_name(res.sub, "resources", res.tenant)
    plan.asset(K.VM, res, os=_os(res.props), state=_power_state(res), size=get(res.props, "hardwareProfile.vmSize"),
               password_auth=_password_auth(res.props))
    for nic in ids.refs(get(res.props, "networkProfile.networkInterfaces"),
                                "properties.networkProfile.networkInterfaces"):
        plan.nic_vm[nic] = res.id
        plan.rel(K.NIC_ATTACHED_TO, nic, res.id, scope)
    plan.identity(res.id, res)


@handles("microsoft.compute/virtualmachinescalesets")
def scale_set(plan: Plan, res: Res) -> None:
    scope = scope_name(res.sub, "resources", res.tenant)
    profile = res.props.get("virtualMachineProfile") or {}
    plan.asset(K.VMSS, res, os=_os(profile), size=get(res.raw, "sku.name"), capacity=get(res.raw, "sku.capacity"),
               password_auth=_password_auth(profile))
    for nic in as_list(get(profile, "networkProfile.networkInterfaceConfigurations")):
        plan.rel(K.NSG_APPLIES_TO, ids.ref(get(nic, "properties.networkSecurityGroup")), res.id, scope)
        for config in as_list(get(nic, "properties.ipConfigurations")):
            cp = config.get("properties") or {}
            plan.rel(K.IN_SUBNET, res.id, ids.ref(cp.get("subnet")), scope)
            for pool in ids.refs(cp.get("loadBalancerBackendAddressPools")) + \
                    ids.refs(cp.get("applicationGatewayBackendAddressPools")):
                plan.pool_members[pool].add(res.id)
    plan.identity(res.id, res)


def _linux_fx(props: dict) -> str | None:
    value = get(props, "siteConfig.linuxFxVersion")
    if not value:  # Resource Graph often has it only in siteProperties
        for item in as_list(get(props, "siteProperties.properties")):
            if str(item.get("name", "")).lower() == "linuxfxversion" and item.get("value"):
                value = item["value"]
    return value


@handles("microsoft.web/sites")
def web_app(plan: Plan, res: Res) -> None:
    scope = scope_name(res.sub, "resources", res.tenant)
    access = res.props.get("publicNetworkAccess")
    plan.asset(K.WEB_APP, res, app_kind=res.raw.get("kind"), hostname=res.props.get("defaultHostName"),
               public_network_access=access, public=str(access or "enabled").lower() != "disabled",
               https_only=res.props.get("httpsOnly"), state=res.props.get("state"))
    plan.identity(res.id, res)
    fx = _linux_fx(res.props)
    if fx and fx.upper().startswith("DOCKER|"):  # "DOCKER|myregistry.azurecr.io/shop:1.4"
        image = fx.split("|", 1)[1].strip()
        repository, _, tag = image.rpartition(":") if ":" in image.rsplit("/", 1)[-1] else (image, "", "latest")
        image_id = f"{repository}:{tag}".lower()
        plan.node(CONTAINER_IMAGE, {"id": image_id, "name": image_id, "repository": repository.lower(),
                                    "tags_list": [image_id], "registry": repository.split("/")[0]
                                    if "." in repository.split("/")[0] else "docker.io"}, None)
        plan.rel(RUNS_IMAGE, res.id, image_id, scope)


@handles("microsoft.containerservice/managedclusters")
def aks(plan: Plan, res: Res) -> None:
    scope = scope_name(res.sub, "resources", res.tenant)
    access = res.props.get("apiServerAccessProfile") or {}
    private = bool(access.get("enablePrivateCluster"))
    plan.asset(K.AKS, res, endpoint_public=not private, public_cidrs=[] if private else
               [str(c) for c in as_list(access.get("authorizedIPRanges"))],
               version=res.props.get("kubernetesVersion"), fqdn=res.props.get("fqdn") or res.props.get("privateFQDN"),
               rbac_enabled=res.props.get("enableRBAC"), local_accounts_disabled=res.props.get("disableLocalAccounts"))
    plan.identity(res.id, res)
    kubelet = get(res.props, "identityProfile.kubeletidentity") or {}
    if kubelet.get("resourceId"):  # the identity the nodes (and so every pod) can get tokens for
        mid = ids.norm(kubelet["resourceId"])
        plan.managed_identity(mid, mid.rsplit("/", 1)[-1], kubelet.get("objectId"), res.tenant,
                              kubelet.get("clientId"), "user", ids.subscription_of(mid), scope, weak=True)
        plan.rel(K.USES_IDENTITY, res.id, mid, scope, via="managed-identity")
    for pool in as_list(res.props.get("agentPoolProfiles")):
        plan.rel(K.IN_SUBNET, res.id, ids.norm(pool.get("vnetSubnetID")), scope)


@handles("microsoft.managedidentity/userassignedidentities")
def user_identity(plan: Plan, res: Res) -> None:
    plan.asset(K.MANAGED_IDENTITY, res, principal_id=(res.props.get("principalId") or "").lower() or None,
               tenant_id=res.props.get("tenantId"), client_id=res.props.get("clientId"), assignment="user")
    if res.props.get("principalId"):
        plan.principals[res.props["principalId"].lower()] = res.id
