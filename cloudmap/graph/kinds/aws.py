"""AWS kinds: agnostic labels first, the AWS label last (see docs/graph-model.md "Raw facts").

Ids are ARNs where AWS has them (EC2 resources: ``arn:aws:ec2:<region>:<account>:<type>/<id>``;
classic ELBs: ``arn:aws:elasticloadbalancing:<region>:<account>:loadbalancer/<name>``). Synthetic keys:
``aws:sg-rule:<sg-id>:<in|out>:<n>``, ``aws:nacl-rule:<acl-id>:<in|out>:<rule-number>``,
``aws:public-ip:<ip>`` (public IPs without an allocation), ``aws:inline-policy:<principal-arn>:<name>``."""

from cloudmap.graph.kinds.common import CONTAINER_IMAGE
from cloudmap.graph.model import node_kind, rel_kind

PUBLIC_ACCESS_BLOCK = (
    ("block_public_acls", "bool"), ("ignore_public_acls", "bool"),
    ("block_public_policy", "bool"), ("restrict_public_buckets", "bool"),
)

ACCOUNT = node_kind("AWSAccount", ("Account",), (
    ("alias", "str", "the IAM account alias"),
    ("regions", "list[str]", "regions loaded"),
    *PUBLIC_ACCESS_BLOCK,
), "An AWS account (id `arn:aws:iam::<account>:root`); the account-level S3 public access block.")

# -- network ---------------------------------------------------------------------------------------
VPC = node_kind("AWSVpc", ("Network",), (
    ("cidr_blocks", "list[str]", "IPv4 and IPv6 CIDRs"), ("is_default", "bool"), ("state", "str"),
), "A VPC.")
SUBNET = node_kind("AWSSubnet", ("Subnet",), (
    ("cidr_block", "str"), ("ipv6_cidr_blocks", "list[str]"), ("availability_zone", "str"),
    ("map_public_ip_on_launch", "bool"), ("vpc_id", "str"),
), "A VPC subnet.")
ROUTE_TABLE = node_kind("AWSRouteTable", ("RouteTable",), (
    ("main", "bool", "the VPC's main route table"), ("vpc_id", "str"),
    ("routes", "list[str]", "every route as destination->target"),
), "A VPC route table.")
INTERNET_GATEWAY = node_kind("AWSInternetGateway", ("Gateway",), (
    ("gateway_type", "str", "internet"),
), "An internet gateway (egress-only ones too).")
NAT_GATEWAY = node_kind("AWSNatGateway", ("Gateway",), (
    ("gateway_type", "str", "nat"), ("state", "str"), ("connectivity_type", "str", "public or private"),
    ("public_ips", "list[str]"),
), "A NAT gateway.")
NETWORK_ACL = node_kind("AWSNetworkAcl", ("NetworkAcl",), (
    ("is_default", "bool"), ("vpc_id", "str"),
), "A network ACL; its rules are FirewallRules with priority = rule number.")
SECURITY_GROUP = node_kind("AWSSecurityGroup", ("SecurityGroup",), (
    ("group_id", "str"), ("description", "str"), ("vpc_id", "str"),
), "A security group.")
FIREWALL_RULE_PROPS = (
    ("direction", "str", "inbound or outbound"), ("action", "str", "allow or deny"),
    ("protocol", "str", "tcp, udp, icmp, icmpv6, * or a protocol number"),
    ("ports", "list[str]", '"*", "22", "1024-65535"'),
    ("sources", "list[str]", "inbound: CIDRs (v4 and v6) and prefix list ids"),
    ("destinations", "list[str]", "outbound: CIDRs (v4 and v6) and prefix list ids"),
    ("prefix_lists", "list[str]"), ("priority", "int", "network ACL rule number"),
    ("description", "str"),
)
SG_RULE = node_kind("AWSSecurityGroupRule", ("FirewallRule",), FIREWALL_RULE_PROPS,
                    "One permission of a security group (id aws:sg-rule:<sg-id>:<in|out>:<n>).")
NACL_RULE = node_kind("AWSNetworkAclRule", ("FirewallRule",), FIREWALL_RULE_PROPS,
                      "One network ACL entry (id aws:nacl-rule:<acl-id>:<in|out>:<rule-number>).")
