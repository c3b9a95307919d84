"""Terraform's google IAM resources against the Cloud Asset loader: the same estate from a CAI export and
from a Terraform state gives the same bindings, roles and principals and the same derived moves; each
binding is a scenario or its near-miss. A project named by id in Terraform and by number in Cloud Asset
is one node whichever loads first. Bad IAM values are one error and leave the graph alone."""

from __future__ import annotations

import json

import pytest
from cloudmap.loaders.gcp.load import load_exports
from cloudmap.loaders.inputfile import InputError
from cloudmap.loaders.terraform import state
from cloudmap.loaders.terraform.load import load, load_file

from cloudmap.engine import derive
from tests.conftest import wipe
from tests.fixtures.gcp import iam_estate as E
from tests.helpers import run_cli

pytestmark = pytest.mark.neo4j

IAM_GRAPH = """
MATCH (r)-[h:HAS_BINDING]->(b:GCPBinding)-[:GRANTS]->(role:GCPRole)
OPTIONAL MATCH (b)-[:ASSIGNED_TO]->(m:Identity)
WITH r, b, role, m ORDER BY m.id
RETURN r.id AS resource, b.id AS id, b.role AS role, b.members AS members, b.condition AS condition,
       b.public AS public, b.policy_type AS type, b.name AS name, role.id AS grants, role.custom AS custom,
       role.permissions AS permissions, collect([m.id, [l IN labels(m) WHERE l <> 'Asset']]) AS assigned
ORDER BY id"""
MOVES = """
MATCH (s)-[e:CAN_ACCESS|CAN_ESCALATE_TO]->(t)
RETURN s.id AS source, type(e) AS type, t.id AS target, e.level AS level, e.actions AS actions, e.method AS method,
       e.conditional AS conditional, e.condition AS condition, e.evidence AS evidence ORDER BY source, type, target, method"""


def moves(graph) -> list[dict]:
    return graph.read(MOVES)


@pytest.fixture(scope="module")
def both(_session_graph, tmp_path_factory):
    """(files, the IAM graph and moves from Cloud Asset, the same from Terraform)."""
    files = E.write(tmp_path_factory.mktemp("gcp-iam"))
    out = {}
    for source in ("cai", "terraform"):
        wipe(_session_graph)
        if source == "cai":
            summary = load_exports(_session_graph, [files["resources"], files["iam"]])
        else:
            summary = load_file(_session_graph, files["state"])
        assert summary.status == "success" and not summary.warnings, summary
        derive(_session_graph)
        out[source] = (_session_graph.read(IAM_GRAPH), moves(_session_graph))
    wipe(_session_graph)
    return files, out["cai"], out["terraform"]


def test_terraform_iam_is_the_graph_the_cloud_asset_loader_writes(both):
    _, (cai_iam, cai_moves), (tf_iam, tf_moves) = both
    assert len(tf_iam) == 26 and tf_iam == cai_iam
    assert len(tf_moves) > 20 and tf_moves == cai_moves
    by_id = {b["id"]: b for b in tf_iam}
    expired = by_id[f"{E.project_node('acme-prod')}#iam/roles/storage.objectAdmin?until-2020"]
    assert expired["condition"] == E.EXPIRED["expression"] and expired["assigned"] == [
        ["gcp:user:old@example.com", ["Identity", "GCPPrincipal"]]]
    public = by_id[f"{E.bucket_node('acme-prod-assets')}#iam/roles/storage.objectViewer"]
    assert public["public"] is True and public["assigned"] == [[None, None]]   # allUsers is no node
    listers = by_id[f"{E.bucket_node('acme-dev-logs')}#iam/roles/storage.legacyBucketReader"]
    assert listers["public"] is True and listers["assigned"] == [
        ["gcp:domain:example.com", ["Identity", "GCPPrincipal"]],
        ["gcp:projectViewer:acme-dev", ["Identity", "GCPPrincipal"]]]
    mallory = by_id[f"{E.sa_name('app')}#iam/roles/iam.serviceAccountAdmin"]   # the state named it by unique id
    assert mallory["resource"] == E.sa_name("app")
    peek = by_id[f"{E.project_node('acme-prod')}#iam/{E.PEEK}"]
    assert (peek["custom"], peek["permissions"]) == (True, ["storage.objects.get"])
    assert peek["members"] == ["user:larry@example.com", "user:oscar@example.com"]  # two iam_member, one binding


def _access(rows) -> dict:
    return {(r["source"].split(":")[-1].rsplit("/", 1)[-1], r["target"].rsplit("/", 1)[-1]): r
            for r in rows if r["type"] == "CAN_ACCESS"}


