"""Azure kinds: what `cloudmap load azure` writes from Azure Resource Graph (and optionally Entra).

Ids are Azure resource ids in lower case (Azure ids are case-insensitive). Documented synthetic keys:
the system-assigned identity of a resource is ``<resource id>/identities/system``; role definitions
are keyed ``/providers/microsoft.authorization/roledefinitions/<guid>`` whatever scope they were read
at (the guid is unique, assignments reference it at several scopes); Entra objects are
``entra:<object id>``; NSG default rules keep their Azure id (``<nsg id>/defaultsecurityrules/<name>``).
"""

from cloudmap.graph.model import node_kind, rel_kind

_NET = (("public_network_access", "str", "Enabled, Disabled or SecuredByPerimeter as Azure reports it"),
        ("network_default_action", "str", "Allow or Deny: the firewall's default for unlisted networks"))

MANAGEMENT_GROUP = node_kind("AzureManagementGroup", ("ManagementGroup",),
                             properties=(("display_name", "str"), ("tenant_id", "str")),
                             description="An Azure management group; CONTAINS child groups and subscriptions.")
SUBSCRIPTION = node_kind("AzureSubscription", ("Account",),
                         properties=(("subscription_id", "str"), ("tenant_id", "str"), ("state", "str")),
                         description="An Azure subscription (the Azure Account).")
RESOURCE_GROUP = node_kind("AzureResourceGroup", ("ResourceGroup",),
                           description="An Azure resource group; CONTAINS its resources.")

# -- network ---------------------------------------------------------------------------------------
VNET = node_kind("AzureVNet", ("Network",), properties=(("address_prefixes", "list[str]"),),
                 description="A virtual network.")
SUBNET = node_kind("AzureSubnet", ("Subnet",), properties=(("address_prefixes", "list[str]"),),
                   description="A subnet of a virtual network (nested in the VNet row in Resource Graph).")
ROUTE_TABLE = node_kind("AzureRouteTable", ("RouteTable",),
                        properties=(("routes", "json", "[{name, address_prefix, next_hop_type, next_hop_ip}]"),
                                    ("default_route_next_hop", "str", "next hop type of the 0.0.0.0/0 route")),
                        description="A route table (user-defined routes).")
NSG = node_kind("AzureNSG", ("SecurityGroup",), description="A network security group, on NICs and subnets.")
ASG = node_kind("AzureASG", ("SecurityGroup",),
                description="An application security group: NICs are MEMBER_OF it, NSG rules reference it.")
NSG_RULE = node_kind(
    "AzureNSGRule", ("FirewallRule",),
    properties=(("direction", "str", "inbound or outbound"), ("action", "str", "allow or deny"),
                ("protocol", "str", "tcp, udp, icmp, esp, ah or *"), ("ports", "list[str]", "destination ports"),
                ("source_ports", "list[str]"),
                ("sources", "list[str]", "CIDRs, IPs or service tags (Internet, VirtualNetwork, *)"),
                ("destinations", "list[str]"), ("priority", "int"),
                ("default", "bool", "one of the six rules Azure adds to every NSG")),
    description="A security rule of an NSG, including the default rules (priority 65000-65500).")
NIC = node_kind("AzureNIC", ("NetworkInterface",),
                properties=(("private_ips", "list[str]"), ("ip_forwarding", "bool")),
                description="A network interface.")
PUBLIC_IP = node_kind("AzurePublicIP", ("PublicIP",),
                      properties=(("ip", "str"), ("allocation", "str", "Static or Dynamic"), ("fqdn", "str")),
                      description="A public IP address resource.")
LOAD_BALANCER = node_kind(
    "AzureLoadBalancer", ("LoadBalancer",),
    properties=(("scheme", "str", "internet-facing when a frontend has a public IP, else internal"),
                ("listener_ports", "list[str]"), ("sku", "str")),
    description="An Azure load balancer; ROUTES_TO the VMs behind its backend pools.")
APP_GATEWAY = node_kind(
    "AzureApplicationGateway", ("Gateway", "LoadBalancer"),
    properties=(("gateway_type", "str", "application-gateway"), ("scheme", "str"), ("listener_ports", "list[str]"),
                ("waf_enabled", "bool"), ("waf_mode", "str")),
    description="An application gateway (layer-7 load balancer, optional WAF).")
FIREWALL = node_kind("AzureFirewall", ("Gateway",),
                     properties=(("gateway_type", "str", "firewall"), ("private_ips", "list[str]")),
                     description="An Azure Firewall.")