NETWORK_INTERFACE = node_kind("AWSNetworkInterface", ("NetworkInterface",), (
    ("private_ips", "list[str]"), ("public_ip", "str"), ("interface_type", "str"), ("status", "str"),
    ("description", "str"), ("subnet_id", "str"), ("vpc_id", "str"),
), "An elastic network interface.")
PUBLIC_IP = node_kind("AWSPublicIP", ("PublicIP",), (
    ("ip", "str"), ("elastic", "bool", "an Elastic IP allocation"), ("allocation_id", "str"),
), "A public or Elastic IP (id = allocation id, or aws:public-ip:<ip>).")

# -- compute ---------------------------------------------------------------------------------------
INSTANCE = node_kind("AWSInstance", ("VirtualMachine",), (
    ("instance_id", "str"), ("state", "str"), ("instance_type", "str"), ("image_id", "str"), ("os", "str"),
    ("public_ip", "str"), ("private_ip", "str"), ("imds_v1_enabled", "bool", "HttpTokens is not required"),
    ("launch_time", "datetime"), ("subnet_id", "str"), ("vpc_id", "str"),
), "An EC2 instance.")
INSTANCE_PROFILE = node_kind("AWSInstanceProfile", ("InstanceProfile",), (
    ("arn", "str"), ("path", "str"),
), "An IAM instance profile: how an EC2 instance gets a role's credentials.")
LAMBDA = node_kind("AWSLambdaFunction", ("Function",), (
    ("runtime", "str"), ("handler", "str"), ("package_type", "str"), ("image_uri", "str"),
    ("role_arn", "str"), ("has_url", "bool"), ("url_auth_type", "str", "NONE or AWS_IAM"),
    ("function_url", "str"), ("public", "bool", "a function URL without authentication"),
    ("vpc_id", "str"),
), "A Lambda function.")
EKS_CLUSTER = node_kind("AWSEKSCluster", ("Cluster",), (
    ("endpoint", "str"), ("endpoint_public", "bool"), ("endpoint_private", "bool"),
    ("public_cidrs", "list[str]"), ("version", "str"), ("status", "str"), ("role_arn", "str"),
), "An EKS cluster (the control plane endpoint and its exposure).")
ECS_TASK_DEFINITION = node_kind("AWSECSTaskDefinition", ("ContainerService",), (
    ("family", "str"), ("revision", "int"), ("status", "str"), ("network_mode", "str"),
    ("task_role_arn", "str"), ("execution_role_arn", "str"), ("images", "list[str]"),
), "An ECS task definition (latest revisions of each family).")
ECR_REPOSITORY = node_kind("AWSECRRepository", ("ContainerRegistry",), (
    ("uri", "str"), ("scan_on_push", "bool"), ("tag_mutability", "str"), ("resource_policy", "json"),
), "An ECR repository; CONTAINS its images.")

# -- load balancers --------------------------------------------------------------------------------
LOAD_BALANCER = node_kind("AWSLoadBalancer", ("LoadBalancer",), (
    ("lb_type", "str", "classic, application, network, gateway"), ("scheme", "str", "internet-facing or internal"),
    ("dns_name", "str"), ("listener_ports", "list[str]"), ("listener_protocols", "list[str]"), ("vpc_id", "str"),
), "An ELB (classic) or ELBv2 load balancer; ROUTES_TO its targets.")

# -- identity --------------------------------------------------------------------------------------
IDENTITY_PROPS = (("arn", "str"), ("path", "str"), ("create_date", "datetime"), ("principal_id", "str"))
USER = node_kind("AWSUser", ("Identity", "User"), (
    *IDENTITY_PROPS, ("mfa_enabled", "bool"), ("has_console_password", "bool"),
    ("password_last_used", "datetime"),
), "An IAM user.")
GROUP = node_kind("AWSGroup", ("Identity", "Group"), IDENTITY_PROPS, "An IAM group.")
ROLE = node_kind("AWSRole", ("Identity", "Role"), (
    *IDENTITY_PROPS, ("trust_policy", "json", "the assume-role policy document"),
    ("max_session_duration", "int"), ("last_used", "datetime"),
), "An IAM role.")
EXTERNAL_PRINCIPAL = node_kind("AWSExternalPrincipal", ("Identity", "ExternalPrincipal"), (
    ("arn", "str", "the principal as the policy names it: an ARN, or * for any AWS account"),
    ("principal_type", "str", "account, role, user, federated or anyone"),
    ("external_account", "str", "the AWS account it belongs to (* for anyone; unset for a federated provider's users)"),
), "A principal outside the loaded accounts that a role's trust policy or a resource policy admits: another "
   "account, a role or user in one, the users of a federated identity provider, or any AWS account (*). "
   "Id external:<arn>; written by the link pass from the policies in the graph.")
