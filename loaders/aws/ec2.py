"""EC2 (one scope per region): VPCs, subnets, route tables, gateways, peering, network ACLs, security
groups and their rules, ENIs, public/Elastic IPs, instances."""

from __future__ import annotations

from cloudmap.loaders.aws.context import Ctx, Out, optional, pages, tag_dict

from cloudmap.graph.kinds import aws as k

PROTOCOLS = {"-1": "*", "6": "tcp", "17": "udp", "1": "icmp", "58": "icmpv6", "all": "*"}
INACTIVE_PEERING = {"deleted", "rejected", "failed", "expired", "deleting"}


def fetch(ctx: Ctx) -> dict:
    ec2 = ctx.client("ec2")
    raw = {
        "vpcs": pages(ec2, "describe_vpcs", "Vpcs"),
        "subnets": pages(ec2, "describe_subnets", "Subnets"),
        "route_tables": pages(ec2, "describe_route_tables", "RouteTables"),
        "internet_gateways": pages(ec2, "describe_internet_gateways", "InternetGateways"),
        "nat_gateways": pages(ec2, "describe_nat_gateways", "NatGateways"),
        "peerings": pages(ec2, "describe_vpc_peering_connections", "VpcPeeringConnections"),
        "network_acls": pages(ec2, "describe_network_acls", "NetworkAcls"),
        "security_groups": pages(ec2, "describe_security_groups", "SecurityGroups"),
        "interfaces": pages(ec2, "describe_network_interfaces", "NetworkInterfaces"),
        "addresses": ec2.describe_addresses().get("Addresses", []),
        "instances": ctx.instances(),
    }
    # The role behind each instance profile, so instances link straight to the identity they run as.
    iam = ctx.client("iam")

    def roles(arn: str) -> list[str]:
        resp = optional(iam.get_instance_profile, "NoSuchEntity", InstanceProfileName=arn.split("/")[-1])
        return [r["Arn"] for r in (resp or {}).get("InstanceProfile", {}).get("Roles", [])]
    profiles = sorted({i["IamInstanceProfile"]["Arn"] for i in raw["instances"] if i.get("IamInstanceProfile")})
    raw["profile_roles"] = dict(zip(profiles, ctx.map(roles, profiles), strict=True))
    return raw


def _name(item: dict, default: str) -> str:
    return tag_dict(item.get("Tags")).get("Name") or default


def ports(protocol: str, low, high) -> list[str]:
    if protocol == "*" or low in (None, -1) or (low == 0 and high == 65535):
        return ["*"]
    return [str(low)] if low == high else [f"{low}-{high}"]