BASTION = node_kind("AzureBastion", ("Gateway",), properties=(("gateway_type", "str", "bastion"),),
                    description="An Azure Bastion host.")

# -- compute ---------------------------------------------------------------------------------------
_COMPUTE = (("os", "str", "linux or windows"), ("state", "str", "running, stopped, deallocated, ... when known"),
            ("size", "str"),
            ("password_auth", "bool", "sign-in by password: Linux with disablePasswordAuthentication false, "
                                      "or Windows (RDP with the admin password)"))
VM = node_kind("AzureVM", ("VirtualMachine",), properties=_COMPUTE, description="A virtual machine.")
VMSS = node_kind("AzureVMScaleSet", ("VirtualMachine",), properties=(*_COMPUTE, ("capacity", "int")),
                 description="A VM scale set (its instances share one model).")
WEB_APP = node_kind(
    "AzureWebApp", ("Function",),
    properties=(("app_kind", "str", "app, functionapp, ... as in the row's kind"), ("hostname", "str"),
                ("public", "bool", "reachable from the internet: public network access not disabled"),
                *_NET[:1], ("https_only", "bool"), ("state", "str")),
    description="An App Service web app or Function app.")
AKS = node_kind(
    "AzureAKSCluster", ("Cluster",),
    properties=(("endpoint_public", "bool", "the API server has a public endpoint"),
                ("public_cidrs", "list[str]", "authorized IP ranges ([] = any)"), ("version", "str"),
                ("fqdn", "str"), ("rbac_enabled", "bool"), ("local_accounts_disabled", "bool")),
    description="An AKS managed cluster.")

# -- data ------------------------------------------------------------------------------------------
STORAGE_ACCOUNT = node_kind(
    "AzureStorageAccount", ("DataStore", "StorageAccount"),
    properties=(("allow_blob_public_access", "bool"), ("allow_shared_key_access", "bool",
                                                       "account keys / SAS work (Azure's default: true)"),
                *_NET, ("https_only", "bool"), ("min_tls_version", "str")),
    description="A storage account; CONTAINS its blob containers.")
BLOB_CONTAINER = node_kind("AzureBlobContainer", ("DataStore", "Bucket"),
                           properties=(("public_access", "str", "none, blob or container"),),
                           description="A blob container.")
KEY_VAULT = node_kind(
    "AzureKeyVault", ("KeyVault", "Secret", "Key"),
    properties=(("rbac_authorization", "bool", "data access by Azure RBAC (else by access policies)"),
                *_NET,
                ("soft_delete", "bool"), ("purge_protection", "bool"), ("uri", "str")),
    description="A key vault: the secrets, keys and certificates it holds are reached through it.")
_DB = (("publicly_accessible", "bool", "has a public endpoint (public network access not disabled)"),
       ("password_auth", "bool", "SQL / key authentication enabled"), ("engine", "str"), *_NET[:1],
       ("port", "int", "the port clients connect on: 1433 for SQL, 443 for Cosmos DB"))
SQL_SERVER = node_kind(
    "AzureSQLServer", ("DataStore", "Database"),
    properties=(*_DB, ("fqdn", "str"),
                ("firewall_ranges", "list[str]", "start-end of every firewall rule"),
                ("firewall_allows_all", "bool", "a rule 0.0.0.0-255.255.255.255"),
                ("allow_azure_services", "bool", "the AllowAllWindowsAzureIps rule (0.0.0.0-0.0.0.0)")),
    description="An Azure SQL logical server; CONTAINS its databases.")
SQL_DATABASE = node_kind("AzureSQLDatabase", ("DataStore", "Database"), properties=_DB,
                         description="An Azure SQL database (network facts are its server's).")
COSMOS = node_kind("AzureCosmosDB", ("DataStore", "Database"),
                   properties=(*_DB, ("ip_rules", "list[str]"), ("vnet_filter", "bool"), ("endpoint", "str")),
                   description="A Cosmos DB account.")
