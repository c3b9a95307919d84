"""Azure attack paths from Resource Graph and Microsoft Graph exports (the shapes `az graph query` and
Graph list calls return): a VM's managed identity reading a classified container, a VM identity and a
service principal with a valid secret that can write role assignments at the subscription (Owner of
it), each beside a twin decoy that differs in the one fact that breaks the path."""

from __future__ import annotations

import json

import pytest

from tests.attack_paths.scenario import assert_finding, assert_no_finding, chain, chain_types, finish
from tests.conftest import wipe
from tests.fixtures.azure import build_exports as az
from tests.fixtures.entra import build_exports as entra

SUB = az.SUB_ID
RG = f"{SUB}/resourceGroups/rg-paths"
RG_B = f"{SUB}/resourceGroups/rg-paths-b"   # the decoys' group: nothing privileged in it, no network to RG's
STORAGE = f"{RG}/providers/Microsoft.Storage/storageAccounts/stpaths"
CONTAINER = f"{STORAGE}/blobServices/default/containers/customers"
BLOB_READER, UAA = az.BLOB_READER, "18d7d88d-d35e-4fb5-a5c3-7773c4a72d9d"   # built-in role ids
# VM name -> (NSG, the identity's principal id)
VMS = {"vm-data": ("nsg-rdp-open", "0b000000-0000-4000-8000-000000000001"),
       "vm-data-b": ("nsg-rdp-closed", "0b000000-0000-4000-8000-000000000002"),   # decoy: RDP only from 10/8
       "vm-ops": ("nsg-ssh-open", "0b000000-0000-4000-8000-000000000003"),
       "vm-ops-b": ("nsg-ssh-open", "0b000000-0000-4000-8000-000000000004")}      # decoy: its grant is on a group
# service principals: (app object id, app id, sp object id, secret end)
APPS = {"release": ("0c000000-0000-4000-8000-000000000001", "0d000000-0000-4000-8000-000000000001",
                    "0e000000-0000-4000-8000-000000000001", "2099-01-01T00:00:00Z"),
        "release-old": ("0c000000-0000-4000-8000-000000000002", "0d000000-0000-4000-8000-000000000002",
                        "0e000000-0000-4000-8000-000000000002", "2020-01-01T00:00:00Z"),   # decoy: expired secret
        "release-rg": ("0c000000-0000-4000-8000-000000000003", "0d000000-0000-4000-8000-000000000003",
                       "0e000000-0000-4000-8000-000000000003", "2099-01-01T00:00:00Z")}   # decoy: group scope


def group_of(vm: str) -> str:
    return RG_B if vm == "vm-ops-b" else RG


def net(rg: str) -> str:
    return f"{rg}/providers/Microsoft.Network"


def subnet(rg: str) -> str:
    return f"{net(rg)}/virtualNetworks/vnet/subnets/snet-vm"


def vm_id(name: str) -> str:
    return f"{group_of(name)}/providers/Microsoft.Compute/virtualMachines/{name}"