def transform(raw: dict, ctx: Ctx) -> Out:
    out = Out(ctx)
    arn = ctx.ec2_arn
    for vpc in raw["vpcs"]:
        cidrs = [c["CidrBlock"] for c in vpc.get("CidrBlockAssociationSet", [])] or [vpc.get("CidrBlock")]
        cidrs += [c["Ipv6CidrBlock"] for c in vpc.get("Ipv6CidrBlockAssociationSet", [])]
        out.asset(k.VPC, arn("vpc", vpc["VpcId"]), _name(vpc, vpc["VpcId"]), tag_dict(vpc.get("Tags")),
                  cidr_blocks=[c for c in cidrs if c], is_default=vpc.get("IsDefault", False), state=vpc.get("State"))
    for sn in raw["subnets"]:
        sid = arn("subnet", sn["SubnetId"])
        out.asset(k.SUBNET, sid, _name(sn, sn["SubnetId"]), tag_dict(sn.get("Tags")), cidr_block=sn.get("CidrBlock"),
                  ipv6_cidr_blocks=[c["Ipv6CidrBlock"] for c in sn.get("Ipv6CidrBlockAssociationSet", [])],
                  availability_zone=sn.get("AvailabilityZone"), vpc_id=sn.get("VpcId"),
                  map_public_ip_on_launch=sn.get("MapPublicIpOnLaunch", False))
        out.rel(k.VPC_CONTAINS_SUBNET, arn("vpc", sn["VpcId"]), sid)
    for igw in raw["internet_gateways"]:
        gid = arn("internet-gateway", igw["InternetGatewayId"])
        out.asset(k.INTERNET_GATEWAY, gid, _name(igw, igw["InternetGatewayId"]), tag_dict(igw.get("Tags")),
                  gateway_type="internet")
    for nat in raw["nat_gateways"]:
        if nat.get("State") in ("deleted", "deleting", "failed"):
            continue
        gid = arn("natgateway", nat["NatGatewayId"])
        addrs = nat.get("NatGatewayAddresses", [])
        out.asset(k.NAT_GATEWAY, gid, _name(nat, nat["NatGatewayId"]), tag_dict(nat.get("Tags")), gateway_type="nat",
                  state=nat.get("State"), connectivity_type=nat.get("ConnectivityType", "public"),
                  public_ips=[a["PublicIp"] for a in addrs if a.get("PublicIp")])
        for addr in addrs:
            if addr.get("PublicIp"):
                pid = _public_ip(out, addr["PublicIp"], addr.get("AllocationId"))
                out.rel(k.IP_ATTACHED_TO, pid, gid)
    _route_tables(raw, ctx, out)
    for pcx in raw["peerings"]:
        if pcx.get("Status", {}).get("Code") in INACTIVE_PEERING:
            continue
        req, acc = pcx.get("RequesterVpcInfo", {}), pcx.get("AccepterVpcInfo", {})
        out.rel(k.PEERED_WITH, _vpc_arn(ctx, req), _vpc_arn(ctx, acc), peering_id=pcx["VpcPeeringConnectionId"],
                status=pcx.get("Status", {}).get("Code"))
    _network_acls(raw, ctx, out)
    _security_groups(raw, ctx, out)
    _interfaces(raw, ctx, out)
    _instances(raw, ctx, out)
    return out


def _vpc_arn(ctx: Ctx, info: dict) -> str:
    return (f"arn:{ctx.partition}:ec2:{info.get('Region') or ctx.region}:{info.get('OwnerId') or ctx.account_id}:"
            f"vpc/{info.get('VpcId')}")


def _public_ip(out: Out, ip: str, allocation_id: str | None) -> str:
    pid = allocation_id or f"aws:public-ip:{ip}"
    if not out.has(k.PUBLIC_IP, pid):
        out.asset(k.PUBLIC_IP, pid, ip, ip=ip, elastic=bool(allocation_id), allocation_id=allocation_id)
    return pid


def _route_tables(raw: dict, ctx: Ctx, out: Out) -> None:
    arn = ctx.ec2_arn
    for rt in raw["route_tables"]:
        rid = arn("route-table", rt["RouteTableId"])
        assocs = rt.get("Associations", [])
        main = any(a.get("Main") for a in assocs)
        routes, to_gateway = [], {}
        for r in rt.get("Routes", []):
            dest = r.get("DestinationCidrBlock") or r.get("DestinationIpv6CidrBlock") or r.get("DestinationPrefixListId")
            target = next((r[key] for key in ("GatewayId", "NatGatewayId", "VpcPeeringConnectionId", "TransitGatewayId",
                                              "EgressOnlyInternetGatewayId", "NetworkInterfaceId", "InstanceId")
                           if r.get(key)), "")
            routes.append(f"{dest}->{target}")
            if target.startswith("igw-"):
                to_gateway.setdefault(arn("internet-gateway", target), []).append(dest)
            elif target.startswith("nat-"):
                to_gateway.setdefault(arn("natgateway", target), []).append(dest)
        out.asset(k.ROUTE_TABLE, rid, _name(rt, rt["RouteTableId"]), tag_dict(rt.get("Tags")), main=main,
                  vpc_id=rt.get("VpcId"), routes=routes)
        for gid, dests in to_gateway.items():
            kind = k.INTERNET_GATEWAY if ":internet-gateway/" in gid else k.NAT_GATEWAY
            if out.has(kind, gid):
                out.rel(k.ROUTES_TO_GATEWAY, rid, gid, destination=dests[0], destinations=dests)
        for a in assocs:
            if a.get("SubnetId"):
                out.rel(k.ASSOCIATED_WITH, rid, arn("subnet", a["SubnetId"]), main=False)
            elif a.get("Main"):
                out.rel(k.ASSOCIATED_WITH, rid, arn("vpc", rt["VpcId"]), main=True)


