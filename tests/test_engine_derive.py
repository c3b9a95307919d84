"""derive() on small graphs built with Cypher per the graph-model contract: exact edges, negatives,
removal on re-derive, and an unchanged graph staying unchanged."""

from __future__ import annotations

import json

from cloudmap.engine import derive
from tests.helpers import cli_json

ACCT = "111111111111"
ADMIN_DOC = json.dumps({"Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*"}]})

NETWORK = """
CREATE (vpc:Asset:Network {id: 'vpc-1', provider: 'aws'})
CREATE (pub:Asset:Subnet {id: 'subnet-pub', provider: 'aws'}), (priv:Asset:Subnet {id: 'subnet-priv', provider: 'aws'})
CREATE (vpc)-[:CONTAINS]->(pub), (vpc)-[:CONTAINS]->(priv)
CREATE (rt:Asset:RouteTable {id: 'rtb-pub'})-[:ROUTES_TO {destination: '0.0.0.0/0'}]->(:Asset:Gateway {id: 'igw-1', gateway_type: 'internet'})
CREATE (rt)-[:ASSOCIATED_WITH]->(pub)
CREATE (web:Asset:VirtualMachine:AWSInstance {id: 'i-web', provider: 'aws'}),
       (db:Asset:VirtualMachine:AWSInstance {id: 'i-db', provider: 'aws'}),
       (hidden:Asset:VirtualMachine:AWSInstance {id: 'i-hidden', provider: 'aws'})
CREATE (e1:Asset:NetworkInterface {id: 'eni-web', provider: 'aws', private_ips: ['10.0.1.10']})-[:ATTACHED_TO]->(web)
CREATE (e2:Asset:NetworkInterface {id: 'eni-db', provider: 'aws', private_ips: ['10.0.2.20']})-[:ATTACHED_TO]->(db)
CREATE (e3:Asset:NetworkInterface {id: 'eni-hidden', provider: 'aws', private_ips: ['10.0.2.30']})-[:ATTACHED_TO]->(hidden)
CREATE (e1)-[:IN_SUBNET]->(pub), (e2)-[:IN_SUBNET]->(priv), (e3)-[:IN_SUBNET]->(priv)
CREATE (:Asset:PublicIP {id: 'aws:public-ip:203.0.113.5', ip: '203.0.113.5'})-[:ATTACHED_TO]->(e1)
CREATE (:Asset:PublicIP {id: 'aws:public-ip:203.0.113.6', ip: '203.0.113.6'})-[:ATTACHED_TO]->(e3)
CREATE (sgw:Asset:SecurityGroup {id: 'sg-web', provider: 'aws'})-[:APPLIES_TO]->(e1)
CREATE (sgd:Asset:SecurityGroup {id: 'sg-db', provider: 'aws'})-[:APPLIES_TO]->(e2)
CREATE (sgd)-[:APPLIES_TO]->(e3)
CREATE (sgw)-[:HAS_RULE]->(:Asset:FirewallRule {id: 'aws:sg-rule:sg-web:inbound:0', direction: 'inbound', action: 'allow', protocol: 'tcp', ports: ['22'], sources: ['0.0.0.0/0']})
CREATE (sgw)-[:HAS_RULE]->(:Asset:FirewallRule {id: 'aws:sg-rule:sg-web:inbound:1', direction: 'inbound', action: 'allow', protocol: 'tcp', ports: ['80-443'], sources: ['::/0']})
CREATE (sgd)-[:HAS_RULE]->(dbrule:Asset:FirewallRule {id: 'aws:sg-rule:sg-db:inbound:0', direction: 'inbound', action: 'allow', protocol: 'tcp', ports: ['5432'], sources: []})
CREATE (dbrule)-[:ALLOWS_FROM]->(sgw)
CREATE (sgd)-[:HAS_RULE]->(:Asset:FirewallRule {id: 'aws:sg-rule:sg-db:inbound:1', direction: 'inbound', action: 'allow', protocol: '-1', ports: ['*'], sources: ['0.0.0.0/0']})
CREATE (acl:Asset:NetworkAcl {id: 'acl-pub'})-[:APPLIES_TO]->(pub)
CREATE (acl)-[:HAS_RULE]->(:Asset:FirewallRule {id: 'acl-pub:90', direction: 'inbound', action: 'deny', protocol: 'tcp', ports: ['22'], sources: ['0.0.0.0/0'], priority: 90})
CREATE (acl)-[:HAS_RULE]->(:Asset:FirewallRule {id: 'acl-pub:100', direction: 'inbound', action: 'allow', protocol: '-1', ports: ['*'], sources: ['0.0.0.0/0'], priority: 100})
CREATE (fn:Asset:Function {id: 'arn:aws:lambda:eu-west-1:111111111111:function:open', has_url: true, url_auth_type: 'NONE', provider: 'aws'})
CREATE (:Asset:Function {id: 'arn:aws:lambda:eu-west-1:111111111111:function:iam', has_url: true, url_auth_type: 'AWS_IAM', provider: 'aws'})
CREATE (lb:Asset:LoadBalancer {id: 'lb-1', scheme: 'internet-facing', listener_ports: ['443'], provider: 'aws'})-[:ROUTES_TO {ports: ['8080']}]->(db)
"""


