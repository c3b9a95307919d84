"""AWS resources of a Terraform state or plan, on the AWS loader's kinds and ids (ARNs and its synthetic
keys), so a planned estate and the deployed one are the same nodes."""

from __future__ import annotations

import json
from typing import ClassVar

from cloudmap.loaders.aws.ec2 import PROTOCOLS, ports
from cloudmap.loaders.terraform.build import Build
from cloudmap.loaders.terraform.state import Resource

from cloudmap.graph.kinds import aws as k


class Aws:
    def __init__(self, build: Build, resources: list[Resource]):
        self.b = build
        arns = [r.values.get("arn") for r in resources if isinstance(r.values.get("arn"), str)]
        parts = [a.split(":") for a in arns if a.count(":") >= 5]
        self.partition = next((p[1] for p in parts), "aws")
        self.account = next((p[4] for p in parts if p[4]), None)
        self.region = next((p[3] for p in parts if p[3]), None)

    # -- ids ---------------------------------------------------------------------------------------
    def ec2_arn(self, kind: str, ident: str) -> str | None:
        if not (self.account and self.region):
            return None
        return f"arn:{self.partition}:ec2:{self.region}:{self.account}:{kind}/{ident}"

    @property
    def account_arn(self) -> str | None:
        return f"arn:{self.partition}:iam::{self.account}:root" if self.account else None

    EC2: ClassVar[dict[str, str]] = {"aws_vpc": "vpc", "aws_subnet": "subnet", "aws_internet_gateway": "internet-gateway",
           "aws_route_table": "route-table", "aws_security_group": "security-group", "aws_instance": "instance"}
    ARN = ("aws_iam_role", "aws_iam_policy", "aws_iam_instance_profile", "aws_s3_bucket", "aws_db_instance",
           "aws_lambda_function")

    def register(self, res: Resource) -> bool:
        v = res.values
        if res.type in self.EC2:
            ident = v.get("id")
            self.b.register(res, v.get("arn") or (self.ec2_arn(self.EC2[res.type], ident) if ident else None), ident)
        elif res.type in self.ARN:
            self.b.register(res, v.get("arn"), v.get("id"), v.get("name"), v.get("arn"))
        elif res.type == "aws_eip":
            self.b.register(res, v.get("allocation_id") or v.get("id"), v.get("id"))
        elif res.type == "aws_iam_role_policy":
            self.b.register(res, None)
        return res.type in MAPPERS

    def asset(self, kind, res: Resource, name=None, region=None, **props) -> str:
        arn = res.values.get("arn") or ""
        region = region or (arn.split(":")[3] if arn.count(":") >= 5 and arn.split(":")[3] else self.region)
        node_id = self.b.asset(kind, res, "aws", self.account, region, name=name,
                               tags=res.values.get("tags") or {}, **props)
        if kind is not k.ACCOUNT:
            self.b.rel(k.CONTAINS, self.account_arn, node_id)
        return node_id

    def account_row(self) -> None:
        if self.account:
            self.b.node(k.ACCOUNT, {"id": self.account_arn, "name": self.account, "provider": "aws",
                                    "account_id": self.account, "region": "global", "source": "terraform"})

    def sg(self, attr_value: str) -> str | None:
        return self.ec2_arn("security-group", attr_value)

    def role_by_name(self, name: str | None) -> str | None:
        if not name:
            return None
        return self.b.by_value.get(("aws_iam_role", name)) or (
            f"arn:{self.partition}:iam::{self.account}:role/{name}" if self.account else None)


def _doc(value) -> str | None:
    if not value:
        return None
    if isinstance(value, str):
        try:
            return json.dumps(json.loads(value), sort_keys=True)
        except json.JSONDecodeError:
            return value
    return json.dumps(value, sort_keys=True)


# -- mappers: (Aws, Resource) -> None ------------------------------------------------------------------

def vpc(a: Aws, r: Resource) -> None:
    v = r.values
    cidrs = [c for c in (v.get("cidr_block"), v.get("ipv6_cidr_block")) if c]
    a.asset(k.VPC, r, name=(v.get("tags") or {}).get("Name") or v.get("id"), cidr_blocks=cidrs,
            is_default=False, state="planned" if r.planned else "available")