def resources() -> list[dict]:
    rows = [az.row(f"{net(rg)}/virtualNetworks/vnet", "microsoft.network/virtualnetworks", {
        "addressSpace": {"addressPrefixes": [cidr]},
        "subnets": [{"id": subnet(rg), "name": "snet-vm", "properties": {"addressPrefix": cidr.replace("0.0/16", "1.0/24")}}],
        "virtualNetworkPeerings": []}) for rg, cidr in ((RG, "10.30.0.0/16"), (RG_B, "10.31.0.0/16"))]
    rows += [
        az.row(STORAGE, "microsoft.storage/storageaccounts", {
            "allowBlobPublicAccess": False, "publicNetworkAccess": "Disabled", "minimumTlsVersion": "TLS1_2",
            "networkAcls": {"defaultAction": "Deny", "bypass": "AzureServices", "ipRules": [], "virtualNetworkRules": []}},
            kind="StorageV2", sku={"name": "Standard_LRS", "tier": "Standard"}),
        az.row(CONTAINER, "microsoft.storage/storageaccounts/blobservices/containers",
               {"publicAccess": "None"}, tags={"data-classification": "pii"}),
    ]
    for nsg, port, source in (("nsg-rdp-open", "3389", "Internet"), ("nsg-rdp-closed", "3389", "10.0.0.0/8"),
                              ("nsg-ssh-open", "22", "Internet")):
        nid = f"{net(RG)}/networkSecurityGroups/{nsg}"
        rows.append(az.row(nid, "microsoft.network/networksecuritygroups", {
            "securityRules": [az.rule(nid, "allow-admin", 300, "Inbound", "Allow", "Tcp", port, source)],
            "defaultSecurityRules": az.azure_defaults(nid)}))
    for n, (name, (nsg, principal)) in enumerate(VMS.items(), start=10):
        rg = group_of(name)
        nic, pip = f"{net(rg)}/networkInterfaces/{name}-nic", f"{net(rg)}/publicIPAddresses/{name}-pip"
        rows += [
            az.row(pip, "microsoft.network/publicipaddresses", {
                "ipAddress": f"20.62.0.{n}", "publicIPAllocationMethod": "Static",
                "ipConfiguration": {"id": f"{nic}/ipConfigurations/ipconfig1"}}, sku={"name": "Standard"}),
            az.row(nic, "microsoft.network/networkinterfaces", {
                "ipConfigurations": [az.ip_config(nic, f"10.3{int(rg == RG_B)}.1.{n}", subnet(rg), pip)],
                "networkSecurityGroup": {"id": f"{net(RG)}/networkSecurityGroups/{nsg}"},
                "virtualMachine": {"id": vm_id(name)}}),
            az.row(vm_id(name), "microsoft.compute/virtualmachines", {
                "hardwareProfile": {"vmSize": "Standard_B2s"},
                "storageProfile": {"osDisk": {"osType": "Linux"}},
                "osProfile": {"computerName": name, "linuxConfiguration": {"disablePasswordAuthentication": True}},
                "networkProfile": {"networkInterfaces": [{"id": nic}]},
                "extended": {"instanceView": {"powerState": {"code": "PowerState/running"}}}},
                identity={"type": "SystemAssigned", "principalId": principal, "tenantId": az.TENANT}),
        ]
    return rows


def containers() -> list[dict]:
    return [*az.containers(), *(az.row(rg, "microsoft.resources/subscriptions/resourcegroups",
                                       {"provisioningState": "Succeeded"}) for rg in (RG, RG_B))]


def authorization() -> list[dict]:
    grants = [(VMS["vm-data"][1], STORAGE, BLOB_READER), (VMS["vm-data-b"][1], STORAGE, BLOB_READER),
              (VMS["vm-ops"][1], SUB, UAA), (VMS["vm-ops-b"][1], RG_B, UAA),
              (APPS["release"][2], SUB, UAA), (APPS["release-old"][2], SUB, UAA), (APPS["release-rg"][2], RG_B, UAA)]
    return [az.assignment(f"0f000000-0000-4000-8000-0000000000{n:02d}", scope, role, principal, "ServicePrincipal")
            for n, (principal, scope, role) in enumerate(grants, start=1)]


def directory(tmp) -> list:
    apps, sps = [], []
    for name, (app, app_id, sp, end) in APPS.items():
        apps.append({"@odata.type": "#microsoft.graph.application", "id": app, "appId": app_id, "displayName": name,
                     "signInAudience": "AzureADMyOrg", "keyCredentials": [],
                     "passwordCredentials": [entra.secret(app.replace("0c", "1c", 1), "ci", "2019-01-01T00:00:00Z", end)]})
        sps.append({"@odata.type": "#microsoft.graph.servicePrincipal", "id": sp, "appId": app_id, "displayName": name,
                    "servicePrincipalType": "Application", "accountEnabled": True, "appOwnerOrganizationId": az.TENANT,
                    "servicePrincipalNames": [app_id], "passwordCredentials": [], "keyCredentials": []})
    paths = []
    for table, rows in (("users", []), ("groups", []), ("applications", apps), ("servicePrincipals", sps)):
        path = tmp / f"{table}.json"
        path.write_text(json.dumps({"@odata.context": f"{entra.GRAPH}#{table}", "value": rows}))
        paths.append(path)
    return paths


