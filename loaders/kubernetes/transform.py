"""Kubernetes objects -> graph rows. Pure: no API, no database, so every input error surfaces here,
before the load writes anything."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from typing import Any

from cloudmap.loaders.credentials.rows import add_credentials
from cloudmap.loaders.kit import Rows
from cloudmap.loaders.kit.rows import UNSCOPED
from cloudmap.loaders.kubernetes.credentials import config_map_data, pod_env
from cloudmap.loaders.kubernetes.images import image_row
from cloudmap.loaders.kubernetes.objects import KubernetesInputError, Objects

from cloudmap.graph.kinds import kubernetes as k
from cloudmap.graph.kinds.common import CONTAINER_IMAGE

IRSA_ANNOTATION = "eks.amazonaws.com/role-arn"
WORKLOAD_IDENTITY_ANNOTATION = "azure.workload.identity/client-id"

# Annotations that make a cloud load balancer internal (everything else is internet-facing).
_INTERNAL = {
    "service.beta.kubernetes.io/aws-load-balancer-internal": ("true", "0.0.0.0/0"),
    "service.beta.kubernetes.io/aws-load-balancer-scheme": ("internal",),
    "service.beta.kubernetes.io/azure-load-balancer-internal": ("true",),
    "networking.gke.io/load-balancer-type": ("internal",),
    "cloud.google.com/load-balancer-type": ("internal",),
    "alb.ingress.kubernetes.io/scheme": ("internal",),
    "appgw.ingress.kubernetes.io/use-private-ip": ("true",),
}


@dataclass
class Cluster:
    """Which cluster the objects belong to: its key (from --cluster-id or the API server URL)."""
    key: str
    endpoint: str | None = None
    context: str | None = None
    version: str | None = None

    @classmethod
    def from_id(cls, cluster_id: str, **kw) -> Cluster:
        cid = cluster_id.strip()
        if cid.lower().startswith("/subscriptions/"):
            cid = cid.lower()  # Azure resource ids are lower case everywhere in the graph
        return cls(cid, **kw)

    @property
    def id(self) -> str:
        return f"kubernetes:{self.key}"

    @property
    def cloud_id(self) -> str | None:
        return self.key if self.key.startswith(("arn:", "/subscriptions/")) else None

    def account_region(self) -> tuple[str | None, str | None]:
        if self.key.startswith("arn:"):
            parts = self.key.split(":")
            return (parts[4] or None, parts[3] or None) if len(parts) > 5 else (None, None)
        if self.key.startswith("/subscriptions/"):
            return self.key.split("/")[2], None
        return None, None

    def object_id(self, kind_path: str, namespace: str, name: str) -> str:
        return f"{self.id}/namespaces/{namespace}/{kind_path}/{name}"

    def namespace_id(self, namespace: str) -> str:
        return f"{self.id}/namespaces/{namespace}"

    def scope(self, part: str) -> str:
        """The scope one listed kind is written in: `kubernetes/<cluster>/pods`, ..."""
        return f"kubernetes/{self.key}/{part}"


# -- small typed accessors that name the field when the input is malformed --------------------------

def _get(obj: dict, path: str, typ: type, where: str, default=None):
    cur: Any = obj
    for part in path.split("."):
        if not isinstance(cur, dict):
            return default
        cur = cur.get(part)
        if cur is None:
            return default
    if not isinstance(cur, typ) or (typ is int and isinstance(cur, bool)):
        raise KubernetesInputError(f"{where}: field '{path}' must be {typ.__name__}, got {type(cur).__name__}")
    return cur


def _dicts(obj: dict, path: str, where: str) -> list[dict]:
    items = _get(obj, path, list, where, [])
    for i, item in enumerate(items):
        if not isinstance(item, dict):
            raise KubernetesInputError(f"{where}: field '{path}[{i}]' must be an object")
    return items


def _labels(obj: dict) -> dict[str, str]:
    return {str(a): str(b) for a, b in (obj["metadata"].get("labels") or {}).items()}


def _annotations(obj: dict) -> dict[str, str]:
    return {str(a): str(b) for a, b in (obj["metadata"].get("annotations") or {}).items()}


def _tags(labels: dict[str, str]) -> list[str]:
    return sorted(f"{a}={b}" for a, b in labels.items())


def _scheme(annotations: dict[str, str]) -> str:
    for key, values in _INTERNAL.items():
        if annotations.get(key, "").lower() in values:
            return "internal"
    return "internet-facing"


def _lb_addresses(obj: dict, where: str) -> tuple[list[str], list[str]]:
    ingress = _dicts(obj, "status.loadBalancer.ingress", where)
    return ([i["ip"] for i in ingress if i.get("ip")], [i["hostname"] for i in ingress if i.get("hostname")])


# -- per kind -----------------------------------------------------------------------------------------

def _base(obj: dict, cluster: Cluster, node_id: str) -> dict:
    meta = obj["metadata"]
    account, region = cluster.account_region()
    return {"id": node_id, "name": meta["name"], "provider": "kubernetes", "account_id": account, "region": region,
            "namespace": meta.get("namespace"), "uid": meta.get("uid"), "created": meta.get("creationTimestamp"),
            "tags": _tags(_labels(obj))}


def _container_flags(pod: dict, containers: list[dict], where: str) -> dict:
    pod_sc = _get(pod, "spec.securityContext", dict, where, {})
    privileged = escalation = root = False
    caps: set[str] = set()
    for i, c in enumerate(containers):
        sc = _get(c, "securityContext", dict, f"{where}: container {i}", {})
        privileged |= sc.get("privileged") is True
        escalation |= sc.get("allowPrivilegeEscalation") is not False or sc.get("privileged") is True
        uid = sc.get("runAsUser", pod_sc.get("runAsUser"))
        non_root = sc.get("runAsNonRoot", pod_sc.get("runAsNonRoot"))
        root |= uid == 0 or (uid is None and non_root is not True)
        caps.update(str(x) for x in (sc.get("capabilities") or {}).get("add") or [])
    return {"privileged": privileged, "allow_privilege_escalation": escalation, "run_as_root": root,
            "capabilities_added": sorted(caps)}


def pods(objs: Objects, cluster: Cluster, sa_automount: dict[str, bool], rows: Rows) -> None:
    nodes, contains, images, uses = [], [], {}, []
    runs: dict[tuple[str, str], list[str]] = defaultdict(list)
    for pod in objs.by_kind["Pod"]:
        where, meta = pod["_origin"], pod["metadata"]
        ns = meta["namespace"]
        pid = cluster.object_id("pods", ns, meta["name"])
        containers = []
        for path in ("spec.initContainers", "spec.containers", "spec.ephemeralContainers"):
            containers += _dicts(pod, path, where)
        statuses = {}
        for path in ("status.initContainerStatuses", "status.containerStatuses", "status.ephemeralContainerStatuses"):
            for st in _dicts(pod, path, where):
                statuses[st.get("name")] = st.get("imageID")
        for i, c in enumerate(containers):
            image = c.get("image")
            if not isinstance(image, str) or not image:
                raise KubernetesInputError(f"{where} (Pod {ns}/{meta['name']}): container {i}: field 'image' "
                                           "must be a non-empty string")
            row = image_row(image, statuses.get(c.get("name")))
            if row["id"] in images:
                row["tags_list"] = sorted(set(row["tags_list"]) | set(images[row["id"]]["tags_list"]))
            images[row["id"]] = {**row, "provider": "kubernetes"}
            runs[(pid, row["id"])].append(str(c.get("name")))
        sa = _get(pod, "spec.serviceAccountName", str, where) or "default"
        sa_id = cluster.object_id("serviceaccounts", ns, sa)
        automount = _get(pod, "spec.automountServiceAccountToken", bool, where)
        volumes = _dicts(pod, "spec.volumes", where)
        nodes.append({
            **_base(pod, cluster, pid),
            "phase": _get(pod, "status.phase", str, where), "node_name": _get(pod, "spec.nodeName", str, where),
            "pod_ip": _get(pod, "status.podIP", str, where), "host_ip": _get(pod, "status.hostIP", str, where),
            "service_account": sa,
            "host_network": _get(pod, "spec.hostNetwork", bool, where, False),
            "host_pid": _get(pod, "spec.hostPID", bool, where, False),
            "host_ipc": _get(pod, "spec.hostIPC", bool, where, False),
            **_container_flags(pod, containers, where),
            "host_path_volumes": sorted({str(v["hostPath"].get("path")) for v in volumes
                                         if isinstance(v.get("hostPath"), dict)}),
            "containers": [str(c.get("name")) for c in containers],
            "images": [c["image"] for c in containers],
            "automount_token": automount if automount is not None else sa_automount.get(sa_id, True),
        })
        contains.append({"source": cluster.namespace_id(ns), "target": pid})
        uses.append({"source": pid, "target": sa_id, "via": "service-account"})
        add_credentials(rows, pid, pod_env(containers, where), "pod-environment", "kubernetes", cluster.scope("pods"))
    scope = cluster.scope("pods")
    rows.extend(k.K8S_POD, nodes, scope)
    rows.extend(CONTAINER_IMAGE, images.values(), UNSCOPED)  # shared with the scanners: never cleaned up here
    rows.extend(k.NAMESPACE_CONTAINS_POD, contains, scope)
    rows.extend(k.POD_USES_SERVICE_ACCOUNT, uses, scope)
    rows.extend(k.POD_RUNS_IMAGE, [{"source": p, "target": i, "containers": sorted(set(names))}
                                   for (p, i), names in runs.items()], scope)


def _selects(selector: dict[str, str], labels: dict[str, str]) -> bool:
    return bool(selector) and all(labels.get(a) == b for a, b in selector.items())


def services(objs: Objects, cluster: Cluster, pod_objs: list[dict], rows: Rows) -> None:
    nodes, contains, routes = [], [], []
    for svc in objs.by_kind["Service"]:
        where, meta = svc["_origin"], svc["metadata"]
        ns = meta["namespace"]
        sid = cluster.object_id("services", ns, meta["name"])
        stype = _get(svc, "spec.type", str, where, "ClusterIP")
        ports = _dicts(svc, "spec.ports", where)
        selector = {str(a): str(b) for a, b in _get(svc, "spec.selector", dict, where, {}).items()}
        ips, hostnames = _lb_addresses(svc, where)
        nodes.append({
            **_base(svc, cluster, sid), "service_type": stype,
            "scheme": _scheme(_annotations(svc)) if stype == "LoadBalancer" else None,
            "ingress_ips": ips, "ingress_hostnames": hostnames,
            "cluster_ip": _get(svc, "spec.clusterIP", str, where),
            "external_ips": [str(x) for x in _get(svc, "spec.externalIPs", list, where, [])],
            "ports": [f"{p.get('port')}/{p.get('protocol', 'TCP')}" for p in ports],
            "node_ports": [f"{p['nodePort']}/{p.get('protocol', 'TCP')}" for p in ports if p.get("nodePort")],
            "selector": _tags(selector),
            "load_balancer_source_ranges": [str(x) for x in _get(svc, "spec.loadBalancerSourceRanges", list, where, [])],
            "external_name": _get(svc, "spec.externalName", str, where),
        })
        contains.append({"source": cluster.namespace_id(ns), "target": sid})
        target_ports = sorted({str(p.get("targetPort", p.get("port"))) for p in ports})
        for pod in pod_objs:
            if pod["metadata"]["namespace"] == ns and _selects(selector, _labels(pod)):
                routes.append({"source": sid, "target": cluster.object_id("pods", ns, pod["metadata"]["name"]),
                               "ports": target_ports})
    rows.extend(k.K8S_SERVICE, nodes, cluster.scope("services"))
    rows.extend(k.NAMESPACE_CONTAINS_SERVICE, contains, cluster.scope("services"))
    rows.extend(k.SERVICE_ROUTES_TO_POD, routes, cluster.scope("services"))


def _backend(backend: dict) -> tuple[str | None, str | None]:
    """(service name, port) of an ingress backend, networking.k8s.io/v1 or the older extensions shape."""
    if isinstance(backend.get("service"), dict):
        svc = backend["service"]
        port = svc.get("port") or {}
        return svc.get("name"), str(port.get("number") or port.get("name") or "") or None
    return backend.get("serviceName"), str(backend["servicePort"]) if backend.get("servicePort") else None


def ingresses(objs: Objects, cluster: Cluster, rows: Rows) -> None:
    nodes, contains, routes = [], [], []
    for ing in objs.by_kind["Ingress"]:
        where, meta = ing["_origin"], ing["metadata"]
        ns = meta["namespace"]
        iid = cluster.object_id("ingresses", ns, meta["name"])
        annotations = _annotations(ing)
        scheme = _scheme(annotations)
        ips, hostnames = _lb_addresses(ing, where)
        rules = _dicts(ing, "spec.rules", where)
        targets: dict[str, dict[str, set]] = defaultdict(lambda: {"ports": set(), "hosts": set(), "paths": set()})
        default = _get(ing, "spec.defaultBackend", dict, where) or _get(ing, "spec.backend", dict, where)
        if default:
            name, port = _backend(default)
            if name:
                targets[name]["paths"].add("*")
                if port:
                    targets[name]["ports"].add(port)
        for r, rule in enumerate(rules):
            for path in _dicts(rule, "http.paths", f"{where}: spec.rules[{r}]"):
                name, port = _backend(path.get("backend") or {})
                if name:
                    t = targets[name]
                    t["hosts"].add(rule.get("host") or "*")
                    t["paths"].add(path.get("path") or "/")
                    if port:
                        t["ports"].add(port)
        nodes.append({
            **_base(ing, cluster, iid), "scheme": scheme, "public": scheme == "internet-facing",
            "ingress_ips": ips, "ingress_hostnames": hostnames,
            "ingress_class": _get(ing, "spec.ingressClassName", str, where)
            or annotations.get("kubernetes.io/ingress.class"),
            "hosts": sorted({str(r["host"]) for r in rules if r.get("host")}),
            "tls": bool(_get(ing, "spec.tls", list, where, [])),
        })
        contains.append({"source": cluster.namespace_id(ns), "target": iid})
        routes += [{"source": iid, "target": cluster.object_id("services", ns, name),
                    **{key: sorted(v) for key, v in t.items()}} for name, t in targets.items()]
    rows.extend(k.K8S_INGRESS, nodes, cluster.scope("ingresses"))
    rows.extend(k.NAMESPACE_CONTAINS_INGRESS, contains, cluster.scope("ingresses"))
    rows.extend(k.INGRESS_ROUTES_TO_SERVICE, routes, cluster.scope("ingresses"))


def config_maps(objs: Objects, cluster: Cluster, rows: Rows) -> None:
    """ConfigMaps whose data holds a credential (the others are not written)."""
    scope, nodes, contains = cluster.scope("configmaps"), [], []
    for cm in objs.by_kind["ConfigMap"]:
        meta = cm["metadata"]
        cid = cluster.object_id("configmaps", meta["namespace"], meta["name"])
        keys, found = config_map_data(cm)
        if found:
            nodes.append({**_base(cm, cluster, cid), "keys": keys})
            contains.append({"source": cluster.namespace_id(meta["namespace"]), "target": cid})
            add_credentials(rows, cid, found, "configmap", "kubernetes", scope)
    rows.extend(k.K8S_CONFIG_MAP, nodes, scope)   # listed and empty still covers the scope
    rows.extend(k.NAMESPACE_CONTAINS_CONFIG_MAP, contains, scope)


def service_accounts(objs: Objects, cluster: Cluster, rows: Rows) -> dict[str, bool]:
    nodes, contains, cloud = [], [], []
    automount = {}
    for sa in objs.by_kind["ServiceAccount"]:
        where, meta = sa["_origin"], sa["metadata"]
        ns = meta["namespace"]
        said = cluster.object_id("serviceaccounts", ns, meta["name"])
        annotations = _annotations(sa)
        role_arn = annotations.get(IRSA_ANNOTATION) or None
        client_id = (annotations.get(WORKLOAD_IDENTITY_ANNOTATION) or "").lower() or None
        mount = _get(sa, "automountServiceAccountToken", bool, where)
        automount[said] = mount is not False
        nodes.append({**_base(sa, cluster, said), "role_arn": role_arn, "azure_client_id": client_id,
                      "automount_token": mount is not False})
        contains.append({"source": cluster.namespace_id(ns), "target": said})
        if role_arn:
            cloud.append({"source": said, "target": role_arn, "via": "irsa"})
    rows.extend(k.K8S_SERVICE_ACCOUNT, nodes, cluster.scope("serviceaccounts"))
    rows.extend(k.NAMESPACE_CONTAINS_SERVICE_ACCOUNT, contains, cluster.scope("serviceaccounts"))
    rows.extend(k.SERVICE_ACCOUNT_USES_IDENTITY, cloud, cluster.scope("serviceaccounts"))
    return automount


def namespaces(objs: Objects, cluster: Cluster, rows: Rows) -> None:
    """Listed namespaces, plus those the other objects name (so the containment chain is whole)."""
    account, region = cluster.account_region()
    found = {}
    for kind, items in objs.by_kind.items():
        for obj in items:
            if kind == "Namespace":
                found[obj["metadata"]["name"]] = {
                    **_base(obj, cluster, cluster.namespace_id(obj["metadata"]["name"])),
                    "phase": _get(obj, "status.phase", str, obj["_origin"])}
            else:
                ns = obj["metadata"]["namespace"]
                found.setdefault(ns, {"id": cluster.namespace_id(ns), "name": ns, "provider": "kubernetes",
                                      "account_id": account, "region": region})
    for row in found.values():
        row.pop("namespace", None)
        row.pop("created", None)
    rows.extend(k.K8S_NAMESPACE, list(found.values()), cluster.scope("namespaces"))
    rows.extend(k.CLUSTER_CONTAINS_NAMESPACE, [{"source": cluster.id, "target": r["id"]} for r in found.values()],
                cluster.scope("namespaces"))


def cluster_row(cluster: Cluster) -> dict:
    account, region = cluster.account_region()
    name = cluster.key.rsplit("/", 1)[-1] if cluster.cloud_id else cluster.key
    return {"id": cluster.id, "name": name, "provider": "kubernetes", "account_id": account, "region": region,
            "endpoint": cluster.endpoint, "context": cluster.context, "cloud_id": cluster.cloud_id,
            "version": cluster.version}


def transform(objs: Objects, cluster: Cluster) -> Rows:
    """All rows of one load. Scopes (`pods`, `services`, ...) only for kinds the source listed, so a
    file without ingresses leaves the ingresses of an earlier load alone."""
    rows = Rows()
    rows.extend(k.K8S_CLUSTER, [cluster_row(cluster)], cluster.scope("cluster"))
    namespaces(objs, cluster, rows)
    automount = service_accounts(objs, cluster, rows) if "ServiceAccount" in objs.seen else {}
    if objs.pod_identities:
        rows.extend(k.SERVICE_ACCOUNT_USES_IDENTITY, [
            {"source": cluster.object_id("serviceaccounts", a["namespace"], a["serviceAccount"]),
             "target": a["roleArn"], "via": "pod-identity"} for a in objs.pod_identities],
            cluster.scope("pod-identities"))
    if "Pod" in objs.seen:
        pods(objs, cluster, automount, rows)
    if "Service" in objs.seen:
        services(objs, cluster, objs.by_kind["Pod"], rows)
    if "Ingress" in objs.seen:
        ingresses(objs, cluster, rows)
    if "ConfigMap" in objs.seen:
        config_maps(objs, cluster, rows)
    return rows