def subnet(a: Aws, r: Resource) -> None:
    v = r.values
    sid = a.asset(k.SUBNET, r, name=(v.get("tags") or {}).get("Name") or v.get("id"), cidr_block=v.get("cidr_block"),
                  availability_zone=v.get("availability_zone"), vpc_id=v.get("vpc_id"),
                  map_public_ip_on_launch=bool(v.get("map_public_ip_on_launch")))
    a.b.rel(k.VPC_CONTAINS_SUBNET, a.b.ref(r, "vpc_id", "aws_vpc", lambda x: a.ec2_arn("vpc", x)), sid)


def internet_gateway(a: Aws, r: Resource) -> None:
    a.asset(k.INTERNET_GATEWAY, r, name=(r.values.get("tags") or {}).get("Name") or r.values.get("id"),
            gateway_type="internet")


def route_table(a: Aws, r: Resource) -> None:
    v = r.values
    rid = a.asset(k.ROUTE_TABLE, r, name=(v.get("tags") or {}).get("Name") or v.get("id"), main=False,
                  vpc_id=v.get("vpc_id"),
                  routes=[f"{x.get('cidr_block') or x.get('ipv6_cidr_block')}->{x.get('gateway_id') or x.get('nat_gateway_id') or ''}"
                          for x in v.get("route") or []])
    for route in v.get("route") or []:
        gw = route.get("gateway_id") or ""
        if gw.startswith("igw-"):
            dest = route.get("cidr_block") or route.get("ipv6_cidr_block")
            a.b.rel(k.ROUTES_TO_GATEWAY, rid, a.b.by_value.get(("aws_internet_gateway", gw)) or a.ec2_arn("internet-gateway", gw),
                    destination=dest, destinations=[dest])
    if not v.get("route") and r.references.get("route"):
        for address in r.references["route"]:
            target = a.b.ids.get(address.rsplit(".", 1)[0])
            if target and ".aws_internet_gateway." in f".{address}":
                a.b.rel(k.ROUTES_TO_GATEWAY, rid, target, destination="0.0.0.0/0", destinations=["0.0.0.0/0"])


def route_table_association(a: Aws, r: Resource) -> None:
    rt = a.b.ref(r, "route_table_id", "aws_route_table", lambda x: a.ec2_arn("route-table", x))
    a.b.rel(k.ASSOCIATED_WITH, rt, a.b.ref(r, "subnet_id", "aws_subnet", lambda x: a.ec2_arn("subnet", x)), main=False)


def _rule(a: Aws, sg_id: str, sg_key: str, direction: str, n: int, rule: dict, name: str, planned: bool,
          address: str) -> None:
    protocol = PROTOCOLS.get(str(rule.get("protocol") or rule.get("ip_protocol")),
                             str(rule.get("protocol") or rule.get("ip_protocol")))
    cidrs = list(rule.get("cidr_blocks") or []) + list(rule.get("ipv6_cidr_blocks") or [])
    cidrs += [c for c in (rule.get("cidr_ipv4"), rule.get("cidr_ipv6")) if c]
    prefix_lists = list(rule.get("prefix_list_ids") or []) + ([rule["prefix_list_id"]] if rule.get("prefix_list_id") else [])
    rule_id = f"aws:sg-rule:{sg_key}:{direction}:{n}"
    a.b.node(k.SG_RULE, {
        "id": rule_id, "name": f"{name} {direction} #{n}", "provider": "aws", "account_id": a.account,
        "region": a.region, "direction": "inbound" if direction == "in" else "outbound", "action": "allow",
        "protocol": protocol, "ports": ports(protocol, rule.get("from_port"), rule.get("to_port")),
        "prefix_lists": prefix_lists, "description": rule.get("description") or None, "source": "terraform",
        "planned": planned, "terraform_address": address,
        "sources" if direction == "in" else "destinations": cidrs + prefix_lists})
    a.b.rel(k.SG_HAS_RULE, sg_id, rule_id)
    a.b.rel(k.CONTAINS, a.account_arn, rule_id)
    for group in list(rule.get("security_groups") or []) + [rule.get("referenced_security_group_id") or
                                                           rule.get("source_security_group_id")]:
        if group:
            a.b.rel(k.ALLOWS_FROM, rule_id, a.b.by_value.get(("aws_security_group", group)) or a.sg(group),
                    user_id=a.account)
    if rule.get("self"):
        a.b.rel(k.ALLOWS_FROM, rule_id, sg_id, user_id=a.account)


