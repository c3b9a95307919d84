"""google resources of a Terraform state or plan, on the GCP loader's kinds and Cloud Asset Inventory
full resource names (``//compute.googleapis.com/projects/<project id>/zones/<zone>/instances/<name>``),
so that a state and a Cloud Asset load meet on the same nodes. A state knows a project by its id only:
``account_id`` is that id here (the GCP loader writes the project number)."""

from __future__ import annotations

from cloudmap.loaders.gcp.transform import compute_name, firewall_props, sa_id
from cloudmap.loaders.terraform.build import Build
from cloudmap.loaders.terraform.state import Resource

from cloudmap.graph.kinds import gcp as K

COMPUTE = "//compute.googleapis.com/"


def _compute(value) -> str | None:
    value = str(value or "")
    if not value:
        return None
    return compute_name(value) if value.startswith(("https://", "//")) else f"{COMPUTE}{value}"


def _bucket(value) -> str | None:
    return f"//storage.googleapis.com/{value}" if value else None


def _sql(r: Resource) -> str | None:
    v = r.values
    return f"//cloudsql.googleapis.com/projects/{v['project']}/instances/{v['name']}" \
        if v.get("project") and v.get("name") else None


def _sa(r: Resource) -> str | None:
    email = r.values.get("email")
    return sa_id(str(email), r.values.get("project")) if email else None


_IDS = {"google_compute_network": lambda r: _compute(r.values.get("id")),
        "google_compute_subnetwork": lambda r: _compute(r.values.get("id")),
        "google_compute_firewall": lambda r: _compute(r.values.get("id")),
        "google_compute_instance": lambda r: _compute(r.values.get("id")),
        "google_storage_bucket": lambda r: _bucket(r.values.get("name")),
        "google_sql_database_instance": _sql,
        "google_service_account": _sa}
TYPES = tuple(_IDS)


class Gcp:
    def __init__(self, build: Build):
        self.b = build

    def register(self, res: Resource) -> bool:
        if res.type in _IDS:
            node = _IDS[res.type](res)
            self.b.register(res, node, res.values.get("id"), res.values.get("self_link"), res.values.get("name"),
                            res.values.get("email"))
        return res.type in MAPPERS

    def ref(self, r: Resource, attr: str, rtype: str) -> str | None:
        return self.b.ref(r, attr, rtype, _compute)

    def asset(self, kind, r: Resource, **props) -> str:
        region = r.values.get("region") or str(r.values.get("zone") or "") or r.values.get("location")
        return self.b.asset(kind, r, "gcp", r.values.get("project"), region, tags=r.values.get("labels") or {},
                            **props)


def _block(value) -> dict:
    return value[0] if isinstance(value, list) and value and isinstance(value[0], dict) else {}


def network(g: Gcp, r: Resource) -> None:
    g.asset(K.NETWORK, r, auto_subnets=bool(r.values.get("auto_create_subnetworks", False)))


def subnetwork(g: Gcp, r: Resource) -> None:
    sub = g.asset(K.SUBNETWORK, r, cidr=r.values.get("ip_cidr_range"),
                  private_google_access=bool(r.values.get("private_ip_google_access", False)))
    g.b.rel(K.NETWORK_CONTAINS, g.ref(r, "network", "google_compute_network"), sub)


def firewall(g: Gcp, r: Resource) -> None:
    v = r.values
    rule = g.asset(K.FIREWALL, r, **firewall_props(
        v.get("allow") or [], v.get("deny") or [], "protocol", direction=v.get("direction"),
        priority=v.get("priority"), disabled=v.get("disabled", False), sources=v.get("source_ranges"),
        source_tags=v.get("source_tags"), source_service_accounts=v.get("source_service_accounts"),
        target_tags=v.get("target_tags"), target_service_accounts=v.get("target_service_accounts")))
    g.b.rel(K.NETWORK_RULE, g.ref(r, "network", "google_compute_network"), rule)


def instance(g: Gcp, r: Resource) -> None:
    v = r.values
    meta = {str(k): str(x).lower() for k, x in (v.get("metadata") or {}).items()}
    nics = [n for n in v.get("network_interface") or [] if isinstance(n, dict)]
    external = [c["nat_ip"] for n in nics for c in n.get("access_config") or [] if c.get("nat_ip")]
    sa = _block(v.get("service_account"))
    vm = g.asset(K.INSTANCE, r, machine_type=v.get("machine_type"), network_tags=list(v.get("tags") or []),
                 private_ips=[n["network_ip"] for n in nics if n.get("network_ip")], external_ips=external,
                 scopes=sorted(sa.get("scopes") or []),
                 serial_port_enabled=meta.get("serial-port-enable") in ("true", "1"),
                 os_login=meta.get("enable-oslogin") in ("true", "1"))
    for n in nics:
        g.b.rel(K.IN_NETWORK, vm, _compute(n.get("network")), nic=n.get("name"), ip=n.get("network_ip"))
        g.b.rel(K.IN_SUBNET, vm, _compute(n.get("subnetwork")))
        for c in n.get("access_config") or []:
            if c.get("nat_ip"):
                ip = g.b.node(K.ADDRESS, {"id": f"{vm}/ip/{c['nat_ip']}", "name": c["nat_ip"], "ip": c["nat_ip"],
                                          "provider": "gcp", "address_type": "EPHEMERAL", "source": "terraform"},
                              weak=True)
                g.b.rel(K.ADDRESS_ON, ip, vm)
    if sa.get("email"):
        target = g.b.node(K.SERVICE_ACCOUNT, {"id": sa_id(str(sa["email"])), "name": str(sa["email"]).lower(),
                                              "provider": "gcp", "email": str(sa["email"]).lower(),
                                              "source": "terraform"}, weak=True)
        g.b.rel(K.USES_SA, vm, target, via="metadata-server")


def bucket(g: Gcp, r: Resource) -> None:
    v = r.values
    g.asset(K.BUCKET, r, public_access_prevention=v.get("public_access_prevention") or "inherited",
            uniform_access=bool(v.get("uniform_bucket_level_access", False)), location=v.get("location"))


def sql(g: Gcp, r: Resource) -> None:
    ipc = _block(_block(r.values.get("settings")).get("ip_configuration"))
    nets = [n.get("value") for n in ipc.get("authorized_networks") or [] if n.get("value")]
    enabled = bool(ipc.get("ipv4_enabled", False))
    g.asset(K.SQL_INSTANCE, r, engine=r.values.get("database_version"), ipv4_enabled=enabled,
            authorized_networks=nets, ssl_mode=ipc.get("ssl_mode"),
            public_ips=[r.values["public_ip_address"]] if r.values.get("public_ip_address") else [],
            publicly_accessible=enabled and any(n.endswith("/0") for n in nets), password_auth=True)


def service_account(g: Gcp, r: Resource) -> None:
    email = str(r.values.get("email") or "").lower() or None
    g.asset(K.SERVICE_ACCOUNT, r, name=email, email=email, unique_id=r.values.get("unique_id"),
            disabled=bool(r.values.get("disabled", False)))


MAPPERS = {"google_compute_network": network, "google_compute_subnetwork": subnetwork,
           "google_compute_firewall": firewall, "google_service_account": service_account,
           "google_compute_instance": instance, "google_storage_bucket": bucket,
           "google_sql_database_instance": sql}