def reach(graph):
    return {r["t"]: (r["via"], r["ports"], r["rules"]) for r in graph.read(
        "MATCH (:Internet)-[r:CAN_REACH]->(t) RETURN t.id AS t, r.via AS via, r.ports AS ports, r.rules AS rules")}


def snapshot(graph):
    rows = graph.read("MATCH (a)-[r]->(b) WHERE r.derived = true RETURN a.id AS a, type(r) AS t, b.id AS b, "
                      "properties(r) AS p ORDER BY a, t, b, p.via, p.method")
    for row in rows:
        row["p"].pop("run_id")
    return rows


def test_network_exposure_and_lateral_movement(graph):
    graph.write(NETWORK)
    summary = derive(graph)
    assert summary["status"] == "ok", summary
    got = reach(graph)
    # SSH is open in the group but denied by the NACL; the web ports stay
    assert got["i-web"] == ("direct", ["80-443"], ["acl-pub:100", "aws:sg-rule:sg-web:inbound:1"])
    # a public IP in a private subnet (no route to the internet gateway) is not reachable
    assert "i-hidden" not in got
    assert got["arn:aws:lambda:eu-west-1:111111111111:function:open"][0] == "function-url"
    assert "arn:aws:lambda:eu-west-1:111111111111:function:iam" not in got
    assert got["lb-1"][:2] == ("direct", ["443"]) and got["i-db"][:2] == ("load-balancer", ["8080"])

    lateral = {(r["a"], r["b"]): r["ports"] for r in graph.read(
        "MATCH (a)-[r:CAN_CONNECT_TO]->(b) RETURN a.id AS a, b.id AS b, r.ports AS ports")}
    # web reaches db through the group reference; db and hidden share sg-db, which allows everything
    # from any address; nothing lets the private hosts into web's group
    assert lateral == {("i-web", "i-db"): ["*"], ("i-web", "i-hidden"): ["*"], ("i-db", "i-hidden"): ["*"],
                       ("i-hidden", "i-db"): ["*"]}

    # re-derive on an unchanged graph: same edges, same properties
    before = snapshot(graph)
    again = derive(graph)
    assert snapshot(graph) == before
    assert all(v["created"] == 0 and v["removed"] == 0 for v in again["edges"].values()), again["edges"]

    # close the web ports: the edge goes, the rest stays
    graph.write("MATCH (r:FirewallRule {id: 'aws:sg-rule:sg-web:inbound:1'}) DETACH DELETE r")
    derive(graph)
    assert "i-web" not in reach(graph) and "i-db" in reach(graph)