def security_group(a: Aws, r: Resource) -> None:
    v = r.values
    sid = a.asset(k.SECURITY_GROUP, r, name=v.get("name") or v.get("id"), group_id=v.get("id"),
                  description=v.get("description"), vpc_id=v.get("vpc_id"))
    key = v.get("id") or f"terraform:{r.address}"
    for direction, attr in (("in", "ingress"), ("out", "egress")):
        for n, rule in enumerate(v.get(attr) or []):
            _rule(a, sid, key, direction, n, rule, v.get("name") or key, r.planned, r.address)


def security_group_rule(a: Aws, r: Resource) -> None:
    """aws_security_group_rule and aws_vpc_security_group_{ingress,egress}_rule: numbered after the
    group's inline rules."""
    v = r.values
    sid = a.b.ref(r, "security_group_id", "aws_security_group", a.sg)
    if not sid:
        return
    direction = "out" if v.get("type") == "egress" or r.type.endswith("egress_rule") else "in"
    key = v.get("security_group_id") or sid.rsplit("/", 1)[-1]
    n = sum(1 for row in a.b.nodes[k.SG_RULE] if row.startswith(f"aws:sg-rule:{key}:{direction}:"))
    _rule(a, sid, key, direction, n, v, key, r.planned, r.address)


def instance(a: Aws, r: Resource) -> None:
    v = r.values
    meta = (v.get("metadata_options") or [{}])[0]
    iid = a.asset(k.INSTANCE, r, name=(v.get("tags") or {}).get("Name") or v.get("id"), instance_id=v.get("id"),
                  state=v.get("instance_state") or ("pending" if r.planned else None),
                  instance_type=v.get("instance_type"), image_id=v.get("ami"), os="Linux/UNIX",
                  public_ip=v.get("public_ip") or None, private_ip=v.get("private_ip") or None,
                  imds_v1_enabled=meta.get("http_endpoint", "enabled") != "disabled"
                  and meta.get("http_tokens") != "required",
                  subnet_id=v.get("subnet_id"))
    subnet_id = a.b.ref(r, "subnet_id", "aws_subnet", lambda x: a.ec2_arn("subnet", x))
    groups = a.b.refs(r, "vpc_security_group_ids", "aws_security_group", a.sg)
    eni = v.get("primary_network_interface_id")
    # the live loader models the instance's primary ENI; a planned instance is linked directly
    eid = a.ec2_arn("network-interface", eni) if eni else None
    if eid:
        a.b.node(k.NETWORK_INTERFACE, {
            "id": eid, "name": eni, "provider": "aws", "account_id": a.account, "region": a.region,
            "private_ips": [v["private_ip"]] if v.get("private_ip") else [], "public_ip": v.get("public_ip") or None,
            "interface_type": "interface", "subnet_id": v.get("subnet_id"), "source": "terraform",
            "terraform_address": r.address, "planned": False})
        a.b.rel(k.CONTAINS, a.account_arn, eid)
        a.b.rel(k.ENI_ATTACHED_TO, eid, iid, device_index=0)
        a.b.rel(k.IN_SUBNET, eid, subnet_id)
        for g in groups:
            a.b.rel(k.SG_APPLIES_TO, g, eid)
        if v.get("public_ip"):
            pid = f"aws:public-ip:{v['public_ip']}"
            a.b.node(k.PUBLIC_IP, {"id": pid, "name": v["public_ip"], "ip": v["public_ip"], "elastic": False,
                                   "provider": "aws", "account_id": a.account, "region": a.region,
                                   "source": "terraform", "terraform_address": r.address})
            a.b.rel(k.CONTAINS, a.account_arn, pid)
            a.b.rel(k.IP_ATTACHED_TO, pid, eid)
    else:
        a.b.rel(k.IN_SUBNET, iid, subnet_id)
        for g in groups:
            a.b.rel(k.SG_APPLIES_TO, g, iid)
    profile = a.b.ref(r, "iam_instance_profile", "aws_iam_instance_profile",
                      lambda x: f"arn:{a.partition}:iam::{a.account}:instance-profile/{x}" if a.account else None)
    if profile:
        a.b.rel(k.PROFILE_ATTACHED_TO, profile, iid)
        prof_res = next((p for p in a.b.by_address.values() if a.b.ids.get(p.address) == profile), None)
        role = a.b.ref(prof_res, "role", "aws_iam_role", a.role_by_name) if prof_res else None
        a.b.rel(k.USES_IDENTITY, iid, role, via="instance-profile")