POLICY = node_kind("AWSPolicy", ("Policy",), (
    ("arn", "str"), ("document", "json", "the policy document (default version for managed policies)"),
    ("policy_type", "str", "managed, aws-managed, inline, scp"), ("default_version_id", "str"),
    ("attachment_count", "int"), ("description", "str"),
), "An IAM policy (managed, AWS-managed, inline: id aws:inline-policy:<principal-arn>:<name>) or an SCP.")
ACCESS_KEY = node_kind("AWSAccessKey", ("AccessKey",), (
    ("status", "str"), ("create_date", "datetime"), ("last_used", "datetime"), ("last_used_service", "str"),
), "An IAM user's access key: metadata only (id = access key id), never the secret.")

# -- data ------------------------------------------------------------------------------------------
BUCKET = node_kind("AWSS3Bucket", ("DataStore", "Bucket"), (
    ("resource_policy", "json", "the bucket policy"), ("acl_grants", "json", "the bucket ACL grants"),
    *PUBLIC_ACCESS_BLOCK, ("encryption", "str", "AES256, aws:kms, aws:kms:dsse or none"),
    ("kms_key_id", "str"), ("versioning", "str"), ("creation_date", "datetime"),
), "An S3 bucket (public access facts as raw properties).")
DATABASE_PROPS = (
    ("engine", "str"), ("engine_version", "str"), ("port", "int"), ("endpoint", "str"),
    ("publicly_accessible", "bool"), ("password_auth", "bool", "RDS always allows the master password"),
    ("iam_auth", "bool"), ("storage_encrypted", "bool"), ("status", "str"), ("subnet_group", "str"),
    ("kms_key_id", "str"),
)
RDS_INSTANCE = node_kind("AWSRDSInstance", ("DataStore", "Database"), DATABASE_PROPS, "An RDS DB instance.")
RDS_CLUSTER = node_kind("AWSRDSCluster", ("DataStore", "Database"), DATABASE_PROPS,
                        "An RDS/Aurora cluster; CONTAINS its instances.")
RDS_SNAPSHOT = node_kind("AWSRDSSnapshot", ("DataStore", "Snapshot"), (
    ("public", "bool", "restorable by anyone (restore attribute includes all)"),
    ("shared_with", "list[str]", "account ids allowed to restore"), ("encrypted", "bool"),
    ("snapshot_type", "str"), ("engine", "str"), ("create_time", "datetime"),
), "An RDS DB instance or cluster snapshot.")
DYNAMODB_TABLE = node_kind("AWSDynamoDBTable", ("DataStore", "Database", "Table"), (
    ("status", "str"), ("item_count", "int"), ("size_bytes", "int"), ("encryption", "str"),
    ("kms_key_id", "str"), ("stream_enabled", "bool"),
), "A DynamoDB table.")
SECRET = node_kind("AWSSecret", ("Secret",), (
    ("description", "str"), ("resource_policy", "json"), ("rotation_enabled", "bool"), ("kms_key_id", "str"),
    ("last_changed", "datetime"), ("last_accessed", "datetime"),
), "A Secrets Manager secret: metadata and resource policy only, never the value.")
KMS_KEY = node_kind("AWSKMSKey", ("Key",), (
    ("resource_policy", "json", "the key policy"), ("key_state", "str"), ("key_manager", "str", "CUSTOMER or AWS"),
    ("key_usage", "str"), ("key_spec", "str"), ("rotation_enabled", "bool"), ("description", "str"),
    ("aliases", "list[str]"),
), "A KMS key.")

# -- relationships ---------------------------------------------------------------------------------
CONTAINS = rel_kind("CONTAINS", ACCOUNT, "Asset", description="The account holds the asset.")
REPO_CONTAINS_IMAGE = rel_kind("CONTAINS", ECR_REPOSITORY, CONTAINER_IMAGE, description="An ECR repository holds the image.")
CLUSTER_CONTAINS_DB = rel_kind("CONTAINS", RDS_CLUSTER, RDS_INSTANCE, description="An RDS cluster member.")
VPC_CONTAINS_SUBNET = rel_kind("CONTAINS", VPC, SUBNET, description="The subnet is in the VPC.")
PEERED_WITH = rel_kind("PEERED_WITH", VPC, VPC, (("peering_id", "str"), ("status", "str")),
                       "A VPC peering connection (requester to accepter).")