DATA_FIREWALL_RULE = node_kind(
    "AzureDataFirewallRule", ("FirewallRule",),
    properties=(("direction", "str", "inbound"), ("action", "str", "allow"), ("protocol", "str", "tcp"),
                ("ports", "list[str]", "the service's port"),
                ("sources", "list[str]", "the addresses admitted: an IP, a CIDR or a start-end range"),
                ("start_ip", "str"), ("end_ip", "str")),
    description="A firewall rule of a data service: an SQL server firewall rule (its resource id), or a Cosmos DB "
                "IP rule (`<account id>/iprules/<range>`); a Cosmos DB account open to all networks has the one "
                "rule `<account id>/iprules/all-networks`. The AllowAllWindowsAzureIps rule (0.0.0.0-0.0.0.0) "
                "admits Azure services, not the internet.")
SQL_SERVER_HAS_RULE = rel_kind("HAS_RULE", SQL_SERVER, DATA_FIREWALL_RULE,
                               description="An SQL server's firewall rule.")
SQL_DATABASE_HAS_RULE = rel_kind("HAS_RULE", SQL_DATABASE, DATA_FIREWALL_RULE,
                                 description="A database is behind its server's firewall rules.")
COSMOS_HAS_RULE = rel_kind("HAS_RULE", COSMOS, DATA_FIREWALL_RULE, description="A Cosmos DB account's IP rule.")

# -- identity and access ---------------------------------------------------------------------------
_PRINCIPAL = (("principal_id", "str", "Entra object id"), ("tenant_id", "str"))
MANAGED_IDENTITY = node_kind(
    "AzureManagedIdentity", ("Identity", "ManagedIdentity"),
    properties=(*_PRINCIPAL, ("client_id", "str"), ("assignment", "str", "system or user")),
    description="A managed identity: user-assigned (its resource id) or system-assigned "
                "(`<resource id>/identities/system`).")
# Entra objects: written by `cloudmap load entra` (see cloudmap/graph/kinds/entra.py for the rest of
# the directory) and, as the principals that role assignments name, by `cloudmap load azure`.
_CREDENTIALS = (
    ("credentials", "list[str]", "password and certificate credentials as `type|key id|name|start|end` "
                                 "(metadata only, never a secret)"),
    ("valid_credentials", "int", "credentials that had not expired when loaded"),
    ("credentials_expire", "str", "latest end date of a valid credential (ISO 8601)"),
)
ENTRA_USER = node_kind("EntraUser", ("Identity", "User"),
                       properties=(*_PRINCIPAL, ("upn", "str"), ("enabled", "bool"),
                                   ("user_type", "str", "Member or Guest"), ("guest", "bool"),
                                   ("last_sign_in", "str", "signInActivity, where Graph returns it"),
                                   ("mfa_registered", "bool", "from the authentication methods report, "
                                                              "where exported")),
                       description="An Entra ID user (`entra:<object id>`).")
ENTRA_GROUP = node_kind("EntraGroup", ("Identity", "Group"),
                        properties=(*_PRINCIPAL, ("security_enabled", "bool"), ("microsoft365", "bool"),
                                    ("role_assignable", "bool", "isAssignableToRole: can hold directory roles")),
                        description="An Entra ID group (`entra:<object id>`).")
ENTRA_SP = node_kind("EntraServicePrincipal", ("Identity", "ServicePrincipal"),
                     properties=(*_PRINCIPAL, ("app_id", "str"), ("sp_type", "str"), ("enabled", "bool"),
                                 ("app_owner_tenant_id", "str", "the tenant that owns the application"),
                                 *_CREDENTIALS),
                     description="An Entra ID service principal (`entra:<object id>`); valid_credentials "
                                 "counts its own and its application's.")
ENTRA_PRINCIPAL = node_kind("EntraPrincipal", ("Identity",), properties=(*_PRINCIPAL, ("principal_type", "str")),
                            description="A principal a role assignment names whose kind is unknown.")
ROLE_DEFINITION = node_kind(
    "AzureRoleDefinition", ("Policy", "RoleDefinition"),
    properties=(("role_name", "str"), ("role_type", "str", "BuiltInRole or CustomRole"),
                ("actions", "list[str]"), ("not_actions", "list[str]"), ("data_actions", "list[str]"),
                ("not_data_actions", "list[str]"), ("assignable_scopes", "list[str]"),
                ("policy_type", "str", "azure-role")),
    description="An Azure RBAC role definition (built-in or custom).")
ROLE_ASSIGNMENT = node_kind(
    "AzureRoleAssignment", ("Policy", "RoleAssignment"),
    properties=(("principal_id", "str"), ("principal_type", "str"), ("role_name", "str"),
                ("scope_id", "str", "lower-case id of the scope"), ("condition", "str")),
    description="An Azure RBAC role assignment.")

