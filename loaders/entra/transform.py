"""Directory objects → rows of the declared kinds (``entra:<object id>`` ids, one node per principal).

Each kind of fact has its scope in the tenant (``entra/<tenant>/users``, ``.../groups`` with their
membership and owners, ``.../applications``, ``.../service-principals`` with their app role
assignments, ``.../directory-roles``, ``.../role-assignments``, ``.../oauth2-grants``; the tenant and
its directory roles in ``.../tenant``), so a list the source refused keeps its earlier data.

Credentials are kept as metadata only (type, key id, display name, start and end); whether one is
still valid is decided once, against the load's clock, so a rule can match "has a valid secret"."""

from __future__ import annotations

from datetime import UTC, datetime

from cloudmap.loaders.azure.ids import SYSTEM_IDENTITY_SUFFIX
from cloudmap.loaders.entra import export as X
from cloudmap.loaders.entra.roles import (
    ADMIN_GRAPH_PERMISSIONS,
    DIRECTORY_ROLES,
    GRAPH_APP_ROLES,
    MICROSOFT_GRAPH_APP_ID,
)
from cloudmap.loaders.kit.rows import Rows

from cloudmap.graph.kinds import azure as az
from cloudmap.graph.kinds import entra as K

PROVIDER = "entra"


# scope parts, in writing order (relationships are written after every node)
SCOPES = ("tenant", "users", "groups", "applications", "service-principals", "directory-roles",
          "role-assignments", "oauth2-grants")
# the kind a whole list of which makes its scope complete, even when the list is empty
SCOPE_OF_LIST = {X.User: "users", X.Group: "groups", X.Application: "applications",
                 X.ServicePrincipal: "service-principals", X.DirectoryRole: "directory-roles",
                 X.RoleAssignment: "role-assignments", X.OAuth2Grant: "oauth2-grants"}


def scope_of(tenant: str, part: str = "") -> str:
    return f"entra/{tenant}/{part}"


def oid(object_id: str) -> str:
    return f"entra:{object_id.lower()}"


def role_id(tenant: str, template: str) -> str:
    return f"entra-role:{tenant}:{template.lower()}"


class DirectoryRows(Rows):
    """The kit's collector, plus object-id aliases: relationships name directory objects as
    ``entra:<object id>``; ``resolve`` points those that are another node (a managed identity) at it."""

    def __init__(self) -> None:
        super().__init__()
        self.aliases: dict[str, str] = {}

    def resolve(self) -> None:
        by_oid = {oid(k): v for k, v in self.aliases.items()}
        for kinds in self.rels.values():
            for kind, pairs in kinds.items():
                kinds[kind] = {(by_oid.get(s, s), by_oid.get(t, t)): p for (s, t), p in pairs.items()}


def _parse_time(text: str | None) -> datetime | None:
    if not text:
        return None
    try:
        value = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        return None
    return value if value.tzinfo else value.replace(tzinfo=UTC)


def credential_facts(own, *also, now: datetime) -> dict:
    """``credentials`` (the object's own), and ``valid_credentials`` / ``credentials_expire`` over its own
    and ``also`` (a service principal signs in with its application's credentials too)."""
    entries, valid_ends = [], []
    for obj in (own, *also):
        for kind, creds in (("password", obj.passwordCredentials), ("certificate", obj.keyCredentials)):
            for c in creds:
                start, end = _parse_time(c.startDateTime), _parse_time(c.endDateTime)
                name = (c.displayName or "").replace("|", "/")
                if obj is own:
                    entries.append(f"{kind}|{c.keyId or ''}|{name}|{c.startDateTime or ''}|{c.endDateTime or ''}")
                if (start is None or start <= now) and (end is None or end > now):
                    valid_ends.append(end or datetime.max.replace(tzinfo=UTC))
    latest = max(valid_ends) if valid_ends else None
    return {"credentials": sorted(entries), "valid_credentials": len(valid_ends),
            "credentials_expire": None if latest is None or latest.year == 9999 else latest.isoformat()}


