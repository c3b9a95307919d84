"""Containers (management groups, subscriptions, resource groups) and access (role definitions, role
assignments, the principals they name)."""

from __future__ import annotations

from cloudmap.loaders.azure import ids
from cloudmap.loaders.azure.builtin_roles import builtin_row
from cloudmap.loaders.azure.plan import Plan, Res, as_list, get, handles, scope_name
from cloudmap.loaders.kit import classify_tags, tags_list

from cloudmap.graph.kinds import azure as K

ENTRA_KINDS = {"user": K.ENTRA_USER, "group": K.ENTRA_GROUP, "serviceprincipal": K.ENTRA_SP}


def _mg_scope(tenant: str | None) -> str:
    return scope_name(None, "management-groups", tenant)


@handles("microsoft.management/managementgroups")
def management_group(plan: Plan, res: Res) -> None:
    scope = _mg_scope(res.tenant)
    p = res.props
    plan.node(K.MANAGEMENT_GROUP, {"id": res.id, "name": p.get("displayName") or res.name, "provider": "azure",
                                   "display_name": p.get("displayName"), "tenant_id": res.tenant}, scope)
    chain = as_list(get(p, "details.managementGroupAncestorsChain"))
    parent = ids.ref(get(p, "details.parent")) or (ids.MG_PREFIX + chain[0]["name"].lower() if chain else None)
    plan.rel(K.MG_CONTAINS, parent, res.id, scope)


@handles("microsoft.resources/subscriptions")
def subscription(plan: Plan, res: Res) -> None:
    sub = res.sub or res.id.rsplit("/", 1)[-1]
    scope = scope_name(sub, "containers")
    critical, _ = classify_tags(res.tags)
    plan.node(K.SUBSCRIPTION, {"id": ids.subscription_id(sub), "name": res.name, "provider": "azure",
                               "account_id": sub, "subscription_id": sub, "tenant_id": res.tenant,
                               "state": res.props.get("state"), "tags": tags_list(res.tags), **critical}, scope)
    chain = as_list(res.props.get("managementGroupAncestorsChain"))
    if chain:  # direct parent first
        plan.rel(K.MG_CONTAINS, ids.MG_PREFIX + str(chain[0].get("name")).lower(), ids.subscription_id(sub), scope)


@handles("microsoft.resources/subscriptions/resourcegroups")
def resource_group(plan: Plan, res: Res) -> None:
    scope = scope_name(res.sub, "containers")
    critical, _ = classify_tags(res.tags)
    plan.container(res.sub, None, res.tenant)
    plan.node(K.RESOURCE_GROUP, {"id": res.id, "name": res.name, "provider": "azure", "account_id": res.sub,
                                 "region": res.raw.get("location"), "tags": tags_list(res.tags), **critical}, scope)
    plan.rel(K.SUB_CONTAINS, ids.subscription_id(res.sub), res.id, scope)


def _auth_scope(target: str | None, tenant: str | None) -> str:
    sub = ids.subscription_of(target or "")
    return scope_name(sub, "authorization", tenant)


def _definition_row(rid: str, p: dict) -> dict:
    perms = as_list(p.get("permissions"))

    def collect(key):
        return sorted({a for perm in perms for a in as_list(perm.get(key))})

    return {"id": rid, "name": p.get("roleName"), "role_name": p.get("roleName"), "role_type": p.get("type"),
            "provider": "azure", "actions": collect("actions"), "not_actions": collect("notActions"),
            "data_actions": collect("dataActions"), "not_data_actions": collect("notDataActions"),
            "assignable_scopes": [ids.norm(s) or "/" for s in as_list(p.get("assignableScopes"))],
            "policy_type": "azure-role"}