def eip(a: Aws, r: Resource) -> None:
    v = r.values
    pid = a.asset(k.PUBLIC_IP, r, name=v.get("public_ip") or r.name, ip=v.get("public_ip"), elastic=True,
                  allocation_id=v.get("allocation_id") or v.get("id"))
    eni = v.get("network_interface")
    if eni:
        a.b.rel(k.IP_ATTACHED_TO, pid, a.ec2_arn("network-interface", eni))
    elif v.get("instance"):
        inst = a.b.by_value.get(("aws_instance", v["instance"]))
        eni_id = a.b.by_address[next(ad for ad, i in a.b.ids.items() if i == inst)].values.get(
            "primary_network_interface_id") if inst else None
        a.b.rel(k.IP_ATTACHED_TO, pid, a.ec2_arn("network-interface", eni_id) if eni_id else inst)


def role(a: Aws, r: Resource) -> None:
    v = r.values
    rid = a.asset(k.ROLE, r, name=v.get("name"), region="global", arn=v.get("arn"), path=v.get("path"),
                  trust_policy=_doc(v.get("assume_role_policy")), max_session_duration=v.get("max_session_duration"),
                  principal_id=v.get("unique_id"))
    for inline in v.get("inline_policy") or []:
        if inline.get("name"):
            pid = f"aws:inline-policy:{rid}:{inline['name']}"
            a.b.node(k.POLICY, {"id": pid, "name": inline["name"], "provider": "aws", "account_id": a.account,
                                "region": "global", "document": _doc(inline.get("policy")), "policy_type": "inline",
                                "source": "terraform", "terraform_address": r.address, "planned": r.planned})
            a.b.rel(k.CONTAINS, a.account_arn, pid)
            a.b.rel(k.HAS_POLICY, rid, pid)
    for arn in v.get("managed_policy_arns") or []:
        a.b.rel(k.HAS_POLICY, rid, arn)


def policy(a: Aws, r: Resource) -> None:
    v = r.values
    a.asset(k.POLICY, r, name=v.get("name"), region="global", arn=v.get("arn"), document=_doc(v.get("policy")),
            policy_type="managed", description=v.get("description") or None)


def role_policy(a: Aws, r: Resource) -> None:
    v = r.values
    role_id = a.b.ref(r, "role", "aws_iam_role", a.role_by_name)
    if not role_id:
        return
    pid = f"aws:inline-policy:{role_id}:{v.get('name') or r.name}"
    a.b.ids[r.address] = pid
    a.asset(k.POLICY, r, name=v.get("name") or r.name, region="global", document=_doc(v.get("policy")),
            policy_type="inline")
    a.b.rel(k.HAS_POLICY, role_id, pid)


def role_policy_attachment(a: Aws, r: Resource) -> None:
    a.b.rel(k.HAS_POLICY, a.b.ref(r, "role", "aws_iam_role", a.role_by_name),
            a.b.ref(r, "policy_arn", "aws_iam_policy", lambda x: x))