def build_rows(directory: X.Directory, tenant: str, now: datetime | None = None) -> DirectoryRows:
    now = now or datetime.now(UTC)
    rows = DirectoryRows()
    sc = {part: scope_of(tenant, part) for part in SCOPES}
    rows.covered.update(sc[SCOPE_OF_LIST[kind]] for kind in directory.listed if kind in SCOPE_OF_LIST)
    base = {"provider": PROVIDER, "tenant_id": tenant, "account_id": tenant}
    rows.node(K.TENANT, {"id": f"entra-tenant:{tenant}", "name": f"tenant {tenant}",
                         "tenant_id": tenant, **base}, sc["tenant"])

    mfa = {r.id.lower(): r.isMfaRegistered for r in directory.of(X.RegistrationDetails)
           if r.isMfaRegistered is not None}
    for u in directory.of(X.User):
        guest = (u.userType or "").lower() == "guest"
        known = {"mfa_registered": mfa[u.id.lower()]} if u.id.lower() in mfa else {}
        rows.node(az.ENTRA_USER, {"id": oid(u.id), "name": u.userPrincipalName or u.displayName or u.id,
                                  "principal_id": u.id.lower(), "upn": u.userPrincipalName,
                                  "enabled": u.accountEnabled, "user_type": u.userType, "guest": guest,
                                  "last_sign_in": (u.signInActivity or {}).get("lastSignInDateTime"),
                                  **known, **base}, sc["users"])
    for g in directory.of(X.Group):
        rows.node(az.ENTRA_GROUP, {"id": oid(g.id), "name": g.displayName or g.id, "principal_id": g.id.lower(),
                                   "security_enabled": g.securityEnabled,
                                   "microsoft365": "Unified" in (g.groupTypes or []),
                                   "role_assignable": bool(g.isAssignableToRole), **base}, sc["groups"])
        for m in g.members or []:
            rows.rel(K.PRINCIPAL_MEMBER_OF, oid(m.id), oid(g.id), sc["groups"])
        for o in g.owners or []:
            rows.rel(K.OWNS, oid(o.id), oid(g.id), sc["groups"])
    for group_id, m in directory.members:
        rows.rel(K.PRINCIPAL_MEMBER_OF, oid(m.id), oid(group_id), sc["groups"])

    apps = {a.appId.lower(): a for a in directory.of(X.Application)}
    for a in apps.values():
        rows.node(K.APPLICATION, {"id": oid(a.id), "name": a.displayName or a.appId, "principal_id": a.id.lower(),
                                  "app_id": a.appId.lower(), "sign_in_audience": a.signInAudience,
                                  **credential_facts(a, now=now), **base}, sc["applications"])
        for o in a.owners or []:
            rows.rel(K.OWNS, oid(o.id), oid(a.id), sc["applications"])
    app_roles = _graph_app_roles(directory)
    for sp in directory.of(X.ServicePrincipal):
        mi = managed_identity_id(sp)
        if mi:   # the service principal of a managed identity is that identity: one node
            rows.aliases[sp.id.lower()] = mi
            system = mi.endswith(SYSTEM_IDENTITY_SUFFIX)
            # named as the Azure loader names it: the resource, and whether it is that resource's own identity
            resource = next(n for n in sp.alternativeNames if n.lower().startswith("/subscriptions/"))
            name = f"{resource.rsplit('/', 1)[-1]} (system identity)" if system else resource.rsplit("/", 1)[-1]
            rows.node(az.MANAGED_IDENTITY, {"id": mi, "name": name,
                                            "principal_id": sp.id.lower(), "client_id": sp.appId.lower(),
                                            "assignment": "system" if system else "user",
                                            "tenant_id": tenant, "provider": "azure"},
                      sc["service-principals"])
            continue
        app = apps.get(sp.appId.lower())
        rows.node(az.ENTRA_SP, {"id": oid(sp.id), "name": sp.displayName or sp.appId, "principal_id": sp.id.lower(),
                                "app_id": sp.appId.lower(), "sp_type": sp.servicePrincipalType,
                                "enabled": sp.accountEnabled, "app_owner_tenant_id": sp.appOwnerOrganizationId,
                                **credential_facts(sp, *([app] if app else []), now=now), **base},
                  sc["service-principals"])
        if app:
            rows.rel(K.SERVICE_PRINCIPAL_OF, oid(sp.id), oid(app.id), sc["service-principals"])
        for o in sp.owners or []:
            rows.rel(K.OWNS, oid(o.id), oid(sp.id), sc["service-principals"])
        for raw in sp.appRoleAssignments or []:
            _app_role(rows, X.AppRoleAssignment.model_validate(raw), app_roles, sc["service-principals"])
    for ara in directory.of(X.AppRoleAssignment):
        _app_role(rows, ara, app_roles, sc["service-principals"])

    for role in directory.of(X.DirectoryRole):
        rid = _role_node(rows, tenant, role.roleTemplateId, role.displayName, base, sc["tenant"])
        for m in role.members or []:
            rows.rel(K.HAS_DIRECTORY_ROLE, oid(m.id), rid, sc["directory-roles"], directory_scope="/")
    for ra in directory.of(X.RoleAssignment):
        rid = _role_node(rows, tenant, ra.roleDefinitionId, None, base, sc["tenant"])
        rows.rel(K.HAS_DIRECTORY_ROLE, oid(ra.principalId), rid, sc["role-assignments"],
                 directory_scope=ra.directoryScopeId or "/", assignment_id=ra.id)
    _oauth2_grants(rows, directory.of(X.OAuth2Grant), sc["oauth2-grants"])
    rows.resolve()
    return rows


