"""Data rows: storage accounts and blob containers, key vaults, SQL servers / databases / firewall
rules, Cosmos DB accounts."""

from __future__ import annotations

from cloudmap.loaders.azure import ids
from cloudmap.loaders.azure.plan import Plan, Res, as_list, get, handles, scope_name

from cloudmap.graph.kinds import azure as K

ALL_IPS = ("0.0.0.0", "255.255.255.255")
AZURE_SERVICES = ("0.0.0.0", "0.0.0.0")  # the portal's "Allow Azure services" rule


def _public(access) -> bool:
    return str(access or "enabled").lower() != "disabled"


@handles("microsoft.storage/storageaccounts")
def storage_account(plan: Plan, res: Res) -> None:
    p = res.props
    plan.asset(K.STORAGE_ACCOUNT, res, allow_blob_public_access=p.get("allowBlobPublicAccess"),
               allow_shared_key_access=p.get("allowSharedKeyAccess", True) is not False,
               public_network_access=p.get("publicNetworkAccess"),
               network_default_action=get(p, "networkAcls.defaultAction"),
               https_only=p.get("supportsHttpsTrafficOnly"), min_tls_version=p.get("minimumTlsVersion"))


@handles("microsoft.storage/storageaccounts/blobservices/containers")
def blob_container(plan: Plan, res: Res) -> None:
    account = ids.top_resource_of(res.id)
    plan.asset(K.BLOB_CONTAINER, res, contained=False,
               public_access=str(res.props.get("publicAccess") or "none").lower())
    plan.rel(K.ACCOUNT_CONTAINS, account, res.id, scope_name(res.sub, "resources", res.tenant))


@handles("microsoft.keyvault/vaults")
def key_vault(plan: Plan, res: Res) -> None:
    p = res.props
    policies = [{"object_id": str(a.get("objectId") or "").lower(), "keys": get(a, "permissions.keys", []),
                 "secrets": get(a, "permissions.secrets", []),
                 "certificates": get(a, "permissions.certificates", [])} for a in as_list(p.get("accessPolicies"))]
    plan.asset(K.KEY_VAULT, res, rbac_authorization=bool(p.get("enableRbacAuthorization")),
               access_policies=policies, public_network_access=p.get("publicNetworkAccess"),
               network_default_action=get(p, "networkAcls.defaultAction"),
               soft_delete=p.get("enableSoftDelete"), purge_protection=p.get("enablePurgeProtection"),
               uri=p.get("vaultUri"))


@handles("microsoft.sql/servers")
def sql_server(plan: Plan, res: Res) -> None:
    p = res.props
    plan.asset(K.SQL_SERVER, res, engine="sqlserver", public_network_access=p.get("publicNetworkAccess"),
               publicly_accessible=_public(p.get("publicNetworkAccess")),
               password_auth=not get(p, "administrators.azureADOnlyAuthentication", False),
               fqdn=p.get("fullyQualifiedDomainName"))
    plan.identity(res.id, res)


@handles("microsoft.sql/servers/firewallrules")
def sql_firewall_rule(plan: Plan, res: Res) -> None:
    plan.sql_firewall[ids.top_resource_of(res.id)].append(
        (res.name, str(res.props.get("startIpAddress")), str(res.props.get("endIpAddress"))))
    plan.covered.add(scope_name(res.sub, "resources", res.tenant))


@handles("microsoft.sql/servers/databases")
def sql_database(plan: Plan, res: Res) -> None:
    server = ids.top_resource_of(res.id)
    plan.asset(K.SQL_DATABASE, res, contained=False, engine="sqlserver")
    plan.rel(K.SERVER_CONTAINS, server, res.id, scope_name(res.sub, "resources", res.tenant))
    plan.sql_databases[server].append(res.id)


@handles("microsoft.documentdb/databaseaccounts")
def cosmos(plan: Plan, res: Res) -> None:
    p = res.props
    plan.asset(K.COSMOS, res, engine=str(res.raw.get("kind") or "GlobalDocumentDB").lower(),
               public_network_access=p.get("publicNetworkAccess"), publicly_accessible=_public(p.get("publicNetworkAccess")),
               password_auth=not p.get("disableLocalAuth", False), vnet_filter=p.get("isVirtualNetworkFilterEnabled"),
               ip_rules=[r.get("ipAddressOrRange") for r in as_list(p.get("ipRules")) if r.get("ipAddressOrRange")],
               endpoint=p.get("documentEndpoint"))
    plan.identity(res.id, res)


def resolve_sql(plan: Plan) -> None:
    """Firewall rules onto their server; a database shares its server's network and auth facts."""
    for server, (_scope, row) in plan.nodes[K.SQL_SERVER].items():
        rules = plan.sql_firewall.get(server, [])
        row.update(firewall_ranges=sorted(f"{start}-{end}" for _, start, end in rules),
                   firewall_allows_all=any((s, e) == ALL_IPS for _, s, e in rules),
                   allow_azure_services=any((s, e) == AZURE_SERVICES for _, s, e in rules))
        for db in plan.sql_databases.get(server, []):
            plan.nodes[K.SQL_DATABASE][db][1].update(
                {k: row.get(k) for k in ("publicly_accessible", "password_auth", "public_network_access")
                 if row.get(k) is not None})