@handles("microsoft.authorization/roledefinitions")
def role_definition(plan: Plan, res: Res) -> None:
    rid = ids.role_definition_id(res.id)
    builtin = str(res.props.get("type") or "").lower() == "builtinrole"
    # Built-in roles are one tenant-wide catalog: never scope-cleaned; custom roles belong to their scope.
    scope = None if builtin else _auth_scope(next(iter(as_list(res.props.get("assignableScopes"))), res.id),
                                             res.tenant)
    plan.node(K.ROLE_DEFINITION, _definition_row(rid, res.props), scope)


@handles("microsoft.authorization/roleassignments")
def role_assignment(plan: Plan, res: Res) -> None:
    p = res.props
    target = ids.scope_id(p.get("scope") if p.get("scope") is not None else
                          res.id.split("/providers/microsoft.authorization/")[0] or "/", res.tenant)
    scope = _auth_scope(target, res.tenant)
    definition = ids.role_definition_id(p.get("roleDefinitionId"))
    principal = str(p.get("principalId") or "").lower()
    plan.node(K.ROLE_ASSIGNMENT, {"id": res.id, "name": res.name, "provider": "azure",
                                  "account_id": ids.subscription_of(target or ""), "principal_id": principal,
                                  "principal_type": p.get("principalType"), "scope_id": target,
                                  "condition": p.get("condition")}, scope)
    plan.rel(K.GRANTS, res.id, definition, scope)
    plan.rel(K.AT_SCOPE, res.id, target, scope)
    if target and target.startswith("/subscriptions/"):
        plan.container(ids.subscription_of(target), ids.resource_group_of(target), res.tenant)
    if principal:
        plan.assignments.append((scope, res.id, principal, str(p.get("principalType") or "")))


def resolve_access(plan: Plan, known_principals: dict[str, str]) -> None:
    """Role names onto assignments, built-in definitions that were referenced but not listed, and each
    assignment ASSIGNED_TO its principal: a managed identity of this input, an identity already in the
    graph (``known_principals``), or else an Entra node for the object id."""
    definitions = plan.nodes[K.ROLE_DEFINITION]
    for scope, kinds in list(plan.rels.items()):
        for (ra, rd) in list(kinds.get(K.GRANTS, {})):
            if rd not in definitions:
                row = builtin_row(rd.rsplit("/", 1)[-1]) or {"name": rd.rsplit("/", 1)[-1]}
                plan.node(K.ROLE_DEFINITION, {"id": rd, "provider": "azure", "policy_type": "azure-role", **row},
                          None if row.get("role_type") == "BuiltInRole" else scope, weak=True)
            role_name = definitions[rd][1].get("role_name")
            assignment = plan.nodes[K.ROLE_ASSIGNMENT][ra][1]
            assignment["role_name"] = role_name
            if role_name:
                assignment["name"] = f"{role_name} @ {(assignment.get('scope_id') or '/').rsplit('/', 1)[-1]}"
    for scope, ra, principal, principal_type in plan.assignments:
        plan.rel(K.ASSIGNED_TO, ra, _principal(plan, scope, principal, principal_type, known_principals), scope)
    for scope, vault, principal, perms in plan.vault_policies:
        plan.rel(K.VAULT_ACCESS_POLICY, _principal(plan, scope, principal, "", known_principals), vault, scope,
                 **perms)


def _principal(plan: Plan, scope: str, principal: str, principal_type: str, known: dict[str, str]) -> str:
    """The identity node of an Entra object id: a managed identity of this input, one already in the graph,
    or else an Entra node for the object id."""
    target = plan.principals.get(principal) or known.get(principal)
    if not target:
        kind = ENTRA_KINDS.get(principal_type.lower(), K.ENTRA_PRINCIPAL)
        target = f"entra:{principal}"
        plan.node(kind, {"id": target, "name": f"{principal_type or 'principal'} {principal}",
                         "provider": "azure", "principal_id": principal,
                         **({"principal_type": principal_type} if kind is K.ENTRA_PRINCIPAL else {})},
                  scope, weak=True)
    return target