def _oauth2_grants(rows: Rows, grants: list[X.OAuth2Grant], scope: str) -> None:
    """One edge per (client, resource): the union of the scopes granted, who consented, and the grant ids."""
    merged: dict[tuple[str, str], dict] = {}
    for g in grants:
        edge = merged.setdefault((oid(g.clientId), oid(g.resourceId)),
                                 {"scopes": set(), "consent_type": "Principal", "principal_ids": set(),
                                  "grant_ids": set()})
        edge["scopes"].update((g.scope or "").split())
        edge["grant_ids"].add(g.id)
        if (g.consentType or "").lower() == "allprincipals":
            edge["consent_type"] = "AllPrincipals"
        elif g.principalId:
            edge["principal_ids"].add(g.principalId.lower())
    for (client, resource), edge in merged.items():
        rows.rel(K.HAS_OAUTH2_GRANT, client, resource, scope, **{k: sorted(v) if isinstance(v, set) else v
                                                                 for k, v in edge.items()})


def managed_identity_id(sp: X.ServicePrincipal) -> str | None:
    """The Azure id of the managed identity a service principal stands for: its alternativeNames hold
    the resource id (user-assigned: ``isExplicit=True`` and the identity's id; system-assigned: the
    resource that has it)."""
    if (sp.servicePrincipalType or "").lower() != "managedidentity":
        return None
    names = [n for n in (sp.alternativeNames or []) if isinstance(n, str)]
    resource = next((n.lower() for n in names if n.lower().startswith("/subscriptions/")), None)
    if resource is None:
        return None
    explicit = any(n.lower() == "isexplicit=true" for n in names)
    return resource if explicit else resource + SYSTEM_IDENTITY_SUFFIX


def _role_node(rows: Rows, tenant: str, template: str, name: str | None, base: dict, scope: str) -> str:
    known_name, privileged = DIRECTORY_ROLES.get(template.lower(), (None, False))
    row = {"id": role_id(tenant, template), "name": name or known_name or template, "role_name": name or known_name,
           "template_id": template.lower(), "privileged": privileged, **base}
    # a role assignment names the role by template id only: it never overwrites the role's own name
    return rows.node(K.DIRECTORY_ROLE, row, scope, weak=name is None)


def _graph_app_roles(directory: X.Directory) -> dict[tuple[str, str], str]:
    """(resource service principal id, app role id) -> permission name, from the exported resource
    service principals' appRoles; Microsoft Graph's well-known ids fill in what was not exported."""
    out = {}
    for sp in directory.of(X.ServicePrincipal):
        for role in sp.appRoles:
            if role.value:
                out[(sp.id.lower(), role.id.lower())] = role.value
        if sp.appId.lower() == MICROSOFT_GRAPH_APP_ID:
            for role_id_, name in GRAPH_APP_ROLES.items():
                out.setdefault((sp.id.lower(), role_id_), name)
    return out


def _app_role(rows: Rows, ara: X.AppRoleAssignment, names: dict[tuple[str, str], str], scope: str) -> None:
    """One edge per (principal, resource API): every permission held on it, ``permission`` the strongest."""
    source, target = oid(ara.principalId), oid(ara.resourceId)
    held = rows.rels[scope][K.HAS_APP_ROLE].get((source, target), {})
    permission = names.get((ara.resourceId.lower(), ara.appRoleId.lower()))
    permissions = sorted({*held.get("permissions", []), *([permission] if permission else [])})
    ids = sorted({*held.get("app_role_ids", []), ara.appRoleId.lower()})
    strongest = next((p for p in ADMIN_GRAPH_PERMISSIONS if p in permissions), permissions[0] if permissions else None)
    rows.rel(K.HAS_APP_ROLE, source, target, scope, permission=strongest, permissions=permissions, app_role_ids=ids)
