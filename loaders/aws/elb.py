"""Load balancers (a scope per region for ELB classic and for ELBv2): scheme, listeners, and what they
forward to: ROUTES_TO {ports} instances, the ENIs of IP targets, Lambda functions."""

from __future__ import annotations

from collections import defaultdict

from cloudmap.loaders.aws.context import Ctx, Out, pages, tag_dict

from cloudmap.graph.kinds import aws as k


def _tags_by_resource(client, key: str, names: list[str]) -> dict:
    tags = {}
    for i in range(0, len(names), 20):  # the API takes at most 20 at a time
        for desc in client.describe_tags(**{key: names[i:i + 20]}).get("TagDescriptions", []):
            tags[desc.get("LoadBalancerName") or desc.get("ResourceArn")] = tag_dict(desc.get("Tags"))
    return tags


# -- classic ---------------------------------------------------------------------------------------

def fetch_classic(ctx: Ctx) -> dict:
    elb = ctx.client("elb")
    lbs = pages(elb, "describe_load_balancers", "LoadBalancerDescriptions")
    return {"load_balancers": lbs, "tags": _tags_by_resource(elb, "LoadBalancerNames",
                                                             [lb["LoadBalancerName"] for lb in lbs])}


def transform_classic(raw: dict, ctx: Ctx) -> Out:
    out = Out(ctx)
    for lb in raw["load_balancers"]:
        arn = ctx.arn("elasticloadbalancing", f"loadbalancer/{lb['LoadBalancerName']}")
        listeners = [d["Listener"] for d in lb.get("ListenerDescriptions", [])]
        out.asset(k.LOAD_BALANCER, arn, lb["LoadBalancerName"], raw["tags"].get(lb["LoadBalancerName"]),
                  lb_type="classic", scheme=lb.get("Scheme"), dns_name=lb.get("DNSName"), vpc_id=lb.get("VPCId"),
                  listener_ports=sorted({str(li["LoadBalancerPort"]) for li in listeners}, key=int),
                  listener_protocols=sorted({li["Protocol"].lower() for li in listeners}))
        ports = sorted({str(li["InstancePort"]) for li in listeners}, key=int)
        for inst in lb.get("Instances", []):
            out.rel(k.ROUTES_TO_TARGET, arn, ctx.ec2_arn("instance", inst["InstanceId"]), ports=ports)
        out.placed(arn, security_groups=lb.get("SecurityGroups", []))
    return out


# -- ELBv2 (application, network, gateway) ---------------------------------------------------------

def fetch_v2(ctx: Ctx) -> dict:
    elb = ctx.client("elbv2")
    lbs = pages(elb, "describe_load_balancers", "LoadBalancers")
    for lb in lbs:
        arn = lb["LoadBalancerArn"]
        lb["_listeners"] = pages(elb, "describe_listeners", "Listeners", LoadBalancerArn=arn)
        lb["_target_groups"] = pages(elb, "describe_target_groups", "TargetGroups", LoadBalancerArn=arn)
        for tg in lb["_target_groups"]:
            tg["_targets"] = [d["Target"] for d in elb.describe_target_health(
                TargetGroupArn=tg["TargetGroupArn"]).get("TargetHealthDescriptions", [])]
    raw = {"load_balancers": lbs,
           "tags": _tags_by_resource(elb, "ResourceArns", [lb["LoadBalancerArn"] for lb in lbs]),
           "eni_by_ip": {}}
    if any(tg.get("TargetType") == "ip" for lb in lbs for tg in lb["_target_groups"]):
        for eni in pages(ctx.client("ec2"), "describe_network_interfaces", "NetworkInterfaces"):
            for addr in eni.get("PrivateIpAddresses", []):
                raw["eni_by_ip"][addr["PrivateIpAddress"]] = eni["NetworkInterfaceId"]
    return raw


def transform_v2(raw: dict, ctx: Ctx) -> Out:
    out = Out(ctx)
    for lb in raw["load_balancers"]:
        arn = lb["LoadBalancerArn"]
        listeners = lb.get("_listeners", [])
        out.asset(k.LOAD_BALANCER, arn, lb["LoadBalancerName"], raw["tags"].get(arn), lb_type=lb.get("Type"),
                  scheme=lb.get("Scheme"), dns_name=lb.get("DNSName"), vpc_id=lb.get("VpcId"),
                  listener_ports=sorted({str(li["Port"]) for li in listeners if li.get("Port")}, key=int),
                  listener_protocols=sorted({li["Protocol"].lower() for li in listeners if li.get("Protocol")}))
        routes: dict[str, dict[str, set]] = defaultdict(lambda: {"ports": set(), "groups": set()})
        for tg in lb.get("_target_groups", []):
            for target in tg.get("_targets", []):
                target_id = _target_id(raw, ctx, tg.get("TargetType"), target["Id"])
                if not target_id:
                    continue
                port = target.get("Port") or tg.get("Port")
                if port:
                    routes[target_id]["ports"].add(str(port))
                routes[target_id]["groups"].add(tg.get("TargetGroupName") or tg["TargetGroupArn"])
        for target_id, route in routes.items():
            out.rel(k.ROUTES_TO_TARGET, arn, target_id, ports=sorted(route["ports"], key=int),
                    target_groups=sorted(route["groups"]))
        out.placed(arn, [az.get("SubnetId") for az in lb.get("AvailabilityZones", [])], lb.get("SecurityGroups", []))
    return out


def _target_id(raw: dict, ctx: Ctx, target_type: str | None, ident: str) -> str | None:
    if target_type == "ip":
        eni = raw["eni_by_ip"].get(ident)
        return ctx.ec2_arn("network-interface", eni) if eni else None
    if target_type in ("lambda", "alb"):
        return ident  # already an ARN
    return ctx.ec2_arn("instance", ident)