def _escalations(rows) -> set:
    return {(r["source"].removeprefix("gcp:user:").split("@")[0], r["method"], r["target"].rsplit("/", 1)[-1])
            for r in rows if r["type"] == "CAN_ESCALATE_TO"}


def test_project_and_bucket_bindings_scenarios_and_near_misses(both):
    access = _access(both[2][1])
    app, dev = E.email("app"), E.email("dev")
    assert access[(app, "acme-prod-cards")]["actions"] == ["storage.objects.get", "storage.objects.list"]
    assert (dev, "acme-prod-cards") not in access and (dev, "acme-dev-logs") in access  # another project's member
    assert ("old@example.com", "acme-prod-cards") not in access                       # expired condition
    temp = access[("temp@example.com", "acme-prod-cards")]
    assert temp["conditional"] is True and "storage.objects.delete" in temp["actions"]
    assert access[("internet", "acme-prod-assets")]["actions"] == ["storage.objects.get", "storage.objects.list"]
    assert not [k for k in access if k == ("internet", "acme-prod-locked")]           # prevention enforced
    assert access[("auditor@example.com", "acme-prod-cards")]["actions"] == ["storage.objects.list"]
    assert ("contractor@example.com", "acme-prod-cards") not in access                # expired bucket binding
    assert ("devs@example.com", "acme-dev-logs") in access and ("devs@example.com", "acme-prod-cards") not in access
    assert access[("internet", "acme-dev-logs")]["actions"] == ["storage.objects.list"]   # allAuthenticatedUsers
    # the custom roles: larry and oscar read through the project's, olga lists every bucket through the org's
    assert access[("larry@example.com", "acme-prod-cards")]["actions"] == ["storage.objects.get"]
    assert access[("olga@example.com", "acme-dev-logs")]["actions"] == ["storage.objects.list"]
    assert ("dave@example.com", "acme-prod-cards") not in access                      # viewer reads no objects


def test_service_account_folder_and_organization_escalations(both):
    edges = _escalations(both[2][1])
    deployer, app = E.email("deployer"), E.email("app")
    assert {m for s, m, t in edges if s == "alice" and t == deployer} == {
        f"iam.serviceAccounts.{m}" for m in ("getAccessToken", "signBlob", "signJwt", "implicitDelegation")}
    assert ("erin", "iam.serviceAccountKeys.create", deployer) in edges
    assert ("mallory", "iam.serviceAccounts.setIamPolicy", app) in edges
    assert ("ivan", "resourcemanager.projects.setIamPolicy", "900002") in edges
    assert ("judy", "resourcemanager.folders.setIamPolicy", "600") in edges
    assert ("sandy", "resourcemanager.folders.setIamPolicy", "601") in edges
    assert ("judy", "resourcemanager.folders.setIamPolicy", "601") not in edges     # another folder
    assert {(m, t) for s, m, t in edges if s == "ken"} >= {
        ("resourcemanager.organizations.setIamPolicy", "500"), ("resourcemanager.folders.setIamPolicy", "600"),
        ("resourcemanager.projects.setIamPolicy", "900001"), ("resourcemanager.projects.setIamPolicy", "900002")}
    assert ("larry", "iam.roles.update", "900001") in edges                         # holds the role, may update it
    # near-misses: bob may only act as (actAs alone), exp's key grant expired, dave and oscar hold nothing
    assert not [e for e in edges if e[0] in ("bob", "exp", "dave", "oscar")], edges


def _projects(graph) -> list[dict]:
    return graph.read("MATCH (p:GCPProject) RETURN p.id AS id, p.project_id AS pid, p.project_number AS number "
                      "ORDER BY id")


def _id_only_state(tmp_path):
    """A state that names acme-prod by id only (no google_project): a bucket and a binding on the project."""
    resources = [r for r in E.tf_resources(with_projects=False) if r["type"] == "google_storage_bucket"
                 and r["values"]["project"] == "acme-prod"]
    resources.append(E.tf_iam("google_project_iam_member", "reader", "acme-prod",
                              [("roles/storage.objectViewer", ["user:reader@example.com"], None)]))
    path = tmp_path / "by-id.json"
    path.write_text(json.dumps(E.state(resources)))
    return path


def _cai_prod(tmp_path):
    path = tmp_path / "prod.json"
    path.write_text("".join(json.dumps(a) + "\n" for a in E.cai_resources(("acme-prod",))))
    return path


def _reader_access(graph) -> list[dict]:
    return graph.read("MATCH (:GCPPrincipal {id: 'gcp:user:reader@example.com'})-[e:CAN_ACCESS]->(b:GCPBucket) "
                      "RETURN b.name AS bucket ORDER BY bucket")


