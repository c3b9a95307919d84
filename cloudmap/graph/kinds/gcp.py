"""Google Cloud kinds: what `cloudmap load gcp` writes from Cloud Asset Inventory.

Ids are CAI full resource names (``//compute.googleapis.com/projects/p/zones/z/instances/vm``).
Projects are keyed by number (``//cloudresourcemanager.googleapis.com/projects/<number>``) whatever
name a resource uses for its project; service accounts by their email-form resource name
(``//iam.googleapis.com/projects/<project id>/serviceAccounts/<email>``), their unique id being a
property. Predefined roles are ``roles/<name>``; custom roles keep their resource path. Documented
synthetic keys: an IAM binding is ``<resource name>#iam/<role>`` (conditions appended as ``?<title>``),
the same whether Cloud Asset Inventory or a Terraform state (``google_*_iam_*``) gives it.
"""

from cloudmap.graph.model import node_kind, rel_kind

ORGANIZATION = node_kind("GCPOrganization", ("Account",), properties=(("display_name", "str"),),
                         description="A Google Cloud organization; CONTAINS folders and projects.")
FOLDER = node_kind("GCPFolder", ("Account",), properties=(("display_name", "str"),),
                   description="A resource-manager folder; CONTAINS folders and projects.")
PROJECT = node_kind("GCPProject", ("Account",),
                    properties=(("project_id", "str"), ("project_number", "str"), ("state", "str")),
                    description="A Google Cloud project (the GCP Account), one node for its number and id, keyed by "
                                "number. A Terraform state that names a project no load has numbered keys it by "
                                "project id (no project_number) until the link pass folds it into the numbered node.")

NETWORK = node_kind("GCPNetwork", ("Network",), properties=(("auto_subnets", "bool"),),
                    description="A VPC network (global); its firewall rules apply to every instance in it.")
SUBNETWORK = node_kind("GCPSubnetwork", ("Subnet",), properties=(("cidr", "str"), ("private_google_access", "bool")),
                       description="A regional subnetwork of a VPC network.")
FIREWALL = node_kind(
    "GCPFirewallRule", ("FirewallRule",),
    properties=(("direction", "str", "ingress or egress"), ("action", "str", "allow or deny"),
                ("priority", "int", "0-65535, lower wins"), ("disabled", "bool"),
                ("permissions", "json", "[{protocol, ports}] allowed or denied"),
                ("sources", "list[str]", "source ranges"), ("source_tags", "list[str]"),
                ("source_service_accounts", "list[str]"), ("target_tags", "list[str]"),
                ("target_service_accounts", "list[str]", "emails; none with no target tags = every instance"),
                ("implied", "bool", "one of the two rules every network has (deny ingress, allow egress)")),
    description="A VPC firewall rule, including the implied rules (priority 65535).")
ROUTE = node_kind(
    "GCPRoute", ("Asset",),
    properties=(("dest_range", "str"), ("next_hop", "str", "the next hop's resource name or IP (gateway, instance, "
                                                            "ILB, VPN tunnel, network)"),
                ("internet_gateway", "bool", "the next hop is the default internet gateway"),
                ("priority", "int"), ("route_tags", "list[str]", "instance tags it applies to; none = every instance")),
    description="A VPC route. Once a network's routes are loaded, an instance reaches the internet only through a "
                "0.0.0.0/0 route to the default internet gateway that applies to it.")
FORWARDING_RULE = node_kind(
    "GCPForwardingRule", ("LoadBalancer",),
    properties=(("scheme", "str", "internet-facing (EXTERNAL, EXTERNAL_MANAGED) or internal"),
                ("load_balancing_scheme", "str", "as GCP names it"), ("ip", "str"), ("ip_protocol", "str"),
                ("listener_ports", "list[str]", "port range or ports; * = all ports"),
                ("proxied", "bool", "the target is a proxy: backends see Google front-end addresses, not clients")),
    description="A forwarding rule (regional or global), the frontend of a load balancer; ROUTES_TO its target "
                "proxy, backend service or target pool.")
TARGET_PROXY = node_kind(
    "GCPTargetProxy", ("Asset",), properties=(("proxy_type", "str", "http, https, tcp, ssl, grpc"),),
    description="A target HTTP(S), TCP or SSL proxy; ROUTES_TO its URL map or backend service.")
URL_MAP = node_kind("GCPUrlMap", ("Asset",),
                    description="A URL map; ROUTES_TO every backend service its host and path rules name.")
BACKEND_SERVICE = node_kind(
    "GCPBackendService", ("Asset",),
    properties=(("load_balancing_scheme", "str"), ("protocol", "str"), ("port", "int"), ("port_name", "str")),
    description="A backend service (global or regional); ROUTES_TO its instance groups and network endpoint groups.")
