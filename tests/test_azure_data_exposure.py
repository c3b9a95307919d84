"""Azure data-service exposure and Key Vault access policies, from a raw Resource Graph export through
`cloudmap load azure` and the analysis to CAN_REACH / CAN_ACCESS and CM-DATA-001. Each exposed store
has a twin that differs in the one fact that closes it."""

from __future__ import annotations

import pytest

from cloudmap.findings.analysis import run_analysis
from tests.fixtures.azure import build_exports as est
from tests.helpers import cli_json

RG = f"/subscriptions/{est.SUB}/resourceGroups/rg-exposure"
SQL_OPEN, SQL_AZURE_ONLY = f"{RG}/providers/Microsoft.Sql/servers/sql-open", f"{RG}/providers/Microsoft.Sql/servers/sql-azure"
COSMOS_OPEN = f"{RG}/providers/Microsoft.DocumentDB/databaseAccounts/cosmos-open"
COSMOS_LISTED = f"{RG}/providers/Microsoft.DocumentDB/databaseAccounts/cosmos-listed"
VAULT_POLICY, VAULT_RBAC = (f"{RG}/providers/Microsoft.KeyVault/vaults/kv-{n}" for n in ("policies", "rbac"))
IDENTITY = f"{RG}/providers/Microsoft.ManagedIdentity/userAssignedIdentities/id-batch"
PRINCIPAL = "9d9d9d9d-0000-4000-8000-00000000beef"


def sql(server: str, start: str, end: str) -> list[dict]:
    return [est.row(server, "microsoft.sql/servers", {"publicNetworkAccess": "Enabled",
                                                       "administrators": {"azureADOnlyAuthentication": False}}),
            est.row(f"{server}/firewallRules/rule", "microsoft.sql/servers/firewallrules",
                    {"startIpAddress": start, "endIpAddress": end}),
            est.row(f"{server}/databases/orders", "microsoft.sql/servers/databases", {"status": "Online"})]


def cosmos(account: str, ip_rules: list[str]) -> dict:
    return est.row(account, "microsoft.documentdb/databaseaccounts", {
        "publicNetworkAccess": "Enabled", "disableLocalAuth": False, "isVirtualNetworkFilterEnabled": False,
        "ipRules": [{"ipAddressOrRange": ip} for ip in ip_rules]}, kind="GlobalDocumentDB")


def vault(vault_id: str, rbac: bool) -> dict:
    return est.row(vault_id, "microsoft.keyvault/vaults", {
        "enableRbacAuthorization": rbac, "publicNetworkAccess": "Disabled", "tenantId": est.TENANT,
        "accessPolicies": [{"tenantId": est.TENANT, "objectId": PRINCIPAL.upper(),
                            "permissions": {"secrets": ["Get", "List"], "keys": ["List"], "certificates": []}}]})


@pytest.fixture(scope="module")
def export(tmp_path_factory):
    rows = [*sql(SQL_OPEN, "0.0.0.0", "255.255.255.255"), *sql(SQL_AZURE_ONLY, "0.0.0.0", "0.0.0.0"),
            cosmos(COSMOS_OPEN, []), cosmos(COSMOS_LISTED, ["203.0.113.7"]),
            vault(VAULT_POLICY, rbac=False), vault(VAULT_RBAC, rbac=True),
            est.row(IDENTITY, "microsoft.managedidentity/userassignedidentities",
                    {"principalId": PRINCIPAL, "clientId": "c2c2c2c2-0000-4000-8000-000000000009",
                     "tenantId": est.TENANT})]
    return est.write(tmp_path_factory.mktemp("exposure"), {"resources": rows})[0]


@pytest.fixture
def analysed(graph, cli_env, export):
    summary = cli_json(cli_env, "load", "azure", "--export", str(export), "--format", "json")
    assert summary["status"] == "success", summary
    run_analysis(graph)
    return graph


def reached(graph) -> dict[str, list[str]]:
    return {r["id"]: r["ports"] for r in graph.read(
        "MATCH (:Internet)-[r:CAN_REACH]->(d:Database) RETURN d.id AS id, r.ports AS ports")}


def test_sql_and_cosmos_open_to_all_networks_are_reachable_and_fire_cm_data_001(analysed):
    low = str.lower
    assert reached(analysed) == {low(SQL_OPEN): ["1433"], low(f"{SQL_OPEN}/databases/orders"): ["1433"],
                                 low(COSMOS_OPEN): ["443"]}
    fired = {r["t"] for r in analysed.read("MATCH (f:Finding {rule_id: 'CM-DATA-001', status: 'open'}) "
                                           "RETURN f.target_id AS t")}
    assert fired == {low(SQL_OPEN), low(f"{SQL_OPEN}/databases/orders"), low(COSMOS_OPEN)}


def test_firewall_rules_are_nodes_the_engine_reads(analysed):
    rules = {(r["store"], tuple(r["sources"])) for r in analysed.read(
        "MATCH (d:Database)-[:HAS_RULE]->(r:FirewallRule) RETURN d.id AS store, r.sources AS sources")}
    low = str.lower
    assert (low(SQL_AZURE_ONLY), ("0.0.0.0",)) in rules            # Azure services only: not the internet
    assert (low(COSMOS_LISTED), ("203.0.113.7",)) in rules           # one listed address: not the internet
    assert (low(COSMOS_OPEN), ("0.0.0.0/0",)) in rules


def test_key_vault_access_policy_grants_access_only_without_rbac(analysed):
    rows = analysed.read("MATCH (i:Identity)-[a:CAN_ACCESS]->(v:KeyVault) RETURN i.id AS who, v.id AS vault, "
                         "a.level AS level, a.actions AS actions")
    assert rows == [{"who": IDENTITY.lower(), "vault": VAULT_POLICY.lower(), "level": "read",
                     "actions": ["secrets/get"]}]
    policies = analysed.read("MATCH (i:Identity)-[p:HAS_ACCESS_POLICY]->(v:KeyVault) RETURN v.id AS vault, "
                             "p.secrets AS secrets ORDER BY vault")
    assert policies == [{"vault": VAULT_POLICY.lower(), "secrets": ["get", "list"]},
                        {"vault": VAULT_RBAC.lower(), "secrets": ["get", "list"]}]