RDS = """
MATCH (priv:Subnet {id: 'subnet-priv'}), (pub:Subnet {id: 'subnet-pub'}), (sgw:SecurityGroup {id: 'sg-web'})
CREATE (orders:Asset:DataStore:Database:AWSRDSInstance {id: 'rds-orders', provider: 'aws', port: 5432})
CREATE (open:Asset:DataStore:Database:AWSRDSInstance {id: 'rds-open', provider: 'aws', port: 3306})
CREATE (closed:Asset:DataStore:Database:AWSRDSInstance {id: 'rds-closed', provider: 'aws', port: 5432})
CREATE (orders)-[:IN_SUBNET]->(priv), (orders)-[:IN_SUBNET]->(pub), (open)-[:IN_SUBNET]->(priv), (closed)-[:IN_SUBNET]->(priv)
CREATE (sgo:Asset:SecurityGroup {id: 'sg-orders', provider: 'aws'})-[:APPLIES_TO]->(orders)
CREATE (sgo)-[:HAS_RULE]->(r:Asset:FirewallRule {id: 'aws:sg-rule:sg-orders:inbound:0', direction: 'inbound', action: 'allow', protocol: 'tcp', ports: ['5432'], sources: []})
CREATE (r)-[:ALLOWS_FROM]->(sgw)
CREATE (sga:Asset:SecurityGroup {id: 'sg-any', provider: 'aws'})-[:APPLIES_TO]->(open)
CREATE (sga)-[:HAS_RULE]->(:Asset:FirewallRule {id: 'aws:sg-rule:sg-any:inbound:0', direction: 'inbound', action: 'allow', protocol: '-1', ports: ['*'], sources: ['10.0.0.0/8']})
CREATE (:Asset:SecurityGroup {id: 'sg-none', provider: 'aws'})-[:APPLIES_TO]->(closed)
"""


def test_lateral_movement_into_databases_without_an_interface(graph):
    graph.write(NETWORK)
    graph.write(RDS)
    assert derive(graph)["status"] == "ok"
    lateral = {(r["a"], r["b"]): r["ports"] for r in graph.read(
        "MATCH (a)-[r:CAN_CONNECT_TO]->(b) RETURN a.id AS a, b.id AS b, r.ports AS ports")}
    # the orders group admits web's group on 5432; the open group admits the private range on any
    # port, but the database answers on its own port only; no rule admits anyone into the closed one
    assert {k: v for k, v in lateral.items() if k[1].startswith("rds-")} == {
        ("i-web", "rds-orders"): ["5432"], ("i-web", "rds-open"): ["3306"], ("i-db", "rds-open"): ["3306"],
        ("i-hidden", "rds-open"): ["3306"]}
    assert not [k for k in lateral if k[0].startswith("rds-")], "a database starts no connections"