TARGET_POOL = node_kind("GCPTargetPool", ("Asset",),
                        description="A target pool (legacy external passthrough load balancer); ROUTES_TO its instances.")
INSTANCE_GROUP = node_kind(
    "GCPInstanceGroup", ("Asset",),
    properties=(("named_ports", "json", "{name: port}"), ("managed", "bool", "a managed instance group's group")),
    description="An instance group; CONTAINS its instances (unmanaged: the instances the input lists; managed: "
                "the instances whose created-by metadata names its manager).")
NEG = node_kind(
    "GCPNetworkEndpointGroup", ("Asset",),
    properties=(("endpoint_type", "str", "SERVERLESS, GCE_VM_IP_PORT, ..."),),
    description="A network endpoint group; a serverless one ROUTES_TO its Cloud Run service or function.")
ADDRESS = node_kind("GCPAddress", ("PublicIP",), properties=(("ip", "str"), ("address_type", "str")),
                    description="A reserved external address, or an ephemeral one seen on an access config.")
INSTANCE = node_kind(
    "GCPInstance", ("VirtualMachine",),
    properties=(("state", "str"), ("machine_type", "str"), ("network_tags", "list[str]"),
                ("private_ips", "list[str]"), ("external_ips", "list[str]"),
                ("scopes", "list[str]", "OAuth scopes of the attached service account"),
                ("serial_port_enabled", "bool"), ("os_login", "bool")),
    description="A Compute Engine instance; ATTACHED_TO its networks, USES_IDENTITY its service account.")
BUCKET = node_kind(
    "GCPBucket", ("DataStore", "Bucket"),
    properties=(("public_access_prevention", "str", "enforced or inherited"),
                ("uniform_access", "bool", "uniform bucket-level access"), ("location", "str")),
    description="A Cloud Storage bucket; labels classify it through the shared tag conventions.")
SQL_INSTANCE = node_kind(
    "GCPSQLInstance", ("DataStore", "Database"),
    properties=(("engine", "str"), ("ipv4_enabled", "bool", "has a public IP"),
                ("authorized_networks", "list[str]"), ("ssl_mode", "str"), ("public_ips", "list[str]"),
                ("publicly_accessible", "bool", "a public IP and an authorized network that covers the internet"),
                ("password_auth", "bool", "built-in users log in with passwords (always, on Cloud SQL)")),
    description="A Cloud SQL instance.")
BIGQUERY_DATASET = node_kind(
    "GCPBigQueryDataset", ("DataStore", "Database"), properties=(("location", "str"),),
    description="A BigQuery dataset; IAM on it (or above) grants its tables' data.")
SECRET = node_kind("GCPSecret", ("Secret",), properties=(("replication", "str", "automatic or user-managed"),),
                   description="A Secret Manager secret; secretmanager.versions.access reads its value.")
CRYPTO_KEY = node_kind("GCPCryptoKey", ("Key",),
                       properties=(("purpose", "str", "ENCRYPT_DECRYPT, ASYMMETRIC_SIGN, ..."),
                                   ("rotation_period", "str"), ("protection_level", "str")),
                       description="A Cloud KMS key (in a key ring).")
RUN_SERVICE = node_kind(
    "GCPCloudRunService", ("Function",),
    properties=(("ingress", "str", "all, internal, internal-and-cloud-load-balancing"),
                ("url", "str")),
    description="A Cloud Run service; USES_IDENTITY its service account. An allUsers invoker binding with "
                "ingress all makes it reachable from the internet.")
FUNCTION = node_kind(
    "GCPCloudFunction", ("Function",),
    properties=(("ingress", "str", "all, internal, internal-and-cloud-load-balancing"),
                ("runtime", "str"),
                ("url", "str")),
    description="A Cloud Function (1st or 2nd gen); USES_IDENTITY its runtime service account.")
GKE_CLUSTER = node_kind(
    "GCPGKECluster", ("Cluster",),
    properties=(("public_endpoint", "bool", "the control plane has a public endpoint"), ("endpoint", "str"),
                ("authorized_networks", "list[str]", "master authorized networks; none = any address"),
                ("authorized_networks_enabled", "bool"), ("workload_identity", "bool"),
                ("workload_pool", "str"), ("node_service_account", "str"),
                ("endpoint_public", "bool", "the public endpoint admits some public address"),
                ("public_cidrs", "list[str]", "the addresses it admits: the authorized networks, 0.0.0.0/0 without "
                                              "them")),
    description="A GKE cluster; USES_IDENTITY the node pools' service account.")
SERVICE_ACCOUNT = node_kind(
    "GCPServiceAccount", ("Identity", "ServicePrincipal"),
    properties=(("email", "str"), ("unique_id", "str"), ("disabled", "bool")),
    description="A service account (one node for its email and unique id).")
