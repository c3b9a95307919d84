"""A synthetic AWS estate with a realistic shape, deterministic by seed.

The estate is built from *units* of 125 assets (one VPC with public and private subnets, an
internet gateway and route tables, security groups with a rule mix, instances with ENIs and some
public IPs, roles with wildcard-heavy policies and instance profiles, buckets with sensitive-data
tags, databases, vulnerabilities with a realistic CVSS/KEV mix); 20 units make an account. Rows are
streamed per kind in the shape the AWS loader hands to the ingestion core, so a benchmark writes
them with the same code path and the same kinds. ``--write-graph FILE`` emits the same estate as a
`cloudmap load graph` file instead.
"""

from __future__ import annotations

import argparse
import json
import random
from collections.abc import Iterator
from dataclasses import dataclass

from cloudmap.graph.kinds import aws, common
from loaders.kit.tags import classify_tags

ASSETS_PER_UNIT = 125  # assets (nodes labelled Asset) one unit yields
UNITS_PER_ACCOUNT = 20
REGION = "eu-west-1"
CVE_POOL = 2000
PCI_INFO = classify_tags({"data-classification": "pci"})[1]   # the node a pci tag stores, as loaders make it
PCI_TAGGED = PCI_INFO[0]["id"]


@dataclass
class Stream:
    kind: object          # NodeKind or RelKind
    rows: Iterator[dict]


def _vuln_rows(seed: int) -> Iterator[dict]:
    rnd = random.Random(seed)
    for i in range(CVE_POOL):
        score = round(min(10.0, max(1.0, rnd.gauss(6.5, 1.8))), 1)
        sev = "critical" if score >= 9 else "high" if score >= 7 else "medium" if score >= 4 else "low"
        yield {"id": f"CVE-2024-{10000 + i}", "name": f"CVE-2024-{10000 + i}", "severity": sev, "cvss_score": score,
               "cvss_vector": "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H" if score >= 9 else None,
               "epss": round(rnd.random() ** 4, 4), "kev": rnd.random() < 0.03, "rce": score >= 9 and rnd.random() < 0.5}


