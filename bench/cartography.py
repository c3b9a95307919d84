"""cloudmap's AWS load against Cartography's AWS sync: the same moto-backed account, the same Neo4j.

    python -m bench.cartography --instances 50 500
    python -m bench.cartography --instances 500 2000 --latency-ms 0 50 --max-workers 1 8

For each size: a moto server (bench/moto_process.py: its own process, on a free loopback port, so that
its interpreter lock is not the harness's) gets one account built with
boto3 (VPCs, subnets, security groups with CIDR and group-to-group rules, N instances, roles with
inline and managed policies, instance profiles, users, buckets; us-east-1, deterministic), then one call
to each service either tool reads, so that moto has built its backends before either tool is timed. On
one Neo4j (bench/server.py), each tool then loads the estate once untimed (``--no-warm-up`` skips it), so
that neither pays for the server planning and compiling its queries on their first use. Then:

1. `cloudmap load aws --region us-east-1` runs as a subprocess; wall time, then node and relationship
   counts;
2. the database is wiped (data, constraints and indexes) and Cartography's AWS sync of the same estate
   runs as a subprocess from its own virtualenv (bench/out/cartography-venv, created on first use with
   `pip install cartography`; Cartography is not a project dependency), restricted to the services
   that the estate holds and moto serves; wall time and counts again.

With ``--latency-ms`` both tools reach moto through a loopback proxy (tests/reliability/faultproxy.py)
that holds every request that many milliseconds before passing it on, as the distance to a real AWS
endpoint would; 0 runs without the proxy. ``--max-workers`` runs cloudmap's load once per value (its
``--max-workers``: 1 fetches serially), which gives the serial vs parallel fetch figures.

Prints one JSON line per tool run, {tool, instances, latency_ms, max_workers, seconds, nodes,
relationships, requests, ok}, and one per latency with the ratios (Cartography / cloudmap, the
fastest cloudmap run). A tool that fails gets ok=false, its exit code and the tail of its
output, so the run says what failed instead of stopping.
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import signal
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import boto3

from bench.moto_process import STUBS, moto_process, unimplemented
from bench.server import bench_server
from cloudmap.graph.driver import connect
from tests.reliability.faultproxy import FaultProxy

REGION = "us-east-1"
ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "bench" / "out"
CARTOGRAPHY_VENV = OUT / "cartography-venv"
CLOUDMAP = Path(sys.executable).parent / "cloudmap"
# The services this estate holds; Cartography's other AWS modules would call APIs moto lacks.
CARTOGRAPHY_SYNCS = "ec2:instance,ec2:security_group,ec2:subnet,ec2:vpc,iam,s3"
AMI = "ami-03cf127a"  # one of moto's default images
TIMEOUT_S = 1800

TRUST_EC2 = json.dumps({"Version": "2012-10-17", "Statement": [
    {"Effect": "Allow", "Principal": {"Service": "ec2.amazonaws.com"}, "Action": "sts:AssumeRole"}]})


def _policy(actions: list[str], resource: str) -> str:
    return json.dumps({"Version": "2012-10-17",
                       "Statement": [{"Effect": "Allow", "Action": actions, "Resource": resource}]})


def _tags(kind: str, name: str) -> list[dict]:
    return [{"ResourceType": kind, "Tags": [{"Key": "Name", "Value": name}]}]


def build_account(instances: int) -> dict[str, int]:
    """One account sized by its instance count: a VPC per 100 instances (two subnets, four groups each),
    a role per 10 instances, a bucket per 20 instances. Returns what was made."""
    ec2 = boto3.client("ec2", region_name=REGION)
    iam = boto3.client("iam")
    s3 = boto3.client("s3", region_name=REGION)
    made = {"vpcs": 0, "subnets": 0, "security_groups": 0, "instances": 0, "roles": 0, "policies": 0,
            "users": 0, "buckets": 0}

    managed = []
    for i in range(3):
        managed.append(iam.create_policy(PolicyName=f"bench-managed-{i}", PolicyDocument=_policy(
            ["s3:GetObject", "s3:ListBucket"] if i else ["ec2:Describe*"], "*"))["Policy"]["Arn"])
        made["policies"] += 1
    profiles = []
    for i in range(max(3, instances // 10)):
        name = f"bench-role-{i:04d}"
        iam.create_role(RoleName=name, AssumeRolePolicyDocument=TRUST_EC2)
        iam.put_role_policy(RoleName=name, PolicyName="logs", PolicyDocument=_policy(
            ["logs:PutLogEvents"], f"arn:aws:logs:{REGION}:*:log-group:/bench/{i}:*"))
        iam.attach_role_policy(RoleName=name, PolicyArn=managed[i % len(managed)])
        if i % 2 == 0:
            iam.create_instance_profile(InstanceProfileName=name)
            iam.add_role_to_instance_profile(InstanceProfileName=name, RoleName=name)
            profiles.append(name)
        made["roles"] += 1
    for i in range(max(2, instances // 50)):
        iam.create_user(UserName=f"bench-user-{i:03d}")
        iam.attach_user_policy(UserName=f"bench-user-{i:03d}", PolicyArn=managed[0])
        made["users"] += 1

    remaining = instances
    for v in range(max(1, -(-instances // 100))):
        vpc = ec2.create_vpc(CidrBlock=f"10.{v}.0.0/16", TagSpecifications=_tags("vpc", f"bench-vpc-{v}"))["Vpc"]["VpcId"]
        subnets = [ec2.create_subnet(VpcId=vpc, CidrBlock=f"10.{v}.{s}.0/24", AvailabilityZone=f"{REGION}{'ab'[s]}",
                                     TagSpecifications=_tags("subnet", f"bench-{v}-{s}"))["Subnet"]["SubnetId"]
                   for s in range(2)]
        groups = []
        for g in range(4):
            gid = ec2.create_security_group(GroupName=f"bench-{v}-sg-{g}", Description="bench", VpcId=vpc)["GroupId"]
            rules = [{"IpProtocol": "tcp", "FromPort": 8000 + g, "ToPort": 8000 + g,
                      "IpRanges": [{"CidrIp": "0.0.0.0/0" if g == 0 else "10.0.0.0/8"}]}]
            if groups:  # the previous group may call this one
                rules.append({"IpProtocol": "tcp", "FromPort": 5432, "ToPort": 5432,
                              "UserIdGroupPairs": [{"GroupId": groups[-1]}]})
            ec2.authorize_security_group_ingress(GroupId=gid, IpPermissions=rules)
            groups.append(gid)
        made["vpcs"] += 1
        made["subnets"] += 2
        made["security_groups"] += 4
        in_vpc = min(100, remaining)
        remaining -= in_vpc
        for b, start in enumerate(range(0, in_vpc, 25)):  # launches of 25: a profile and group per launch
            count = min(25, in_vpc - start)
            kw = {"IamInstanceProfile": {"Name": profiles[b % len(profiles)]}} if b % 2 == 0 else {}
            ids = [i["InstanceId"] for i in ec2.run_instances(
                ImageId=AMI, InstanceType="t3.micro", MinCount=count, MaxCount=count, SubnetId=subnets[b % 2],
                SecurityGroupIds=[groups[b % 4]], TagSpecifications=_tags("instance", f"bench-{v}-{b}"),
                **kw)["Instances"]]
            for iid in ids[1:] if kw else []:  # moto gives the profile to a launch's first instance only
                ec2.associate_iam_instance_profile(IamInstanceProfile=kw["IamInstanceProfile"], InstanceId=iid)
            made["instances"] += count
    for i in range(max(2, instances // 20)):
        s3.create_bucket(Bucket=f"bench-data-{i:04d}")
        s3.put_bucket_tagging(Bucket=f"bench-data-{i:04d}", Tagging={"TagSet": [{"Key": "env", "Value": "bench"}]})
        made["buckets"] += 1
    return made


# One cheap call per service either tool reads: moto builds a service's backend (every region) on its
# first call, which takes seconds in this process; made before timing, neither tool pays for it.
WARM_CALLS = (("sts", "get_caller_identity"), ("organizations", "describe_organization"), ("ssm", "describe_parameters"),
              ("elasticbeanstalk", "describe_environments"), ("kms", "list_keys"), ("lambda", "list_functions"),
              ("eks", "list_clusters"), ("ecr", "describe_repositories"), ("ecs", "list_clusters"),
              ("elb", "describe_load_balancers"), ("elbv2", "describe_load_balancers"), ("rds", "describe_db_instances"),
              ("dynamodb", "list_tables"), ("secretsmanager", "list_secrets"), ("cloudformation", "list_stacks"),
              ("codebuild", "list_projects"), ("glue", "get_jobs"), ("sagemaker", "list_notebook_instances"),
              ("inspector2", "list_findings"), ("macie2", "get_macie_session"), ("iam", "list_roles"),
              ("ec2", "describe_instances"), ("s3", "list_buckets"))


def warm_moto() -> None:
    for service, call in WARM_CALLS:
        try:
            getattr(boto3.client(service, region_name=REGION), call)()
        except Exception:  # noqa: BLE001 - a service moto refuses is warmed as far as it goes
            pass


def wipe(graph, schema: bool = False) -> None:
    """Empty the database; with schema=True drop constraints and indexes too, so each tool starts clean."""
    graph.run_autocommit("MATCH (n) CALL (n) { DETACH DELETE n } IN TRANSACTIONS OF 10000 ROWS")
    if schema:
        for row in graph.read("SHOW CONSTRAINTS YIELD name RETURN name"):
            graph.run_autocommit(f"DROP CONSTRAINT `{row['name']}`")
        for row in graph.read("SHOW INDEXES YIELD name, type WHERE type <> 'LOOKUP' RETURN name"):
            graph.run_autocommit(f"DROP INDEX `{row['name']}`")


def counts(graph) -> tuple[int, int]:
    """Nodes and relationships, leaving out bookkeeping nodes of either tool (schema version, sync runs)."""
    nodes = graph.read("MATCH (n) WHERE NOT n:SchemaVersion RETURN count(n) AS c")[0]["c"]
    rels = graph.read("MATCH ()-[r]->() RETURN count(r) AS c")[0]["c"]
    return nodes, rels


def ensure_cartography() -> Path:
    exe = CARTOGRAPHY_VENV / "bin" / "cartography"
    if not exe.exists():
        OUT.mkdir(parents=True, exist_ok=True)
        subprocess.run([sys.executable, "-m", "venv", str(CARTOGRAPHY_VENV)], check=True)
        subprocess.run([str(CARTOGRAPHY_VENV / "bin" / "pip"), "install", "-q", "cartography"], check=True)
    return exe


def cartography_version(exe: Path) -> str:
    out = subprocess.run([str(exe.parent / "pip"), "show", "cartography"], capture_output=True, text=True,
                         check=False).stdout
    return next((line.split(":", 1)[1].strip() for line in out.splitlines() if line.startswith("Version:")), "?")


def timed(cmd: list[str], env: dict[str, str], log: Path, timeout: int) -> tuple[float, int]:
    """Run cmd with its output to log; (seconds, exit code)."""
    t0 = time.perf_counter()
    with log.open("w") as fh:
        try:
            rc = subprocess.run(cmd, env=env, stdout=fh, stderr=subprocess.STDOUT, timeout=timeout,
                                check=False).returncode
        except subprocess.TimeoutExpired:
            rc = -1
    return time.perf_counter() - t0, rc


def tail(log: Path, lines: int = 15) -> str:
    return "\n".join(log.read_text(errors="replace").splitlines()[-lines:])


def run_tool(tool: str, cmd: list[str], env: dict[str, str], graph, instances: int, timeout: int,
             variant: str = "") -> dict:
    log = OUT / f"{tool}-{instances}{variant}.log"
    seconds, rc = timed(cmd, env, log, timeout)
    nodes, rels = counts(graph)
    rec = {"tool": tool, "instances": instances, "seconds": round(seconds, 1), "nodes": nodes,
           "relationships": rels, "ok": rc == 0}
    if rc != 0:  # -1: killed at the timeout
        rec.update(exit_code=rc, log=str(log), output_tail=tail(log))
    return rec


def cloudmap_cmd(workers: int) -> list[str]:
    return [str(CLOUDMAP), "load", "aws", "--region", REGION, "--max-workers", str(workers)]


def cartography_cmd(exe: Path, cfg) -> list[str]:
    return [str(exe), "--neo4j-uri", cfg.neo4j_uri, "--neo4j-user", cfg.neo4j_user,
            "--neo4j-password-env-var", "NEO4J_PASSWORD", "--selected-modules", "create-indexes,aws",
            "--aws-requested-syncs", CARTOGRAPHY_SYNCS, "--aws-regions", REGION]


def run(sizes: list[int], timeout: int = TIMEOUT_S, stub: bool = True, latencies: tuple[int, ...] = (0,),
        workers: tuple[int, ...] = (8,), cartography: bool = True, warm_up: bool = True) -> list[dict]:
    OUT.mkdir(parents=True, exist_ok=True)
    exe = ensure_cartography() if cartography else None
    version = cartography_version(exe) if exe else None
    record = OUT / "moto-unimplemented.txt"
    out = []
    with bench_server() as (cfg, _server), moto_process(record, stub) as endpoint:
        graph = connect(cfg)
        password = cfg.neo4j_password.get_secret_value()

        def env_for(url: str) -> dict[str, str]:
            return {**os.environ, "NEO4J_URI": cfg.neo4j_uri, "NEO4J_USER": cfg.neo4j_user,
                    "NEO4J_PASSWORD": password, "AWS_DEFAULT_REGION": REGION, "AWS_ENDPOINT_URL": url}

        def tool_run(tool: str, cmd: list[str], url: str, instances: int, variant: str,
                     proxy: FaultProxy | None = None, **extra) -> dict:
            wipe(graph, schema=True)
            if proxy:
                proxy.requests = 0
            rec = run_tool(tool, cmd, env_for(url), graph, instances, timeout, variant)
            rec.update(extra, requests=proxy.requests if proxy else None)
            missing = unimplemented(record)
            if missing:
                rec["moto_unimplemented"] = missing
            print(json.dumps(rec), flush=True)
            return rec

        for instances in sizes:
            # moto keeps its accounts per process, not per server: start each size from none
            urllib.request.urlopen(urllib.request.Request(f"{endpoint}/moto-api/reset", method="POST"),
                                   timeout=30).close()
            made = build_account(instances)
            warm_moto()
            print(json.dumps({"estate": made}), flush=True)
            if warm_up:  # one untimed run of each tool: neither pays for Neo4j planning and compiling its queries
                tool_run("cloudmap", cloudmap_cmd(max(workers)), endpoint, instances, "-warm-up", warm_up=True)
                if exe:
                    tool_run("cartography", cartography_cmd(exe, cfg), endpoint, instances, "-warm-up", warm_up=True)
            for latency in latencies:
                with FaultProxy(endpoint, latency=latency / 1000) as proxy:
                    url, through = (proxy.url, proxy) if latency else (endpoint, None)
                    mine = [tool_run("cloudmap", cloudmap_cmd(n), url, instances, f"-{latency}ms-w{n}", through,
                                     latency_ms=latency, max_workers=n) for n in workers]
                    out += mine
                    if len(mine) > 1:
                        print(json.dumps({"ratio": "cloudmap serial/parallel", "instances": instances,
                                          "latency_ms": latency, "seconds": {
                                              f"w{r['max_workers']}": r["seconds"] for r in mine},
                                          "speedup": round(mine[0]["seconds"] / mine[-1]["seconds"], 2)}),
                              flush=True)
                    if not exe:
                        continue
                    theirs = tool_run("cartography", cartography_cmd(exe, cfg), url, instances, f"-{latency}ms",
                                      through, latency_ms=latency, version=version, moto_stubs=STUBS if stub else [])
                    wipe(graph, schema=True)
                    best = min(mine, key=lambda r: r["seconds"])
                    ratio = {"ratio": "cartography/cloudmap", "instances": instances, "latency_ms": latency,
                             "cloudmap_max_workers": best["max_workers"],
                             "seconds": round(theirs["seconds"] / best["seconds"], 2) if best["seconds"] else None,
                             "nodes": round(theirs["nodes"] / best["nodes"], 2) if best["nodes"] else None,
                             "relationships": round(theirs["relationships"] / best["relationships"], 2)
                             if best["relationships"] else None,
                             "both_ok": best["ok"] and theirs["ok"]}
                    print(json.dumps(ratio), flush=True)
                    out += [theirs, ratio]
        graph.close()
    return out


def main() -> None:
    logging.getLogger("neo4j").setLevel(logging.ERROR)
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--instances", type=int, nargs="+", default=[50])
    ap.add_argument("--timeout", type=int, default=TIMEOUT_S, help="seconds each tool may take per size")
    ap.add_argument("--no-stub", action="store_true", help="leave moto without the IAM service-last-accessed "
                    "stub (Cartography then backs off for minutes per principal)")
    ap.add_argument("--latency-ms", type=int, nargs="+", default=[0], help="delay every AWS request this many "
                    "milliseconds through a loopback proxy (one run per value; 0: straight to moto)")
    ap.add_argument("--max-workers", type=int, nargs="+", default=[8], help="cloudmap's --max-workers, one "
                    "cloudmap run per value (1: serial fetch)")
    ap.add_argument("--no-cartography", action="store_true", help="run cloudmap only")
    ap.add_argument("--no-warm-up", action="store_true", help="time each tool's first run on the server (which "
                    "then also pays for Neo4j planning and compiling that tool's queries)")
    args = ap.parse_args()
    # A kill ends the run through the context managers, so the local Neo4j and moto stop too.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    run(args.instances, timeout=args.timeout, stub=not args.no_stub, latencies=tuple(args.latency_ms),
        workers=tuple(args.max_workers), cartography=not args.no_cartography,
        warm_up=not args.no_warm_up)


if __name__ == "__main__":
    main()