SA_KEY = node_kind("GCPServiceAccountKey", ("Key",),
                   properties=(("key_type", "str", "USER_MANAGED or SYSTEM_MANAGED"), ("valid_before", "str")),
                   description="A service account key; user-managed keys are long-lived credentials.")
MEMBER = node_kind("GCPPrincipal", ("Identity",), properties=(("member", "str", "user:, group:, domain:, ..."),),
                   description="A user, group or domain an IAM binding names (`gcp:<member>`).")
ROLE = node_kind(
    "GCPRole", ("Policy",),
    properties=(("title", "str"), ("permissions", "list[str]"), ("custom", "bool"), ("policy_type", "str", "gcp-role")),
    description="An IAM role: predefined (`roles/...`, permissions from shipped data) or custom.")
BINDING = node_kind(
    "GCPBinding", ("Policy",),
    properties=(("role", "str"), ("members", "list[str]"), ("condition", "str", "the condition's expression"),
                ("public", "bool", "names allUsers or allAuthenticatedUsers"), ("policy_type", "str", "gcp-binding, or gcp-acl: a bucket ACL or dataset access list")),
    description="One role binding of a resource's IAM policy; applies to the resource and all below it.")

CONTAINS = rel_kind("CONTAINS", "Account", "Asset",
                    description="The resource hierarchy: organization → folder → project → resource.")
NETWORK_CONTAINS = rel_kind("CONTAINS", NETWORK, SUBNETWORK, description="A network holds a subnetwork.")
NETWORK_RULE = rel_kind("HAS_RULE", NETWORK, FIREWALL, description="A firewall rule of the network.")
IN_NETWORK = rel_kind("IN_NETWORK", INSTANCE, NETWORK, properties=(("nic", "str"), ("ip", "str")),
                      description="An instance's network interface in the network.")
IN_SUBNET = rel_kind("IN_SUBNET", INSTANCE, SUBNETWORK, description="An instance's network interface in the subnetwork.")
NETWORK_ROUTE = rel_kind("HAS_ROUTE", NETWORK, ROUTE, description="A route of the network.")
PEERED_WITH = rel_kind("PEERED_WITH", NETWORK, NETWORK, properties=(("peering", "str"), ("state", "str")),
                       description="An ACTIVE VPC network peering (each network lists it; both sides configured).")
_PORTS = (("ports", "list[str]", "the backend port, when known"),)
LB_ROUTES_TO = rel_kind("ROUTES_TO", FORWARDING_RULE, "Asset",
                        description="A forwarding rule sends traffic to its target proxy, backend service or pool.")
PROXY_ROUTES_TO = rel_kind("ROUTES_TO", TARGET_PROXY, "Asset",
                           description="A target proxy sends traffic to its URL map or backend service.")
URL_MAP_ROUTES_TO = rel_kind("ROUTES_TO", URL_MAP, BACKEND_SERVICE,
                             description="A URL map sends some requests to the backend service.")
BACKEND_ROUTES_TO = rel_kind("ROUTES_TO", BACKEND_SERVICE, "Asset", properties=_PORTS,
                             description="A backend service sends traffic to an instance group or endpoint group.")
POOL_ROUTES_TO = rel_kind("ROUTES_TO", TARGET_POOL, INSTANCE, description="A target pool sends traffic to the instance.")
NEG_ROUTES_TO = rel_kind("ROUTES_TO", NEG, "Asset", description="A serverless endpoint group's Cloud Run service "
                                                                "or function.")
GROUP_CONTAINS = rel_kind("CONTAINS", INSTANCE_GROUP, INSTANCE, description="An instance of the group.")
ADDRESS_ON = rel_kind("ATTACHED_TO", ADDRESS, INSTANCE, description="An external address on an access config.")
USES_SA = rel_kind("USES_IDENTITY", INSTANCE, SERVICE_ACCOUNT, properties=(("via", "str"),),
                   description="The instance runs as the service account (via: metadata-server).")
RUNS_AS = rel_kind("USES_IDENTITY", "Asset", SERVICE_ACCOUNT, properties=(("via", "str"),),
                   description="A Cloud Run service, function or GKE node pool runs as the service account.")
HAS_KEY = rel_kind("HAS_KEY", SERVICE_ACCOUNT, SA_KEY, description="A key of the service account.")
HAS_BINDING = rel_kind("HAS_BINDING", "Asset", BINDING, description="A binding of the resource's IAM policy.")
BINDING_MEMBER = rel_kind("ASSIGNED_TO", BINDING, "Identity", description="A member of the binding.")
BINDING_ROLE = rel_kind("GRANTS", BINDING, ROLE, description="The role the binding grants.")