ASSOCIATED_WITH = rel_kind("ASSOCIATED_WITH", ROUTE_TABLE, "Asset", (("main", "bool"),),
                           "A route table applies to a subnet, or to its VPC as the main route table.")
ROUTES_TO_GATEWAY = rel_kind("ROUTES_TO", ROUTE_TABLE, "Gateway", (
    ("destination", "str", "the first destination CIDR (or prefix list)"), ("destinations", "list[str]")),
    "A route table sends traffic for the destination to the gateway.")
ROUTES_TO_TARGET = rel_kind("ROUTES_TO", LOAD_BALANCER, "Asset", (
    ("ports", "list[str]", "target ports"), ("target_groups", "list[str]")),
    "A load balancer forwards to the target (instance, ENI of an IP target, Lambda function).")
SG_HAS_RULE = rel_kind("HAS_RULE", SECURITY_GROUP, SG_RULE, description="A security group permission.")
NACL_HAS_RULE = rel_kind("HAS_RULE", NETWORK_ACL, NACL_RULE, description="A network ACL entry.")
ALLOWS_FROM = rel_kind("ALLOWS_FROM", SG_RULE, SECURITY_GROUP, (("user_id", "str"),),
                       "The rule admits (or, outbound, targets) members of the referenced security group.")
SG_APPLIES_TO = rel_kind("APPLIES_TO", SECURITY_GROUP, "Asset",
                         description="A security group on an ENI, or on a resource without modelled ENIs.")
NACL_APPLIES_TO = rel_kind("APPLIES_TO", NETWORK_ACL, SUBNET, description="A network ACL on a subnet.")
SCP_APPLIES_TO = rel_kind("APPLIES_TO", POLICY, ACCOUNT, (
    ("via", "str", "the target the SCP is attached to"),
    ("targets", "list[str]", "every target on the way from the root to the account it is attached to: root, OU ids, "
                             "the account id (each is a level at which some SCP must allow)")),
    "A service control policy that constrains the account.")
IN_SUBNET = rel_kind("IN_SUBNET", "Asset", SUBNET, description="The interface (or resource) sits in the subnet.")
ENI_ATTACHED_TO = rel_kind("ATTACHED_TO", NETWORK_INTERFACE, "Asset", (("device_index", "int"),),
                           "The ENI belongs to the workload (instance, function, load balancer, database).")
IP_ATTACHED_TO = rel_kind("ATTACHED_TO", PUBLIC_IP, "Asset", description="The public IP is on the ENI (or NAT gateway).")
PROFILE_ATTACHED_TO = rel_kind("ATTACHED_TO", INSTANCE_PROFILE, INSTANCE,
                               description="The instance profile is associated with the instance.")
USES_IDENTITY = rel_kind("USES_IDENTITY", "Asset", ROLE, (("via", "str"),),
                         "The workload runs with the role's credentials (instance-profile, lambda-role, task-role, "
                         "execution-role, cluster-role).")
HAS_ROLE = rel_kind("HAS_ROLE", INSTANCE_PROFILE, ROLE, description="The role an instance profile hands out.")
MEMBER_OF = rel_kind("MEMBER_OF", USER, GROUP, description="IAM group membership.")
HAS_POLICY = rel_kind("HAS_POLICY", "Identity", POLICY, description="An attached managed or inline policy.")
HAS_PERMISSION_BOUNDARY = rel_kind("HAS_PERMISSION_BOUNDARY", "Identity", POLICY,
                                   description="The permissions boundary of a user or role.")
HAS_KEY = rel_kind("HAS_KEY", USER, ACCESS_KEY, description="A user's access key.")
REPLICATES_TO = rel_kind("REPLICATES_TO", BUCKET, BUCKET, (("rule_id", "str"),),
                         "Replication to another data store (S3 replication rule destination).")
SNAPSHOT_OF = rel_kind("SNAPSHOT_OF", RDS_SNAPSHOT, "Database", description="The database the snapshot was taken of.")
ENCRYPTED_WITH = rel_kind("ENCRYPTED_WITH", "Asset", KMS_KEY, description="Encrypted with this KMS key.")
