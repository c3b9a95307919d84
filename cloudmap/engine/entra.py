"""Entra ID moves: who is admin of a tenant, and how a principal escalates inside the directory.

* Global Administrators get ``CAN_ACCESS {level: admin}`` to their tenant, and to every subscription
  of it: a Global Administrator can elevate itself to User Access Administrator at the root of Azure
  (``elevateAccess``), which joins the Entra and Azure halves.
* ``CAN_ESCALATE_TO {method}`` for the directory's escalation methods (BloodHound's AzureHound edges
  and the published Entra attack research): owners and application administrators add a credential to
  an application and act as its service principal; a Privileged Role Administrator assigns itself any
  role (an edge to the tenant: it can make itself Global Administrator); a Privileged Authentication
  Administrator resets a Global Administrator's credentials; group owners and Groups Administrators
  add themselves to a group that holds privileges; service principals holding Graph's
  ``RoleManagement.ReadWrite.Directory`` or ``AppRoleAssignment.ReadWrite.All`` grant themselves
  anything, and ``Application.ReadWrite.All`` adds credentials to any application.

Directory roles count only when assigned tenant-wide (``directoryScopeId`` ``/``); a role held through
a role-assignable group counts for its members.
"""

from __future__ import annotations

from collections.abc import Iterator

from cloudmap.engine.writer import EdgeWriter, stream
from cloudmap.graph.driver import Graph
from cloudmap.graph.kinds import derived
from cloudmap.loaders.entra.roles import (
    APPLICATION_ADMINISTRATOR,
    CLOUD_APPLICATION_ADMINISTRATOR,
    GLOBAL_ADMINISTRATOR,
    GROUPS_ADMINISTRATOR,
    PRIVILEGED_AUTHENTICATION_ADMINISTRATOR,
    PRIVILEGED_ROLE_ADMINISTRATOR,
)

# method -> why it works (kept on every edge as its explanation)
METHODS = {
    "entra:owner-add-credential": "owns the application or service principal: can add a secret and sign in as it",
    "entra:app-admin-add-credential": "Application or Cloud Application Administrator: can add a secret to any "
                                      "application and sign in as its service principal",
    "entra:privileged-role-admin": "Privileged Role Administrator: can assign itself any directory role, "
                                   "Global Administrator included",
    "entra:privileged-auth-admin": "Privileged Authentication Administrator: can reset the password and MFA of "
                                   "any user, Global Administrators included",
    "entra:groups-admin-add-member": "Groups Administrator: can add itself to any group that is not "
                                     "role-assignable",
    "entra:group-owner-add-member": "owns the group: can add itself as a member",
    "entra:graph-role-management": "holds Microsoft Graph RoleManagement.ReadWrite.Directory: can assign itself "
                                   "Global Administrator",
    "entra:graph-app-role-assignment": "holds Microsoft Graph AppRoleAssignment.ReadWrite.All: can grant itself "
                                       "RoleManagement.ReadWrite.Directory",
    "entra:graph-application-readwrite": "holds Microsoft Graph Application.ReadWrite.All: can add a secret to any "
                                         "application and sign in as its service principal",
}

# Principals holding a tenant-wide directory role, directly or as members of a group that holds it.
_HOLDERS = """
MATCH (r:DirectoryRole)<-[h:HAS_DIRECTORY_ROLE]-(p:Identity)
WHERE r.template_id IN $templates AND coalesce(h.directory_scope, '/') = '/'
WITH r, p, h
CALL (p) { MATCH (m:Identity)-[:MEMBER_OF]->{0,8}(p) RETURN DISTINCT m }
RETURN DISTINCT m.id AS principal, r.template_id AS template, r.tenant_id AS tenant, h.assignment_id AS assignment,
       r.id AS role
"""

# Service principals and groups whose takeover gains something: they hold a directory role, an app
# role, an Azure role assignment or derived access.
_PRIVILEGED = """
MATCH (x:Identity) WHERE (x:ServicePrincipal OR x:Group) AND x.tenant_id IS NOT NULL AND (
      EXISTS { (x)-[:HAS_DIRECTORY_ROLE]->() } OR EXISTS { (x)-[:HAS_APP_ROLE]->() }
   OR EXISTS { (x)<-[:ASSIGNED_TO]-(:RoleAssignment) } OR EXISTS { (x)-[:CAN_ACCESS]->() })
RETURN x.id AS id, x.tenant_id AS tenant, x:Group AS is_group, coalesce(x.role_assignable, false) AS role_assignable
"""


def holders(graph: Graph, *templates: str) -> list[dict]:
    return list(stream(graph, _HOLDERS, templates=list(templates)))