IAM = """
CREATE (acct:Asset:Account:AWSAccount {id: '111111111111', account_id: '111111111111', provider: 'aws'})
CREATE (alice:Asset:Identity:User {id: 'arn:aws:iam::111111111111:user/alice', account_id: '111111111111', provider: 'aws'})
CREATE (bob:Asset:Identity:User {id: 'arn:aws:iam::111111111111:user/bob', account_id: '111111111111', provider: 'aws'})
CREATE (admin:Asset:Identity:Role {id: 'arn:aws:iam::111111111111:role/admin', account_id: '111111111111', provider: 'aws',
        trust_policy: $trust_admin})
CREATE (app:Asset:Identity:Role {id: 'arn:aws:iam::111111111111:role/app', account_id: '111111111111', provider: 'aws',
        trust_policy: $trust_ec2})
CREATE (admin)-[:HAS_POLICY]->(:Asset:Policy {id: 'arn:aws:iam::aws:policy/AdministratorAccess', policy_type: 'aws-managed', document: $admin_doc})
CREATE (alice)-[:HAS_POLICY]->(:Asset:Policy {id: 'alice-inline', policy_type: 'inline', document: $alice_doc})
CREATE (bob)-[:HAS_POLICY]->(:Asset:Policy {id: 'bob-inline', policy_type: 'inline', document: $bob_doc})
CREATE (app)-[:HAS_POLICY]->(:Asset:Policy {id: 'app-read', policy_type: 'managed', document: $app_doc})
CREATE (b:Asset:DataStore:Bucket {id: 'arn:aws:s3:::data', account_id: '111111111111', provider: 'aws'})
CREATE (pub:Asset:DataStore:Bucket {id: 'arn:aws:s3:::www', account_id: '111111111111', provider: 'aws', resource_policy: $public_doc})
CREATE (blocked:Asset:DataStore:Bucket {id: 'arn:aws:s3:::blocked', account_id: '111111111111', provider: 'aws', resource_policy: $public_doc, block_public_policy: true})
CREATE (acl:Asset:DataStore:Bucket {id: 'arn:aws:s3:::acl', account_id: '111111111111', provider: 'aws', acl_grants: $acl})
CREATE (vm:Asset:VirtualMachine:AWSInstance {id: 'arn:aws:ec2:eu-west-1:111111111111:instance/i-1', provider: 'aws'})-[:USES_IDENTITY {via: 'instance-profile'}]->(app)
CREATE (pod:Asset:Pod {id: 'pod-1'})-[:USES_IDENTITY]->(sa:Asset:Identity:ServiceAccount {id: 'sa-1'})-[:USES_IDENTITY {via: 'irsa'}]->(app)
"""


def doc(*statements):
    return json.dumps({"Version": "2012-10-17", "Statement": list(statements)})


def iam_params(**over):
    p = {"admin_doc": ADMIN_DOC,
         "trust_admin": doc({"Effect": "Allow", "Principal": {"AWS": "arn:aws:iam::111111111111:user/alice"}, "Action": "sts:AssumeRole"}),
         "trust_ec2": doc({"Effect": "Allow", "Principal": {"Service": "ec2.amazonaws.com"}, "Action": "sts:AssumeRole"}),
         "alice_doc": doc({"Effect": "Allow", "Action": "s3:GetObject", "Resource": "arn:aws:s3:::data/*"}),
         # bob can pass the app role and launch instances, and create keys for nobody but himself
         "bob_doc": doc({"Effect": "Allow", "Action": ["iam:PassRole", "ec2:RunInstances"], "Resource": "*"},
                        {"Effect": "Allow", "Action": "iam:CreateAccessKey", "Resource": "arn:aws:iam::111111111111:user/bob"},
                        {"Effect": "Allow", "Action": "s3:PutObject", "Resource": "*", "Condition": {"Bool": {"aws:SecureTransport": "true"}}}),
         "app_doc": doc({"Effect": "Allow", "Action": ["s3:GetObject", "s3:ListBucket"], "Resource": "*"},
                        {"Effect": "Deny", "Action": "s3:*", "Resource": "arn:aws:s3:::www*"}),
         "public_doc": doc({"Effect": "Allow", "Principal": "*", "Action": "s3:GetObject", "Resource": "arn:aws:s3:::*/*"}),
         "acl": json.dumps([{"grantee": "http://acs.amazonaws.com/groups/global/AllUsers", "permission": "READ"}])}
    p.update(over)
    return p


def edges(graph, rel):
    return {(r["a"], r["b"]): r["p"] for r in graph.read(
        f"MATCH (a)-[r:{rel}]->(b) RETURN a.id AS a, b.id AS b, properties(r) AS p")}


def escalations(graph):
    return {(r["a"], r["b"], r["m"]) for r in graph.read(
        "MATCH (a)-[r:CAN_ESCALATE_TO]->(b) RETURN a.id AS a, b.id AS b, r.method AS m")}