@pytest.fixture(scope="module")
def estate(_session_graph, tmp_path_factory):
    from cloudmap.loaders.azure import load as load_azure
    from cloudmap.loaders.entra.load import load_exports

    graph = _session_graph
    wipe(graph)
    tmp = tmp_path_factory.mktemp("azure-paths")
    exports = az.write(tmp / "azure", {"resources": resources(), "containers": containers(),
                                       "authorization": authorization()})
    summary = load_azure(graph, exports=exports)
    assert summary.ok, summary
    summary = load_exports(graph, directory(tmp), tenant=az.TENANT)
    assert summary.ok, summary
    finish(graph)
    node = {r["p"]: r["id"] for r in graph.read(
        "MATCH (i:Identity) WHERE i.principal_id IS NOT NULL RETURN toLower(i.principal_id) AS p, i.id AS id")}
    ids = {"subscription": SUB.lower(), "container": CONTAINER.lower()}
    ids.update({name: vm_id(name).lower() for name in VMS})
    ids.update({f"{name}:identity": node.get(p) for name, (_, p) in VMS.items()})
    ids.update({name: node.get(sp) for name, (_, _, sp, _) in APPS.items()})
    return graph, ids


def test_vm_managed_identity_reads_classified_container(estate):
    graph, ids = estate
    assert chain_types(graph, ids["vm-data"], ids["container"], internet=True) == [
        "CAN_REACH", "CAN_AUTHENTICATE_AS", "CAN_ACCESS"]
    assert chain(graph, ids["vm-data-b"], ids["container"], internet=True) is None


def test_vm_identity_writes_role_assignments_to_own_the_subscription(estate):
    graph, ids = estate
    assert chain_types(graph, ids["vm-ops"], ids["subscription"], internet=True) == [
        "CAN_REACH", "CAN_AUTHENTICATE_AS", "CAN_ESCALATE_TO"]
    assert chain(graph, ids["vm-ops-b"], ids["subscription"], internet=True) is None


def test_service_principal_with_secret_writes_role_assignments_to_owner(estate):
    graph, ids = estate
    assert chain_types(graph, ids["release"], ids["subscription"]) == ["CAN_ESCALATE_TO"]
    valid = {r["id"]: r["v"] for r in graph.read(
        "MATCH (s:ServicePrincipal) WHERE s.id IN $ids RETURN s.id AS id, s.valid_credentials AS v",
        ids=[ids["release"], ids["release-old"]])}
    assert valid == {ids["release"]: 1, ids["release-old"]: 0}   # decoy: the same grant, its secret expired
    assert chain(graph, ids["release-rg"], ids["subscription"]) is None


# (entry, target, level, hops, [decoy (entry, target)])
FINDINGS = {
    "vm-identity-container": ("vm-data", "container", "high", 3, [("vm-data-b", "container")]),
    "vm-identity-owner": ("vm-ops", "subscription", "high", 3, [("vm-ops-b", "subscription")]),
    "service-principal-owner": ("release", "subscription", "high", 1,
                                [("release-old", "subscription"), ("release-rg", "subscription")]),
}


@pytest.mark.parametrize("scenario", list(FINDINGS))
def test_finding(estate, scenario):
    graph, ids = estate
    entry, target, level, hops, decoys = FINDINGS[scenario]
    assert_finding(graph, ids[entry], ids[target], level, hops)
    for d_entry, d_target in decoys:
        assert_no_finding(graph, ids[d_entry], ids[d_target])
