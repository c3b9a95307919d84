"""Kubernetes: clusters, namespaces, pods, services, ingresses, service accounts and the ConfigMaps
that hold credentials.

Ids are synthetic and follow the API paths, prefixed by the cluster key (the ``--cluster-id`` given,
else the API server URL): ``kubernetes:<cluster>`` for the cluster,
``kubernetes:<cluster>/namespaces/<ns>`` for a namespace and
``kubernetes:<cluster>/namespaces/<ns>/<pods|services|ingresses|serviceaccounts|configmaps>/<name>`` for the rest,
so an object keeps its id across restarts (uids change when it is recreated).
"""

from cloudmap.graph.kinds.common import CONTAINER_IMAGE
from cloudmap.graph.model import node_kind, rel_kind

_NS = (("namespace", "str", "the Kubernetes namespace"), ("uid", "str", "metadata.uid"),
       ("created", "str", "metadata.creationTimestamp"))
_EXPOSURE = (("scheme", "str", "internet-facing or internal (from the cloud load balancer annotations)"),
             ("ingress_ips", "list[str]", "status.loadBalancer.ingress IPs"),
             ("ingress_hostnames", "list[str]", "status.loadBalancer.ingress host names"))

K8S_CLUSTER = node_kind(
    "KubernetesCluster", ("KubernetesCluster",),
    properties=(("endpoint", "str", "API server URL"), ("context", "str", "kubeconfig context it was read with"),
                ("cloud_id", "str", "EKS cluster ARN / AKS resource id, when given as --cluster-id"),
                ("version", "str", "server git version, when read live")),
    description="A Kubernetes cluster as seen through its API (id `kubernetes:<cluster>`); SAME_AS the "
                "EKS/AKS cluster node the cloud loaders write.")

K8S_NAMESPACE = node_kind(
    "KubernetesNamespace", ("Namespace",), properties=(("uid", "str"), ("phase", "str")),
    description="A namespace (id `kubernetes:<cluster>/namespaces/<ns>`).")

K8S_POD = node_kind(
    "KubernetesPod", ("Pod",),
    properties=_NS + (
        ("phase", "str", "status.phase"), ("node_name", "str"), ("pod_ip", "str"), ("host_ip", "str"),
        ("service_account", "str", "spec.serviceAccountName"),
        ("host_network", "bool", "spec.hostNetwork: shares the node's network namespace"),
        ("host_pid", "bool"), ("host_ipc", "bool"),
        ("privileged", "bool", "a container runs privileged"),
        ("allow_privilege_escalation", "bool", "a container does not forbid privilege escalation"),
        ("run_as_root", "bool", "a container may run as uid 0 (runAsNonRoot not set, or runAsUser 0)"),
        ("capabilities_added", "list[str]", "Linux capabilities added by any container"),
        ("host_path_volumes", "list[str]", "host paths mounted"),
        ("containers", "list[str]", "container names (init containers included)"),
        ("images", "list[str]", "image references as written in the spec"),
        ("automount_token", "bool", "the service account token is mounted"),
    ),
    description="A pod (id `kubernetes:<cluster>/namespaces/<ns>/pods/<name>`); labels are its `tags`.")

K8S_SERVICE = node_kind(
    "KubernetesService", ("KubernetesService",),
    properties=_NS + _EXPOSURE + (
        ("service_type", "str", "ClusterIP, NodePort, LoadBalancer, ExternalName"),
        ("cluster_ip", "str"), ("external_ips", "list[str]", "spec.externalIPs"),
        ("ports", "list[str]", "port/protocol, e.g. 443/TCP"),
        ("node_ports", "list[str]", "node ports opened on every node (NodePort, LoadBalancer)"),
        ("selector", "list[str]", "pod selector as key=value"),
        ("load_balancer_source_ranges", "list[str]", "spec.loadBalancerSourceRanges"),
        ("external_name", "str"),
    ),
    description="A service (id `kubernetes:<cluster>/namespaces/<ns>/services/<name>`); exposure is the raw "
                "`service_type`, `scheme` and ingress addresses, the engine derives reachability.")