def test_identity_access_assume_admin_and_escalation(graph):
    graph.write(IAM, **iam_params())
    assert derive(graph)["status"] == "ok"
    alice, bob = "arn:aws:iam::111111111111:user/alice", "arn:aws:iam::111111111111:user/bob"
    admin, app = "arn:aws:iam::111111111111:role/admin", "arn:aws:iam::111111111111:role/app"

    auth = {(a, b): p["via"] for (a, b), p in edges(graph, "CAN_AUTHENTICATE_AS").items()}
    assert auth == {("arn:aws:ec2:eu-west-1:111111111111:instance/i-1", app): "instance-profile",
                    ("pod-1", app): "irsa", ("pod-1", "sa-1"): "uses-identity"}

    access = edges(graph, "CAN_ACCESS")
    assert access[(alice, "arn:aws:s3:::data")]["level"] == "read"
    assert access[(alice, "arn:aws:s3:::data")]["evidence"] == ["alice-inline"]
    assert (alice, "arn:aws:s3:::www") not in access or access[(alice, "arn:aws:s3:::www")]["evidence"] == [
        "arn:aws:s3:::www#resource-policy"]
    assert (app, "arn:aws:s3:::www") not in access          # explicit deny
    assert access[(app, "arn:aws:s3:::data")]["actions"] == ["s3:GetObject", "s3:ListBucket"]
    assert access[(bob, "arn:aws:s3:::data")]["conditional"] is True
    assert access[(admin, "111111111111")]["level"] == "admin" and "AdministratorAccess" in access[(admin, "111111111111")]["reason"]
    assert (alice, "111111111111") not in access
    public = {b for (a, b) in access if a == "internet"}
    assert public == {"arn:aws:s3:::www", "arn:aws:s3:::acl"}   # not the one with the public access block

    assert set(edges(graph, "CAN_ASSUME")) == {(alice, admin)}   # nobody may assume the EC2 role
    esc = escalations(graph)
    assert (bob, app, "iam:PassRole+ec2:RunInstances") in esc   # fires: the role trusts EC2
    assert (bob, admin, "iam:PassRole+ec2:RunInstances") not in esc  # near miss: admin does not trust EC2
    # bob may create keys only for himself: that reaches nobody (a key of one's own is no escalation)
    assert not {(a, b) for a, b, m in esc if m == "iam:CreateAccessKey" and a == bob}
    assert (alice, admin, "sts:AssumeRole") in esc

    # detach alice's policy: her access goes on re-derive, nothing else changes
    graph.write("MATCH (:User {id: $a})-[r:HAS_POLICY]->() DELETE r", a=alice)
    summary = derive(graph)
    assert (alice, "arn:aws:s3:::data") not in edges(graph, "CAN_ACCESS")
    assert summary["edges"]["CAN_ACCESS"]["removed"] == 1


def test_derive_command_prints_the_summary(graph, cli_env):
    graph.write(NETWORK)
    out = cli_json(cli_env, "derive", "--format", "json")
    assert out["status"] == "ok" and out["edges"]["CAN_REACH"]["created"] == len(reach(graph))
    assert {s["name"] for s in out["steps"]} >= {"network-exposure", "lateral-movement", "identity"}