PROD = {"id": E.project_node("acme-prod"), "pid": "acme-prod", "number": "900001"}


@pytest.mark.parametrize("order", ["cloud-asset-first", "terraform-first"])
def test_project_by_id_and_by_number_is_one_node_in_either_order(graph, tmp_path, order):
    tf, cai = _id_only_state(tmp_path), _cai_prod(tmp_path)
    steps = [lambda: load_exports(graph, [cai]), lambda: load_file(graph, tf, "by-id")]
    for step in steps if order == "cloud-asset-first" else steps[::-1]:
        assert step().status == "success"
    assert [p for p in _projects(graph) if p["pid"] == "acme-prod"] == [PROD]
    binding = f"{PROD['id']}#iam/roles/storage.objectViewer"
    assert graph.read("MATCH (p:GCPProject)-[h:HAS_BINDING]->(b:GCPBinding {id: $b}) RETURN p.id AS p, h.scope AS s",
                      b=binding) == [{"p": PROD["id"], "s": "terraform/by-id"}]
    contains = graph.read("MATCH (p:GCPProject)-[:CONTAINS]->(b:GCPBucket {name: 'acme-prod-cards'}) "
                          "RETURN p.id AS p")
    assert contains == [{"p": PROD["id"]}]
    derive(graph)
    assert [r["bucket"] for r in _reader_access(graph)] == ["acme-prod-assets", "acme-prod-cards", "acme-prod-locked"]
    # the next load of the state finds the numbered node, keeps its binding and leaves no second node
    assert load_file(graph, tf, "by-id").status == "success"
    assert [p for p in _projects(graph) if p["pid"] == "acme-prod"] == [PROD]
    assert graph.read("MATCH (:GCPProject)-[:HAS_BINDING]->(b:GCPBinding {id: $b}) RETURN count(*) AS n",
                      b=binding) == [{"n": 1}]


def test_terraform_alone_keeps_the_project_by_id_until_cloud_asset_names_its_number(graph, tmp_path):
    assert load_file(graph, _id_only_state(tmp_path), "by-id").status == "success"
    assert _projects(graph) == [{"id": f"{E.CRM}projects/acme-prod", "pid": "acme-prod", "number": None}]
    derive(graph)
    assert [r["bucket"] for r in _reader_access(graph)] == ["acme-prod-assets", "acme-prod-cards", "acme-prod-locked"]
    # near-miss: a project of another id is not folded into it
    other = _cai_prod(tmp_path)
    other.write_text(other.read_text().replace('"projectId": "acme-prod"', '"projectId": "acme-prod-2"'))
    assert load_exports(graph, [other]).status == "success"
    assert {p["pid"] for p in _projects(graph)} == {"acme-prod", "acme-prod-2"} and len(_projects(graph)) == 2


def test_referenced_nodes_another_load_holds_keep_their_scope(graph, tmp_path):
    """A service account the state only names as a member stays the Cloud Asset loader's: removing the
    binding from the state later does not remove the account."""
    assert load_exports(graph, [_cai_prod(tmp_path)]).status == "success"
    scope = "MATCH (s:GCPServiceAccount {email: $e}) RETURN s.scope AS scope"
    before = graph.read(scope, e=E.email("app"))
    others = [E.tf_iam("google_project_iam_member", f"u{i}", "acme-prod", [(role, [f"user:u{i}@example.com"], None)])
              for i, role in enumerate(("roles/viewer", "roles/iam.roleAdmin"))]
    app = E.tf_iam("google_project_iam_member", "app", "acme-prod", [("roles/storage.objectViewer", [E.sa("app")],
                                                                      None)])
    path = tmp_path / "member.json"
    path.write_text(json.dumps(E.state([app, *others])))
    assert load_file(graph, path, "member").status == "success"
    assert graph.read(scope, e=E.email("app")) == before == [{"scope": "gcp/900001"}]
    path.write_text(json.dumps(E.state(others)))
    assert load_file(graph, path, "member").status == "success"
    assert graph.read(scope, e=E.email("app")) == before
    assert graph.read("MATCH (b:GCPBinding) RETURN b.role AS role ORDER BY role") == [
        {"role": "roles/iam.roleAdmin"}, {"role": "roles/viewer"}]


def _bad(tf_type: str, values: dict) -> dict:
    return E.state([{"address": f"{tf_type}.bad", "mode": "managed", "type": tf_type, "name": "bad",
                     "provider_name": "registry.terraform.io/hashicorp/google", "values": values}])