def _network_acls(raw: dict, ctx: Ctx, out: Out) -> None:
    for acl in raw["network_acls"]:
        aid = ctx.ec2_arn("network-acl", acl["NetworkAclId"])
        out.asset(k.NETWORK_ACL, aid, _name(acl, acl["NetworkAclId"]), tag_dict(acl.get("Tags")),
                  is_default=acl.get("IsDefault", False), vpc_id=acl.get("VpcId"))
        for a in acl.get("Associations", []):
            out.rel(k.NACL_APPLIES_TO, aid, ctx.ec2_arn("subnet", a["SubnetId"]))
        for e in acl.get("Entries", []):
            direction = "out" if e.get("Egress") else "in"
            protocol = PROTOCOLS.get(str(e.get("Protocol")), str(e.get("Protocol")))
            cidrs = [c for c in (e.get("CidrBlock"), e.get("Ipv6CidrBlock")) if c]
            rng = e.get("PortRange") or {}
            rule_id = f"aws:nacl-rule:{acl['NetworkAclId']}:{direction}:{e['RuleNumber']}"
            out.asset(k.NACL_RULE, rule_id, f"{acl['NetworkAclId']} {direction} #{e['RuleNumber']}",
                      direction="inbound" if direction == "in" else "outbound", action=e.get("RuleAction"),
                      protocol=protocol, ports=ports(protocol, rng.get("From"), rng.get("To")),
                      priority=e["RuleNumber"], **{"sources" if direction == "in" else "destinations": cidrs})
            out.rel(k.NACL_HAS_RULE, aid, rule_id)


def _security_groups(raw: dict, ctx: Ctx, out: Out) -> None:
    for sg in raw["security_groups"]:
        gid = sg["GroupId"]
        sid = ctx.ec2_arn("security-group", gid)
        out.asset(k.SECURITY_GROUP, sid, sg.get("GroupName") or gid, tag_dict(sg.get("Tags")), group_id=gid,
                  description=sg.get("Description"), vpc_id=sg.get("VpcId"))
        for direction, key in (("in", "IpPermissions"), ("out", "IpPermissionsEgress")):
            for n, perm in enumerate(sg.get(key, [])):
                protocol = PROTOCOLS.get(str(perm.get("IpProtocol")), str(perm.get("IpProtocol")))
                cidrs = [r["CidrIp"] for r in perm.get("IpRanges", [])]
                cidrs += [r["CidrIpv6"] for r in perm.get("Ipv6Ranges", [])]
                prefix_lists = [p["PrefixListId"] for p in perm.get("PrefixListIds", [])]
                rule_id = f"aws:sg-rule:{gid}:{direction}:{n}"
                descriptions = [r.get("Description") for key2 in ("IpRanges", "Ipv6Ranges", "UserIdGroupPairs")
                                for r in perm.get(key2, []) if r.get("Description")]
                out.asset(k.SG_RULE, rule_id, f"{sg.get('GroupName') or gid} {direction} #{n}",
                          direction="inbound" if direction == "in" else "outbound", action="allow",
                          protocol=protocol, ports=ports(protocol, perm.get("FromPort"), perm.get("ToPort")),
                          prefix_lists=prefix_lists, description="; ".join(descriptions) or None,
                          **{"sources" if direction == "in" else "destinations": cidrs + prefix_lists})
                out.rel(k.SG_HAS_RULE, sid, rule_id)
                for pair in perm.get("UserIdGroupPairs", []):
                    owner = pair.get("UserId") or ctx.account_id
                    out.rel(k.ALLOWS_FROM, rule_id,
                            f"arn:{ctx.partition}:ec2:{ctx.region}:{owner}:security-group/{pair['GroupId']}",
                            user_id=owner)