class Estate:
    """``units`` units; ``accounts`` spreads them over that many accounts (default: 20 units per account)."""

    def __init__(self, units: int, seed: int = 7, accounts: int | None = None):
        self.units, self.seed = units, seed
        self.per_account = UNITS_PER_ACCOUNT if accounts is None else max(1, -(-units // accounts))

    @property
    def accounts(self) -> int:
        return -(-self.units // self.per_account)

    def acct(self, u: int) -> str:
        return f"{100000000000 + u // self.per_account:012d}"

    def _rnd(self, u: int) -> random.Random:
        return random.Random(self.seed * 1_000_003 + u)

    def streams(self) -> list[Stream]:
        """Nodes first (in dependency order), then relationships, each a lazy generator."""
        kinds = [aws.ACCOUNT, aws.VPC, aws.SUBNET, aws.INTERNET_GATEWAY, aws.ROUTE_TABLE, aws.SECURITY_GROUP,
                 aws.SG_RULE, aws.INSTANCE, aws.NETWORK_INTERFACE, aws.PUBLIC_IP, aws.ROLE, aws.POLICY,
                 aws.INSTANCE_PROFILE, aws.BUCKET, aws.RDS_INSTANCE]
        out = [Stream(common.VULNERABILITY, _vuln_rows(self.seed)),
               Stream(common.SENSITIVE_INFO_TYPE, iter(PCI_INFO))]
        out += [Stream(k, self._nodes(k)) for k in kinds]
        rels = [aws.CONTAINS, aws.VPC_CONTAINS_SUBNET, aws.ASSOCIATED_WITH, aws.ROUTES_TO_GATEWAY, aws.SG_HAS_RULE,
                aws.ALLOWS_FROM, aws.SG_APPLIES_TO, aws.IN_SUBNET, aws.ENI_ATTACHED_TO, aws.IP_ATTACHED_TO,
                aws.HAS_ROLE, aws.PROFILE_ATTACHED_TO, aws.USES_IDENTITY, aws.HAS_POLICY, common.HAS_VULNERABILITY,
                common.STORES]
        out += [Stream(r, self._rels(r)) for r in rels]
        return out

    # -- nodes ---------------------------------------------------------------------------------------
    def _nodes(self, kind) -> Iterator[dict]:
        for u in range(self.units):
            yield from self._unit_nodes(kind, u)

    def _unit_nodes(self, kind, u: int) -> Iterator[dict]:
        a, r = self.acct(u), REGION
        base = {"provider": "aws", "account_id": a, "region": r}
        if kind is aws.ACCOUNT:
            if u % self.per_account == 0:
                yield {"id": f"arn:aws:iam::{a}:root", "name": f"acct-{a}", "provider": "aws", "account_id": a}
            return
        vpc = f"arn:aws:ec2:{r}:{a}:vpc/vpc-{u:08x}"
        if kind is aws.VPC:
            yield {**base, "id": vpc, "name": f"vpc-{u}", "cidr_blocks": [f"10.{u % 256}.0.0/16"]}
        elif kind is aws.SUBNET:
            for s in range(4):
                yield {**base, "id": self.subnet(u, s), "name": f"subnet-{u}-{s}", "cidr_block": f"10.{u % 256}.{s}.0/24", "vpc_id": vpc}
        elif kind is aws.INTERNET_GATEWAY:
            yield {**base, "id": self.igw(u), "name": f"igw-{u}", "gateway_type": "internet"}
        elif kind is aws.ROUTE_TABLE:
            for t in range(2):
                yield {**base, "id": self.rtb(u, t), "name": f"rtb-{u}-{t}", "main": t == 1}
        elif kind is aws.SECURITY_GROUP:
            for g in range(8):
                yield {**base, "id": self.sg(u, g), "name": f"sg-{u}-{g}"}
        elif kind is aws.SG_RULE:
            for g in range(8):
                for n, rule in enumerate(self._sg_rules(u, g)):
                    yield {**base, "id": f"aws:sg-rule:{self.sg(u, g)}:in:{n}", "name": f"sg-{u}-{g} in {n}", **rule}
        elif kind is aws.INSTANCE:
            rnd = self._rnd(u)
            for i in range(30):
                yield {**base, "id": self.vm(u, i), "name": f"vm-{u}-{i}", "state": "running",
                       "imds_v1_enabled": rnd.random() < 0.3, "tags": [f"env={'prod' if i % 3 else 'dev'}"]}
        elif kind is aws.NETWORK_INTERFACE:
            for i in range(30):
                yield {**base, "id": self.eni(u, i), "name": f"eni-{u}-{i}", "private_ips": [f"10.{u % 256}.{i % 4}.{10 + i}"]}
        elif kind is aws.PUBLIC_IP:
            for i in range(0, 30, 5):
                yield {**base, "id": f"aws:public-ip:3.{u // 256 % 256}.{u % 256}.{i}", "name": f"pip-{u}-{i}",
                       "ip": f"3.{u // 256 % 256}.{u % 256}.{i}"}
        elif kind is aws.ROLE:
            for k in range(6):
                yield {**base, "id": self.role(u, k), "name": f"role-{u}-{k}", "region": None,
                       "trust_policy": json.dumps({"Statement": [{"Effect": "Allow", "Action": "sts:AssumeRole",
                                                                  "Principal": {"Service": "ec2.amazonaws.com"}}]})}
        elif kind is aws.POLICY:
            for k in range(6):
                yield {**base, "id": self.policy(u, k), "name": f"policy-{u}-{k}", "region": None,
                       "policy_type": "managed", "document": json.dumps(self._policy_doc(u, k))}
        elif kind is aws.INSTANCE_PROFILE:
            for k in range(6):
                yield {**base, "id": self.profile(u, k), "name": f"profile-{u}-{k}", "region": None}
        elif kind is aws.BUCKET:
            for b in range(6):
                tags = ["data-classification=pci"] if self._pci(u, b) else []
                yield {**base, "id": self.bucket(u, b), "name": f"bucket-{u}-{b}", "tags": tags,
                       "block_public_acls": True, "ignore_public_acls": True, "block_public_policy": True,
                       "restrict_public_buckets": True}
        elif kind is aws.RDS_INSTANCE:
            for d in range(2):
                yield {**base, "id": self.db(u, d), "name": f"db-{u}-{d}", "engine": "postgres", "port": 5432,
                       "publicly_accessible": False, "password_auth": True}

    def _pci(self, u: int, b: int) -> bool:
        """About 15% of the buckets hold card data (the same ones on every run)."""
        return random.Random(self.seed * 7_919 + u * 6 + b).random() < 0.15

    def _sg_rules(self, u: int, g: int) -> list[dict]:
        rnd = self._rnd(u * 31 + g)
        rules = [{"direction": "inbound", "action": "allow", "protocol": "tcp", "ports": ["443"],
                  "sources": ["10.0.0.0/8"]}]
        choice = rnd.random()
        if choice < 0.15:
            rules.append({"direction": "inbound", "action": "allow", "protocol": "tcp", "ports": ["22"],
                          "sources": ["0.0.0.0/0"]})
        elif choice < 0.25:
            rules.append({"direction": "inbound", "action": "allow", "protocol": "*", "ports": ["*"],
                          "sources": ["0.0.0.0/0", "::/0"]})
        else:
            rules.append({"direction": "inbound", "action": "allow", "protocol": "tcp", "ports": ["5432"],
                          "sources": []})  # group reference, see ALLOWS_FROM
        return rules

    def _policy_doc(self, u: int, k: int) -> dict:
        rnd = self._rnd(u * 7 + k)
        x = rnd.random()
        if x < 0.02:
            stmt = [{"Effect": "Allow", "Action": "*", "Resource": "*"}]
        elif x < 0.4:
            stmt = [{"Effect": "Allow", "Action": ["s3:GetObject", "s3:ListBucket"], "Resource": "*"}]
        elif x < 0.6:
            stmt = [{"Effect": "Allow", "Action": "s3:*", "Resource": [f"arn:aws:s3:::bucket-{u}-{k}",
                                                                      f"arn:aws:s3:::bucket-{u}-{k}/*"]}]
        elif x < 0.7:
            stmt = [{"Effect": "Allow", "Action": ["iam:PassRole", "ec2:RunInstances"], "Resource": "*"}]
        else:
            stmt = [{"Effect": "Allow", "Action": ["ec2:Describe*", "cloudwatch:*"], "Resource": "*"}]
        return {"Version": "2012-10-17", "Statement": stmt}

    # -- relationships ---------------------------------------------------------------------------------
    def _rels(self, kind) -> Iterator[dict]:
        for u in range(self.units):
            yield from self._unit_rels(kind, u)

    def _unit_rels(self, kind, u: int) -> Iterator[dict]:
        a = self.acct(u)
        acct = f"arn:aws:iam::{a}:root"
        vpc = f"arn:aws:ec2:{REGION}:{a}:vpc/vpc-{u:08x}"
        rnd = self._rnd(u + 99)
        if kind is aws.CONTAINS:
            ids = [vpc] + [self.vm(u, i) for i in range(30)] + [self.bucket(u, b) for b in range(6)] + \
                  [self.db(u, d) for d in range(2)] + [self.role(u, k) for k in range(6)]
            for t in ids:
                yield {"source": acct, "target": t}
        elif kind is aws.VPC_CONTAINS_SUBNET:
            for s in range(4):
                yield {"source": vpc, "target": self.subnet(u, s)}
        elif kind is aws.ASSOCIATED_WITH:
            for s in range(2):
                yield {"source": self.rtb(u, 0), "target": self.subnet(u, s), "main": False}
            yield {"source": self.rtb(u, 1), "target": vpc, "main": True}
        elif kind is aws.ROUTES_TO_GATEWAY:
            yield {"source": self.rtb(u, 0), "target": self.igw(u), "destination": "0.0.0.0/0"}
        elif kind is aws.SG_HAS_RULE:
            for g in range(8):
                for n in range(len(self._sg_rules(u, g))):
                    yield {"source": self.sg(u, g), "target": f"aws:sg-rule:{self.sg(u, g)}:in:{n}"}
        elif kind is aws.ALLOWS_FROM:
            for g in range(8):
                rules = self._sg_rules(u, g)
                if rules[-1]["ports"] == ["5432"]:
                    yield {"source": f"aws:sg-rule:{self.sg(u, g)}:in:1", "target": self.sg(u, (g + 1) % 8)}
        elif kind is aws.SG_APPLIES_TO:
            for i in range(30):
                yield {"source": self.sg(u, i % 8), "target": self.eni(u, i)}
            for d in range(2):
                yield {"source": self.sg(u, 7), "target": self.db(u, d)}
        elif kind is aws.IN_SUBNET:
            for i in range(30):
                yield {"source": self.eni(u, i), "target": self.subnet(u, i % 4)}
        elif kind is aws.ENI_ATTACHED_TO:
            for i in range(30):
                yield {"source": self.eni(u, i), "target": self.vm(u, i), "device_index": 0}
        elif kind is aws.IP_ATTACHED_TO:
            for i in range(0, 30, 5):
                yield {"source": f"aws:public-ip:3.{u // 256 % 256}.{u % 256}.{i}", "target": self.eni(u, i)}
        elif kind is aws.HAS_ROLE:
            for k in range(6):
                yield {"source": self.profile(u, k), "target": self.role(u, k)}
        elif kind is aws.PROFILE_ATTACHED_TO:
            for i in range(0, 30, 2):
                yield {"source": self.profile(u, i % 6), "target": self.vm(u, i)}
        elif kind is aws.USES_IDENTITY:
            for i in range(0, 30, 2):
                yield {"source": self.vm(u, i), "target": self.role(u, i % 6), "via": "instance-profile"}
        elif kind is aws.HAS_POLICY:
            for k in range(6):
                yield {"source": self.role(u, k), "target": self.policy(u, k)}
        elif kind is common.HAS_VULNERABILITY:
            for i in range(30):
                for _ in range(rnd.choice((0, 0, 1, 2, 3, 5))):
                    yield {"source": self.vm(u, i), "target": f"CVE-2024-{10000 + rnd.randrange(CVE_POOL)}",
                           "package": "openssl", "installed_version": "1.1.1"}
        elif kind is common.STORES:   # what the loaders' tag conventions make of a pci tag
            for b in range(6):
                if self._pci(u, b):
                    yield {"source": self.bucket(u, b), "target": PCI_TAGGED}

    # -- ids -------------------------------------------------------------------------------------------
    def subnet(self, u, s): return f"arn:aws:ec2:{REGION}:{self.acct(u)}:subnet/subnet-{u:08x}{s}"
    def igw(self, u): return f"arn:aws:ec2:{REGION}:{self.acct(u)}:internet-gateway/igw-{u:08x}"
    def rtb(self, u, t): return f"arn:aws:ec2:{REGION}:{self.acct(u)}:route-table/rtb-{u:08x}{t}"
    def sg(self, u, g): return f"arn:aws:ec2:{REGION}:{self.acct(u)}:security-group/sg-{u:08x}{g}"
    def vm(self, u, i): return f"arn:aws:ec2:{REGION}:{self.acct(u)}:instance/i-{u:08x}{i:03d}"
    def eni(self, u, i): return f"arn:aws:ec2:{REGION}:{self.acct(u)}:network-interface/eni-{u:08x}{i:03d}"
    def role(self, u, k): return f"arn:aws:iam::{self.acct(u)}:role/role-{u}-{k}"
    def policy(self, u, k): return f"arn:aws:iam::{self.acct(u)}:policy/policy-{u}-{k}"
    def profile(self, u, k): return f"arn:aws:iam::{self.acct(u)}:instance-profile/profile-{u}-{k}"
    def bucket(self, u, b): return f"arn:aws:s3:::bucket-{u}-{b}"
    def db(self, u, d): return f"arn:aws:rds:{REGION}:{self.acct(u)}:db:db-{u}-{d}"


def units_for(assets: int) -> int:
    return max(1, round(assets / ASSETS_PER_UNIT))


def write_graph_file(estate: Estate, path: str) -> None:
    """The same estate as a `cloudmap load graph` file (for small sizes; it is held in memory)."""
    nodes, edges = [], []
    for s in estate.streams():
        if hasattr(s.kind, "labels"):
            nodes += [{"kind": s.kind.name, "id": r.pop("id"), "properties": {k: v for k, v in r.items() if v is not None}}
                      for r in s.rows]
        else:
            edges += [{"type": s.kind.type, "source": r.pop("source"), "target": r.pop("target"), "properties": r}
                      for r in s.rows]
    with open(path, "w") as fh:
        json.dump({"version": 1, "nodes": nodes, "edges": edges}, fh)


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--assets", type=int, default=1000)
    ap.add_argument("--seed", type=int, default=7)
    ap.add_argument("--write-graph", metavar="FILE", required=True)
    args = ap.parse_args()
    write_graph_file(Estate(units_for(args.assets), args.seed), args.write_graph)


if __name__ == "__main__":
    main()