@pytest.mark.parametrize("doc, message", [
    (_bad("google_project_iam_policy", {"project": "acme-prod", "policy_data": "{not json"}),
     r"\(google_project_iam_policy.bad\): values.policy_data: not valid JSON"),
    (_bad("google_storage_bucket_iam_policy", {"bucket": "b/x", "policy_data": json.dumps(
        {"bindings": [{"role": "roles/viewer", "members": "user:a@example.com"}]})}),
     r"\(google_storage_bucket_iam_policy.bad\): values.policy_data.bindings\[0\].members: must be an array"),
    (_bad("google_project_iam_member", {"project": "acme-prod", "member": "user:a@example.com"}),
     r"\(google_project_iam_member.bad\): values.role: missing"),
    (_bad("google_folder_iam_binding", {"role": "roles/viewer", "members": ["user:a@example.com"]}),
     r"\(google_folder_iam_binding.bad\): values.folder: missing"),
    (_bad("google_service_account_iam_member", {"service_account_id": "projects/p/serviceAccounts/a@p.iam.gserviceaccount.com",
                                                "role": "roles/iam.serviceAccountUser", "member": "user:a@example.com",
                                                "condition": [{"title": "t", "expression": 7}]}),
     r"values.condition\[0\].expression: expected a string"),
])
def test_bad_iam_values_are_one_error_naming_file_and_field(graph, cli_env, tmp_path, doc, message):
    good = tmp_path / "good.json"
    E.write(tmp_path)
    good.write_text((tmp_path / "gcp-iam-state.json").read_text())
    assert load_file(graph, good, "bad").status == "success"   # the scope the bad file would replace
    before = graph.read("MATCH (n) WHERE NOT n:Sync RETURN count(n) AS n")
    bad = tmp_path / "bad.json"
    bad.write_text(json.dumps(doc))
    with pytest.raises(InputError, match=message):
        load(graph, state.read(bad), "bad")
    proc = run_cli(cli_env, "load", "terraform", str(bad))
    lines = [line for line in proc.stderr.splitlines() if line.strip()]
    assert proc.returncode == 1 and len(lines) == 1 and lines[0].startswith(f"error: {bad}"), proc.stderr
    assert graph.read("MATCH (n) WHERE NOT n:Sync RETURN count(n) AS n") == before


def test_plan_bindings_are_planned_and_unknown_values_wait_for_apply(graph, tmp_path):
    assert load_exports(graph, [_cai_prod(tmp_path)]).status == "success"
    created = [
        E.tf_iam("google_storage_bucket_iam_member", "new_reader", "acme-prod-cards",
                 [("roles/storage.objectViewer", ["user:new@example.com"], None)]),
        # the member is the email of an account the plan creates: unknown until apply
        {**E.tf_iam("google_project_iam_member", "new_sa", "acme-prod", [("roles/viewer", ["user:x"], None)]),
         "values": {"project": "acme-prod", "role": "roles/viewer", "condition": []}},
        {**E.tf_iam("google_project_iam_policy", "later", "acme-dev", []), "values": {"project": "acme-dev"}},
        # a project the plan creates: its number is known after apply, so it is keyed by id
        {"address": "google_project.new", "mode": "managed", "type": "google_project", "name": "new",
         "provider_name": "registry.terraform.io/hashicorp/google", "values": {"project_id": "acme-new",
                                                                             "name": "acme-new", "folder_id": "600"}},
        E.tf_iam("google_project_iam_member", "new_owner", "acme-new", [("roles/owner", ["user:new@example.com"], None)]),
    ]
    doc = {"format_version": "1.2", "planned_values": {"root_module": {"resources": created}},
           "resource_changes": [{"address": r["address"], "change": {"actions": ["create"]}} for r in created]}
    path = tmp_path / "plan.json"
    path.write_text(json.dumps(doc))
    summary = load_file(graph, path, "plan")
    assert summary.status == "success" and summary.details["document"] == "plan"
    assert not summary.warnings
    assert graph.read("MATCH (r)-[:HAS_BINDING]->(b:GCPBinding) RETURN r.id AS r, b.members AS m, b.planned AS p "
                      "ORDER BY r") == [
        {"r": f"{E.CRM}projects/acme-new", "m": ["user:new@example.com"], "p": True},
        {"r": E.bucket_node("acme-prod-cards"), "m": ["user:new@example.com"], "p": True}]
    assert [p for p in _projects(graph) if p["pid"] == "acme-new"] == [
        {"id": f"{E.CRM}projects/acme-new", "pid": "acme-new", "number": None}]
    assert graph.read("MATCH (f:GCPFolder)-[:CONTAINS]->(:GCPProject {project_id: 'acme-new'}) RETURN f.name AS f") == [
        {"f": "platform"}]   # the folder the Cloud Asset load wrote, not taken over
