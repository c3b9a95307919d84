"""Data rows: storage accounts and blob containers, key vaults, SQL servers / databases / firewall
rules, Cosmos DB accounts."""

from __future__ import annotations

from cloudmap.loaders.azure import ids
from cloudmap.loaders.azure.plan import AzureInputError, Plan, Res, as_list, get, handles, scope_name

from cloudmap.graph.kinds import azure as K

ALL_IPS = ("0.0.0.0", "255.255.255.255")
SQL_PORT, COSMOS_PORT = 1433, 443
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
    scope = scope_name(res.sub, "resources", res.tenant)
    for i, policy in enumerate(as_list(p.get("accessPolicies"))):
        if not isinstance(policy, dict):
            raise AzureInputError(f"properties.accessPolicies[{i}] must be an object")
        perms = {kind: sorted({str(x).lower() for x in as_list(get(policy, f"permissions.{kind}", []))})
                 for kind in ("keys", "secrets", "certificates")}
        principal = str(policy.get("objectId") or "").lower()
        if principal:
            plan.vault_policies.append((scope, res.id, principal, perms))
    plan.asset(K.KEY_VAULT, res, rbac_authorization=bool(p.get("enableRbacAuthorization")),
               public_network_access=p.get("publicNetworkAccess"),
               network_default_action=get(p, "networkAcls.defaultAction"),
               soft_delete=p.get("enableSoftDelete"), purge_protection=p.get("enablePurgeProtection"),
               uri=p.get("vaultUri"))


@handles("microsoft.sql/servers")
def sql_server(plan: Plan, res: Res) -> None:
    p = res.props
    plan.asset(K.SQL_SERVER, res, engine="sqlserver", port=SQL_PORT, public_network_access=p.get("publicNetworkAccess"),
               publicly_accessible=_public(p.get("publicNetworkAccess")),
               password_auth=not get(p, "administrators.azureADOnlyAuthentication", False),
               fqdn=p.get("fullyQualifiedDomainName"))
    plan.identity(res.id, res)


def _rule(plan: Plan, scope: str, rule_id: str, name: str, port: int, source: str,
          start: str | None = None, end: str | None = None) -> str:
    return plan.node(K.DATA_FIREWALL_RULE, {
        "id": rule_id, "name": name, "provider": "azure", "account_id": ids.subscription_of(rule_id),
        "direction": "inbound", "action": "allow", "protocol": "tcp", "ports": [str(port)],
        "sources": [source], "start_ip": start, "end_ip": end}, scope)


@handles("microsoft.sql/servers/firewallrules")
def sql_firewall_rule(plan: Plan, res: Res) -> None:
    start, end = str(res.props.get("startIpAddress")), str(res.props.get("endIpAddress"))
    scope = scope_name(res.sub, "resources", res.tenant)
    _rule(plan, scope, res.id, res.name, SQL_PORT, start if start == end else f"{start}-{end}", start, end)
    plan.sql_firewall[ids.top_resource_of(res.id)].append((res.id, start, end))


@handles("microsoft.sql/servers/databases")
def sql_database(plan: Plan, res: Res) -> None:
    server = ids.top_resource_of(res.id)
    plan.asset(K.SQL_DATABASE, res, contained=False, engine="sqlserver", port=SQL_PORT)
    plan.rel(K.SERVER_CONTAINS, server, res.id, scope_name(res.sub, "resources", res.tenant))
    plan.sql_databases[server].append(res.id)


@handles("microsoft.documentdb/databaseaccounts")
def cosmos(plan: Plan, res: Res) -> None:
    """A Cosmos DB account and its firewall as rules: one per IP rule, or the all-networks rule when public
    network access is on with neither IP rules nor a virtual-network filter (Azure's "All networks")."""
    p = res.props
    ip_rules = [str(r.get("ipAddressOrRange")) for r in as_list(p.get("ipRules"))
                if isinstance(r, dict) and r.get("ipAddressOrRange")]
    vnet_filter = bool(p.get("isVirtualNetworkFilterEnabled"))
    public = _public(p.get("publicNetworkAccess"))
    plan.asset(K.COSMOS, res, engine=str(res.raw.get("kind") or "GlobalDocumentDB").lower(), port=COSMOS_PORT,
               public_network_access=p.get("publicNetworkAccess"), publicly_accessible=public,
               password_auth=not p.get("disableLocalAuth", False), vnet_filter=vnet_filter,
               ip_rules=ip_rules, endpoint=p.get("documentEndpoint"))
    plan.identity(res.id, res)
    if not public:
        return
    scope = scope_name(res.sub, "resources", res.tenant)
    ranges = ip_rules or ([] if vnet_filter else ["0.0.0.0/0"])
    for value in ranges:
        rule_id = f"{res.id}/iprules/{'all-networks' if not ip_rules else value.lower()}"
        plan.rel(K.COSMOS_HAS_RULE, res.id, _rule(plan, scope, rule_id, value, COSMOS_PORT, value), scope)


def resolve_sql(plan: Plan) -> None:
    """Firewall rules onto their server; a database shares its server's network and auth facts, and is
    behind its server's rules."""
    for server, (scope, row) in plan.nodes[K.SQL_SERVER].items():
        rules = plan.sql_firewall.get(server, [])
        for rule_id, _, _ in rules:
            plan.rel(K.SQL_SERVER_HAS_RULE, server, rule_id, scope)
            for db in plan.sql_databases.get(server, []):
                plan.rel(K.SQL_DATABASE_HAS_RULE, db, rule_id, scope)
        row.update(firewall_ranges=sorted(f"{start}-{end}" for _, start, end in rules),
                   firewall_allows_all=any((s, e) == ALL_IPS for _, s, e in rules),
                   allow_azure_services=any((s, e) == AZURE_SERVICES for _, s, e in rules))
        for db in plan.sql_databases.get(server, []):
            plan.nodes[K.SQL_DATABASE][db][1].update(
                {k: row.get(k) for k in ("publicly_accessible", "password_auth", "public_network_access")
                 if row.get(k) is not None})