def tenant_admins(graph: Graph) -> Iterator[dict]:
    """Global Administrators: admin of the tenant, and (by elevating access) of its subscriptions."""
    subs: dict[str, list[str]] = {}
    for row in graph.read("MATCH (s:Account) WHERE s.tenant_id IS NOT NULL AND NOT s:EntraTenant "
                          "RETURN s.tenant_id AS tenant, collect(s.id) AS ids"):
        subs[row["tenant"]] = row["ids"]
    for h in holders(graph, GLOBAL_ADMINISTRATOR):
        evidence = [e for e in (h["assignment"], h["role"]) if e]
        yield {"source": h["principal"], "target": _tenant(h["tenant"]), "level": "admin", "actions": ["*"],
               "evidence": evidence, "conditional": False, "reason": "Global Administrator"}
        for sub in subs.get(h["tenant"], []):
            yield {"source": h["principal"], "target": sub, "level": "admin", "actions": ["*"], "evidence": evidence,
                   "conditional": False,
                   "reason": "Global Administrator: elevateAccess makes it User Access Administrator at the root"}


def _edge(source: str, target: str, method: str, evidence: list[str]) -> dict:
    return {"source": source, "target": target, "method": method, "explanation": METHODS[method],
            "evidence": [e for e in evidence if e], "conditional": False}


def _tenant(tenant: str) -> str:
    return f"entra-tenant:{tenant}"


def escalations(graph: Graph) -> Iterator[dict]:
    privileged = list(stream(graph, _PRIVILEGED))
    sps = [p for p in privileged if not p["is_group"]]

    for row in stream(graph, """
            MATCH (o:Identity)-[:OWNS]->(x)
            OPTIONAL MATCH (x)<-[:SERVICE_PRINCIPAL_OF]-(sp:ServicePrincipal)
            WITH o, x, CASE WHEN x:ServicePrincipal THEN x ELSE sp END AS target
            WHERE target IS NOT NULL AND target <> o
            RETURN o.id AS owner, x.id AS owned, target.id AS target, x:Group AS is_group"""):
        yield _edge(row["owner"], row["target"], "entra:owner-add-credential", [row["owned"]])
    for row in stream(graph, "MATCH (o:Identity)-[:OWNS]->(g:Group) WHERE o <> g "
                             "RETURN o.id AS owner, g.id AS target"):
        yield _edge(row["owner"], row["target"], "entra:group-owner-add-member", [row["target"]])

    for h in holders(graph, APPLICATION_ADMINISTRATOR, CLOUD_APPLICATION_ADMINISTRATOR):
        for sp in sps:
            if sp["tenant"] == h["tenant"] and sp["id"] != h["principal"]:
                yield _edge(h["principal"], sp["id"], "entra:app-admin-add-credential", [h["assignment"], h["role"]])
    for h in holders(graph, PRIVILEGED_ROLE_ADMINISTRATOR):
        yield _edge(h["principal"], _tenant(h["tenant"]), "entra:privileged-role-admin", [h["assignment"], h["role"]])
    global_admins = holders(graph, GLOBAL_ADMINISTRATOR)
    for h in holders(graph, PRIVILEGED_AUTHENTICATION_ADMINISTRATOR):
        for ga in global_admins:
            if ga["tenant"] == h["tenant"] and ga["principal"] != h["principal"]:
                yield _edge(h["principal"], ga["principal"], "entra:privileged-auth-admin",
                            [h["assignment"], h["role"]])
    for h in holders(graph, GROUPS_ADMINISTRATOR):
        for g in privileged:
            if g["is_group"] and not g["role_assignable"] and g["tenant"] == h["tenant"]:
                yield _edge(h["principal"], g["id"], "entra:groups-admin-add-member", [h["assignment"], h["role"]])

    for row in stream(graph, """
            MATCH (sp:Identity)-[a:HAS_APP_ROLE]->(api:ServicePrincipal)
            WHERE a.permission IN ['RoleManagement.ReadWrite.Directory', 'AppRoleAssignment.ReadWrite.All',
                                   'Application.ReadWrite.All']
            RETURN sp.id AS sp, sp.tenant_id AS tenant, a.permission AS permission, api.id AS api"""):
        if row["permission"] == "Application.ReadWrite.All":
            for sp in sps:
                if sp["tenant"] == row["tenant"] and sp["id"] != row["sp"]:
                    yield _edge(row["sp"], sp["id"], "entra:graph-application-readwrite", [row["api"]])
        else:
            method = ("entra:graph-role-management" if row["permission"].startswith("RoleManagement")
                      else "entra:graph-app-role-assignment")
            yield _edge(row["sp"], _tenant(row["tenant"]), method, [row["api"]])


def derive_entra(graph: Graph, writer: EdgeWriter) -> None:
    writer.write("entra-access", derived.ACCESS, list(tenant_admins(graph)))
    writer.sweep("entra-access", derived.ACCESS)
    writer.write("entra-escalation", derived.ESCALATE, list(escalations(graph)))
    writer.sweep("entra-escalation", derived.ESCALATE)