K8S_INGRESS = node_kind(
    "KubernetesIngress", ("Ingress",),
    properties=_NS + _EXPOSURE + (
        ("ingress_class", "str"), ("hosts", "list[str]", "rule hosts"), ("tls", "bool", "has a TLS section"),
        ("public", "bool", "internet-facing: not marked internal by annotation"),
    ),
    description="An ingress (id `kubernetes:<cluster>/namespaces/<ns>/ingresses/<name>`).")

K8S_SERVICE_ACCOUNT = node_kind(
    "ServiceAccount", ("Identity", "ServiceAccount"),
    properties=_NS + (
        ("role_arn", "str", "EKS IRSA annotation eks.amazonaws.com/role-arn"),
        ("azure_client_id", "str", "AKS workload identity annotation azure.workload.identity/client-id"),
        ("automount_token", "bool", "automountServiceAccountToken (absent: true)"),
    ),
    description="A Kubernetes service account (id `kubernetes:<cluster>/namespaces/<ns>/serviceaccounts/<name>`).")

_VIA = (("via", "str", "how the identity is obtained"),)

CLUSTER_CONTAINS_NAMESPACE = rel_kind("CONTAINS", K8S_CLUSTER, K8S_NAMESPACE, description="A cluster holds a namespace.")
K8S_CONFIG_MAP = node_kind(
    "KubernetesConfigMap", ("ConfigurationItem", "ConfigMap"),
    properties=_NS + (("keys", "list[str]", "data keys (never their values)"),),
    description="A ConfigMap whose data holds a credential (only those are written).")

NAMESPACE_CONTAINS_CONFIG_MAP = rel_kind("CONTAINS", K8S_NAMESPACE, K8S_CONFIG_MAP,
                                         description="A namespace holds a ConfigMap.")
NAMESPACE_CONTAINS_POD = rel_kind("CONTAINS", K8S_NAMESPACE, K8S_POD, description="A namespace holds a pod.")
NAMESPACE_CONTAINS_SERVICE = rel_kind("CONTAINS", K8S_NAMESPACE, K8S_SERVICE,
                                      description="A namespace holds a service.")
NAMESPACE_CONTAINS_INGRESS = rel_kind("CONTAINS", K8S_NAMESPACE, K8S_INGRESS,
                                      description="A namespace holds an ingress.")
NAMESPACE_CONTAINS_SERVICE_ACCOUNT = rel_kind("CONTAINS", K8S_NAMESPACE, K8S_SERVICE_ACCOUNT,
                                              description="A namespace holds a service account.")
POD_RUNS_IMAGE = rel_kind("RUNS_IMAGE", K8S_POD, CONTAINER_IMAGE,
                          properties=(("containers", "list[str]", "the pod's containers running it"),),
                          description="A pod's containers run this image (by digest when the status has it).")
SERVICE_ROUTES_TO_POD = rel_kind("ROUTES_TO", K8S_SERVICE, K8S_POD,
                                 properties=(("ports", "list[str]", "pod ports the service sends to (targetPort)"),),
                                 description="A service's selector matches the pod.")
INGRESS_ROUTES_TO_SERVICE = rel_kind("ROUTES_TO", K8S_INGRESS, K8S_SERVICE,
                                     properties=(("ports", "list[str]", "service ports (number or name) the rules use"),
                                                 ("hosts", "list[str]"), ("paths", "list[str]")),
                                     description="An ingress rule (or default backend) sends traffic to the service.")
POD_USES_SERVICE_ACCOUNT = rel_kind("USES_IDENTITY", K8S_POD, K8S_SERVICE_ACCOUNT, properties=_VIA,
                                    description="The pod runs as the service account (via `service-account`).")
SERVICE_ACCOUNT_USES_IDENTITY = rel_kind(
    "USES_IDENTITY", K8S_SERVICE_ACCOUNT, "Identity", properties=_VIA,
    description="The service account gets a cloud identity: `irsa` and `pod-identity` (AWS role by ARN), "
                "`workload-identity` (Azure managed identity by client id).")
CLUSTER_SAME_AS = rel_kind("SAME_AS", K8S_CLUSTER, "Cluster",
                           properties=(("matched_by", "str", "id or endpoint"),),
                           description="The cluster read through its API is this EKS/AKS cluster.")