# -- relationships ---------------------------------------------------------------------------------
MG_CONTAINS = rel_kind("CONTAINS", MANAGEMENT_GROUP, "Asset",
                       description="A management group holds a child group or a subscription.")
SUB_CONTAINS = rel_kind("CONTAINS", SUBSCRIPTION, RESOURCE_GROUP,
                        description="A subscription holds a resource group.")
RG_CONTAINS = rel_kind("CONTAINS", RESOURCE_GROUP, "Asset", description="A resource group holds a resource.")
VNET_CONTAINS = rel_kind("CONTAINS", VNET, SUBNET, description="A VNet holds a subnet.")
ACCOUNT_CONTAINS = rel_kind("CONTAINS", STORAGE_ACCOUNT, BLOB_CONTAINER,
                            description="A storage account holds a blob container.")
SERVER_CONTAINS = rel_kind("CONTAINS", SQL_SERVER, SQL_DATABASE, description="A SQL server holds a database.")
PEERED_WITH = rel_kind("PEERED_WITH", VNET, VNET, properties=(("state", "str"), ("allow_forwarded", "bool"),
                                                               ("allow_gateway_transit", "bool")),
                       description="A VNet peering (one per direction, as Azure has them).")
RT_ASSOCIATED = rel_kind("ASSOCIATED_WITH", ROUTE_TABLE, SUBNET, description="A route table on a subnet.")
NSG_APPLIES_TO = rel_kind("APPLIES_TO", NSG, "Asset", description="An NSG on a NIC or a subnet.")
NSG_HAS_RULE = rel_kind("HAS_RULE", NSG, NSG_RULE, description="An NSG's security rule.")
RULE_ALLOWS_FROM = rel_kind("ALLOWS_FROM", NSG_RULE, ASG,
                            description="The rule's source is an application security group.")
RULE_ALLOWS_TO = rel_kind("ALLOWS_TO", NSG_RULE, ASG,
                          description="The rule's destination is an application security group.")
NIC_MEMBER_OF = rel_kind("MEMBER_OF", NIC, ASG, description="A NIC belongs to an application security group.")
IN_SUBNET = rel_kind("IN_SUBNET", "Asset", SUBNET,
                     description="A NIC (or gateway, load balancer frontend, cluster node pool) is in the subnet.")
NIC_ATTACHED_TO = rel_kind("ATTACHED_TO", NIC, "Asset", description="A NIC attached to a VM.")
PIP_ATTACHED_TO = rel_kind("ATTACHED_TO", PUBLIC_IP, "Asset",
                           description="A public IP on a NIC, load balancer, application gateway, firewall or bastion.")
_ROUTE_PORTS = (("ports", "list[str]", "frontend ports"), ("backend_ports", "list[str]"))
LB_ROUTES_TO = rel_kind("ROUTES_TO", LOAD_BALANCER, "Asset", properties=_ROUTE_PORTS,
                        description="A load balancer sends traffic to a backend VM (through its NIC).")
APPGW_ROUTES_TO = rel_kind("ROUTES_TO", APP_GATEWAY, "Asset", properties=_ROUTE_PORTS,
                           description="An application gateway sends traffic to a backend VM.")
USES_IDENTITY = rel_kind("USES_IDENTITY", "Asset", MANAGED_IDENTITY, properties=(("via", "str"),),
                         description="A workload runs as a managed identity (via: managed-identity).")
ASSIGNED_TO = rel_kind("ASSIGNED_TO", ROLE_ASSIGNMENT, "Identity", description="Who holds the role assignment.")
VAULT_ACCESS_POLICY = rel_kind(
    "HAS_ACCESS_POLICY", "Identity", KEY_VAULT,
    properties=(("keys", "list[str]", "key permissions, lower case (get, decrypt, unwrapkey, ...)"),
                ("secrets", "list[str]", "secret permissions (get, list, set, delete, ...)"),
                ("certificates", "list[str]", "certificate permissions")),
    description="A key vault access policy for the principal; it grants data access only while the vault does "
                "not use Azure RBAC (`rbac_authorization`).")
GRANTS = rel_kind("GRANTS", ROLE_ASSIGNMENT, ROLE_DEFINITION, description="The role the assignment grants.")
AT_SCOPE = rel_kind("AT_SCOPE", ROLE_ASSIGNMENT, "Asset",
                    description="Where the assignment applies: management group, subscription, group or resource.")