def instance_profile(a: Aws, r: Resource) -> None:
    v = r.values
    pid = a.asset(k.INSTANCE_PROFILE, r, name=v.get("name"), region="global", arn=v.get("arn"), path=v.get("path"))
    a.b.rel(k.HAS_ROLE, pid, a.b.ref(r, "role", "aws_iam_role", a.role_by_name))


def bucket(a: Aws, r: Resource) -> None:
    v = r.values
    a.asset(k.BUCKET, r, name=v.get("bucket") or v.get("id"), region=v.get("region") or a.region,
            resource_policy=_doc(v.get("policy")))


def _bucket_of(a: Aws, r: Resource) -> str | None:
    return a.b.ref(r, "bucket", "aws_s3_bucket", lambda x: f"arn:{a.partition}:s3:::{x}")


def bucket_policy(a: Aws, r: Resource) -> None:
    a.b.update(k.BUCKET, _bucket_of(a, r), resource_policy=_doc(r.values.get("policy")))


def public_access_block(a: Aws, r: Resource) -> None:
    v = r.values
    a.b.update(k.BUCKET, _bucket_of(a, r), **{key: v.get(key) for key in (
        "block_public_acls", "ignore_public_acls", "block_public_policy", "restrict_public_buckets")})


def db_instance(a: Aws, r: Resource) -> None:
    v = r.values
    did = a.asset(k.RDS_INSTANCE, r, name=v.get("identifier") or r.name, engine=v.get("engine"),
                  engine_version=v.get("engine_version"), port=v.get("port"), endpoint=v.get("address"),
                  publicly_accessible=bool(v.get("publicly_accessible")), password_auth=True,
                  iam_auth=bool(v.get("iam_database_authentication_enabled")),
                  storage_encrypted=bool(v.get("storage_encrypted")), subnet_group=v.get("db_subnet_group_name"),
                  kms_key_id=v.get("kms_key_id") or None)
    for g in a.b.refs(r, "vpc_security_group_ids", "aws_security_group", a.sg):
        a.b.rel(k.SG_APPLIES_TO, g, did)


def lambda_function(a: Aws, r: Resource) -> None:
    v = r.values
    fid = a.asset(k.LAMBDA, r, name=v.get("function_name"), runtime=v.get("runtime"), handler=v.get("handler"),
                  package_type=v.get("package_type"), image_uri=v.get("image_uri") or None, role_arn=v.get("role"),
                  has_url=False)
    a.b.rel(k.USES_IDENTITY, fid, a.b.ref(r, "role", "aws_iam_role", lambda x: x), via="lambda-role")
    for cfg in v.get("vpc_config") or []:
        for s in cfg.get("subnet_ids") or []:
            a.b.rel(k.IN_SUBNET, fid, a.b.by_value.get(("aws_subnet", s)) or a.ec2_arn("subnet", s))
        for g in cfg.get("security_group_ids") or []:
            a.b.rel(k.SG_APPLIES_TO, a.b.by_value.get(("aws_security_group", g)) or a.sg(g), fid)


MAPPERS = {
    "aws_vpc": vpc, "aws_subnet": subnet, "aws_internet_gateway": internet_gateway, "aws_route_table": route_table,
    "aws_route_table_association": route_table_association, "aws_security_group": security_group,
    "aws_security_group_rule": security_group_rule, "aws_vpc_security_group_ingress_rule": security_group_rule,
    "aws_vpc_security_group_egress_rule": security_group_rule, "aws_instance": instance, "aws_eip": eip,
    "aws_iam_role": role, "aws_iam_policy": policy, "aws_iam_role_policy": role_policy,
    "aws_iam_role_policy_attachment": role_policy_attachment, "aws_iam_instance_profile": instance_profile,
    "aws_s3_bucket": bucket, "aws_s3_bucket_policy": bucket_policy,
    "aws_s3_bucket_public_access_block": public_access_block, "aws_db_instance": db_instance,
    "aws_lambda_function": lambda_function,
}
# Mapped in this order: groups before their separate rules, roles before what references them.
ORDER = list(MAPPERS)