AZURE = """
CREATE (mg:Asset:ManagementGroup {id: '/providers/microsoft.management/managementgroups/root', provider: 'azure'})
CREATE (sub:Asset:Account:AzureSubscription {id: '/subscriptions/s1', provider: 'azure'})
CREATE (rg:Asset:ResourceGroup {id: '/subscriptions/s1/resourcegroups/rg', provider: 'azure'})
CREATE (mg)-[:CONTAINS]->(sub), (sub)-[:CONTAINS]->(rg)
CREATE (vnet:Asset:Network {id: '/subscriptions/s1/resourcegroups/rg/providers/microsoft.network/virtualnetworks/v', provider: 'azure'})
CREATE (sn:Asset:Subnet {id: 'subnet-a', provider: 'azure'}), (vnet)-[:CONTAINS]->(sn)
CREATE (nsg:Asset:SecurityGroup {id: 'nsg-subnet', provider: 'azure'})-[:APPLIES_TO]->(sn)
CREATE (nsg)-[:HAS_RULE]->(:Asset:FirewallRule {id: 'nsg-subnet/allow-web', direction: 'inbound', action: 'allow', protocol: 'tcp', ports: ['443', '3389'], sources: ['Internet'], destinations: ['*'], priority: 100})
CREATE (vm1:Asset:VirtualMachine {id: 'vm1', provider: 'azure'}), (vm2:Asset:VirtualMachine {id: 'vm2', provider: 'azure'})
CREATE (n1:Asset:NetworkInterface {id: 'nic1', provider: 'azure', private_ips: ['10.0.0.4']})-[:ATTACHED_TO]->(vm1)
CREATE (n2:Asset:NetworkInterface {id: 'nic2', provider: 'azure', private_ips: ['10.0.0.5']})-[:ATTACHED_TO]->(vm2)
CREATE (n1)-[:IN_SUBNET]->(sn), (n2)-[:IN_SUBNET]->(sn)
CREATE (:Asset:PublicIP {id: 'pip1', ip: '20.0.0.1'})-[:ATTACHED_TO]->(n1)
CREATE (:Asset:PublicIP {id: 'pip2', ip: '20.0.0.2'})-[:ATTACHED_TO]->(n2)
CREATE (nicnsg:Asset:SecurityGroup {id: 'nsg-nic1', provider: 'azure'})-[:APPLIES_TO]->(n1)
CREATE (nicnsg)-[:HAS_RULE]->(:Asset:FirewallRule {id: 'nsg-nic1/deny-rdp', direction: 'inbound', action: 'deny', protocol: 'tcp', ports: ['3389'], sources: ['*'], destinations: ['*'], priority: 100})
CREATE (nicnsg)-[:HAS_RULE]->(:Asset:FirewallRule {id: 'nsg-nic1/allow-web', direction: 'inbound', action: 'allow', protocol: 'tcp', ports: ['443'], sources: ['Internet'], destinations: ['*'], priority: 200})
CREATE (sa:Asset:DataStore:StorageAccount {id: '/subscriptions/s1/resourcegroups/rg/providers/microsoft.storage/storageaccounts/open', provider: 'azure',
        public_network_access: 'Enabled', allow_blob_public_access: true})
CREATE (sa2:Asset:DataStore:StorageAccount {id: '/subscriptions/s1/resourcegroups/rg/providers/microsoft.storage/storageaccounts/closed', provider: 'azure',
        public_network_access: 'Enabled', network_default_action: 'Deny', allow_blob_public_access: false})
CREATE (rg)-[:CONTAINS]->(sa), (rg)-[:CONTAINS]->(sa2)
CREATE (sa)-[:CONTAINS]->(:Asset:DataStore:Bucket {id: 'container-public', provider: 'azure', public_access: 'blob'})
CREATE (sa2)-[:CONTAINS]->(:Asset:DataStore:Bucket {id: 'container-blocked', provider: 'azure', public_access: 'container'})
CREATE (sql:Asset:DataStore:Database {id: 'sql-open', provider: 'azure'})-[:HAS_RULE]->(:Asset:FirewallRule {id: 'sql-open/all', action: 'allow', sources: ['0.0.0.0-255.255.255.255']})
CREATE (sql2:Asset:DataStore:Database {id: 'sql-azure-only', provider: 'azure'})-[:HAS_RULE]->(:Asset:FirewallRule {id: 'sql-azure-only/azure', action: 'allow', sources: ['0.0.0.0-0.0.0.0']})
CREATE (owner:Asset:RoleDefinition {id: 'rd-owner', name: 'Owner', actions: ['*']})
CREATE (reader:Asset:RoleDefinition {id: 'rd-blob-reader', name: 'Storage Blob Data Reader', actions: ['Microsoft.Storage/storageAccounts/blobServices/containers/read'],
        data_actions: ['Microsoft.Storage/storageAccounts/blobServices/containers/blobs/read']})
CREATE (vmc:Asset:RoleDefinition {id: 'rd-vm-contributor', name: 'Virtual Machine Contributor', actions: ['Microsoft.Compute/virtualMachines/*']})
CREATE (u1:Asset:Identity:User {id: 'u1', provider: 'azure'}), (u2:Asset:Identity:User {id: 'u2', provider: 'azure'}),
       (u3:Asset:Identity:User {id: 'u3', provider: 'azure'})
CREATE (ra1:Asset:RoleAssignment {id: 'ra1'})-[:ASSIGNED_TO]->(u1), (ra1)-[:GRANTS]->(owner), (ra1)-[:AT_SCOPE]->(mg)
CREATE (ra2:Asset:RoleAssignment {id: 'ra2'})-[:ASSIGNED_TO]->(u2), (ra2)-[:GRANTS]->(reader), (ra2)-[:AT_SCOPE]->(rg)
CREATE (ra3:Asset:RoleAssignment {id: 'ra3'})-[:ASSIGNED_TO]->(u3), (ra3)-[:GRANTS]->(vmc), (ra3)-[:AT_SCOPE]->(rg)
CREATE (vm:Asset:VirtualMachine {id: '/subscriptions/s1/resourcegroups/rg/providers/microsoft.compute/virtualmachines/app', provider: 'azure'})
CREATE (vm)-[:USES_IDENTITY {via: 'managed-identity'}]->(:Asset:Identity:ManagedIdentity {id: 'mi-app', provider: 'azure'})
"""