def _interfaces(raw: dict, ctx: Ctx, out: Out) -> None:
    arn = ctx.ec2_arn
    for eni in raw["interfaces"]:
        eid = arn("network-interface", eni["NetworkInterfaceId"])
        public_ip = (eni.get("Association") or {}).get("PublicIp")
        out.asset(k.NETWORK_INTERFACE, eid, eni["NetworkInterfaceId"], tag_dict(eni.get("TagSet")),
                  private_ips=[p["PrivateIpAddress"] for p in eni.get("PrivateIpAddresses", [])]
                  or [eni.get("PrivateIpAddress")],
                  public_ip=public_ip, interface_type=eni.get("InterfaceType"), status=eni.get("Status"),
                  description=eni.get("Description"), subnet_id=eni.get("SubnetId"), vpc_id=eni.get("VpcId"))
        out.rel(k.IN_SUBNET, eid, arn("subnet", eni["SubnetId"]) if eni.get("SubnetId") else None)
        attachment = eni.get("Attachment") or {}
        if attachment.get("InstanceId"):
            out.rel(k.ENI_ATTACHED_TO, eid, arn("instance", attachment["InstanceId"]),
                    device_index=attachment.get("DeviceIndex"))
        for group in eni.get("Groups", []):
            out.rel(k.SG_APPLIES_TO, arn("security-group", group["GroupId"]), eid)
        per_address = set()
        for p in eni.get("PrivateIpAddresses", []):
            assoc = p.get("Association") or {}
            if assoc.get("PublicIp"):
                per_address.add(assoc["PublicIp"])
                out.rel(k.IP_ATTACHED_TO, _public_ip(out, assoc["PublicIp"], assoc.get("AllocationId")), eid)
        # The interface-level association is the primary address's; some responses carry it only there.
        if public_ip and public_ip not in per_address:
            out.rel(k.IP_ATTACHED_TO, _public_ip(out, public_ip, eni["Association"].get("AllocationId")), eid)
    for addr in raw["addresses"]:
        pid = _public_ip(out, addr["PublicIp"], addr.get("AllocationId"))
        out.update(k.PUBLIC_IP, pid, tags=[f"{t['Key']}={t['Value']}" for t in addr.get("Tags", [])])
        if addr.get("NetworkInterfaceId"):
            out.rel(k.IP_ATTACHED_TO, pid, arn("network-interface", addr["NetworkInterfaceId"]))


def _instances(raw: dict, ctx: Ctx, out: Out) -> None:
    arn = ctx.ec2_arn
    for inst in raw["instances"]:
        if inst.get("State", {}).get("Name") == "terminated":
            continue
        iid = arn("instance", inst["InstanceId"])
        meta = inst.get("MetadataOptions") or {}
        imds_v1 = meta.get("HttpEndpoint", "enabled") != "disabled" and meta.get("HttpTokens") != "required"
        out.asset(k.INSTANCE, iid, _name(inst, inst["InstanceId"]), tag_dict(inst.get("Tags")),
                  instance_id=inst["InstanceId"], state=inst.get("State", {}).get("Name"),
                  instance_type=inst.get("InstanceType"), image_id=inst.get("ImageId"),
                  os=inst.get("PlatformDetails") or inst.get("Platform") or "Linux/UNIX",
                  public_ip=inst.get("PublicIpAddress"), private_ip=inst.get("PrivateIpAddress"),
                  imds_v1_enabled=imds_v1, launch_time=inst.get("LaunchTime"), subnet_id=inst.get("SubnetId"),
                  vpc_id=inst.get("VpcId"))
        for eni in inst.get("NetworkInterfaces", []):
            eid = arn("network-interface", eni["NetworkInterfaceId"])
            if out.has(k.NETWORK_INTERFACE, eid):
                out.rel(k.ENI_ATTACHED_TO, eid, iid, device_index=(eni.get("Attachment") or {}).get("DeviceIndex"))
        profile = (inst.get("IamInstanceProfile") or {}).get("Arn")
        if profile:
            out.rel(k.PROFILE_ATTACHED_TO, profile, iid)
            for role in raw["profile_roles"].get(profile, []):
                out.rel(k.USES_IDENTITY, iid, role, via="instance-profile")