def test_azure_exposure_rbac_and_escalation(graph, monkeypatch):
    graph.write(AZURE)
    assert derive(graph)["status"] == "ok"
    got = reach(graph)
    # subnet NSG allows 443 and 3389 from the internet; nic1's own NSG denies RDP
    assert got["vm1"][1] == ["443"] and got["vm2"][1] == ["443", "3389"]
    assert got["vm2"][2] == ["nsg-subnet/allow-web"]
    assert got["sql-open"][1] == ["1433"] and "sql-azure-only" not in got
    sa = "/subscriptions/s1/resourcegroups/rg/providers/microsoft.storage/storageaccounts/"
    assert sa + "open" in got and sa + "closed" not in got

    access = edges(graph, "CAN_ACCESS")
    assert {b for (a, b) in access if a == "internet"} == {"container-public"}
    assert access[("u1", "/subscriptions/s1")]["level"] == "admin"            # Owner inherited from the MG
    assert access[("u1", sa + "open")]["level"] == "admin"                     # listKeys
    assert access[("u2", sa + "open")]["level"] == "read" and ("u2", "/subscriptions/s1") not in access
    assert access[("u2", "container-public")]["actions"] == [
        "Microsoft.Storage/storageAccounts/blobServices/containers/blobs/read"]
    assert ("u3", sa + "open") not in access

    esc = escalations(graph)
    assert ("u1", "u1", "azure:roleAssignments/write") in esc
    assert ("u3", "mi-app", "azure:virtualMachines/write") in esc
    assert not any(a == "u2" for a, _, _ in esc)

    # lateral: same VNet, default AllowVnetInBound; past the fan-out cap an aggregate edge to the subnet
    lateral = {(a, b) for (a, b) in edges(graph, "CAN_CONNECT_TO")}
    assert lateral == {("vm1", "vm2"), ("vm2", "vm1")}
    from cloudmap.engine import lateral as lateral_mod
    monkeypatch.setattr(lateral_mod, "MAX_TARGETS", 0)
    summary = derive(graph)
    agg = edges(graph, "CAN_CONNECT_TO")
    assert set(agg) == {("vm1", "subnet-a"), ("vm2", "subnet-a")} and agg[("vm1", "subnet-a")]["targets"] == 1
    assert summary["edges"]["CAN_CONNECT_TO"]["removed"] == 2
