"""Offline input: Microsoft Graph list responses as saved (``{"@odata.context": ..., "value": [...]}``:
directory objects, ``/oauth2PermissionGrants``, ``/reports/authenticationMethods/userRegistrationDetails``)
and the JSON arrays of ``az ad user|group|sp|app list`` and ``az ad group member list``.

Each object is classified by its ``@odata.type`` (Graph) or, for az's output which has none, by the
fields only that kind has, then validated by the model of its kind. A member list names no group in
its body, so its file name must carry the group's object id (``group-<id>-members.json``), or the
groups must be exported with ``$expand=members``."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from cloudmap.loaders.inputfile import InputError, parse, read_json
from pydantic import BaseModel, ConfigDict, Field

GUID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}", re.IGNORECASE)


class _Obj(BaseModel):
    model_config = ConfigDict(extra="allow", populate_by_name=True)
    id: str = Field(min_length=1, max_length=64)
    odata_type: str | None = Field(None, alias="@odata.type")


class Credential(BaseModel):
    model_config = ConfigDict(extra="allow")
    keyId: str | None = None
    displayName: str | None = None
    startDateTime: str | None = None
    endDateTime: str | None = None


class Member(_Obj):
    pass


class User(_Obj):
    displayName: str | None = None
    userPrincipalName: str | None = None
    accountEnabled: bool | None = None
    userType: str | None = None
    signInActivity: dict[str, Any] | None = None


class Group(_Obj):
    displayName: str | None = None
    securityEnabled: bool | None = None
    mailEnabled: bool | None = None
    groupTypes: list[str] = []
    isAssignableToRole: bool | None = None
    members: list[Member] | None = None
    owners: list[Member] | None = None


class Application(_Obj):
    displayName: str | None = None
    appId: str
    signInAudience: str | None = None
    passwordCredentials: list[Credential] = []
    keyCredentials: list[Credential] = []
    owners: list[Member] | None = None


class AppRole(BaseModel):
    model_config = ConfigDict(extra="allow")
    id: str
    value: str | None = None


class ServicePrincipal(_Obj):
    displayName: str | None = None
    appId: str
    servicePrincipalType: str | None = None
    alternativeNames: list[str] = []
    accountEnabled: bool | None = None
    appOwnerOrganizationId: str | None = None
    passwordCredentials: list[Credential] = []
    keyCredentials: list[Credential] = []
    appRoles: list[AppRole] = []
    owners: list[Member] | None = None
    appRoleAssignments: list[dict[str, Any]] | None = None


class DirectoryRole(_Obj):
    displayName: str | None = None
    roleTemplateId: str
    members: list[Member] | None = None


class RoleAssignment(_Obj):
    principalId: str
    roleDefinitionId: str
    directoryScopeId: str = "/"


class AppRoleAssignment(_Obj):
    principalId: str
    resourceId: str
    appRoleId: str


class OAuth2Grant(_Obj):
    """A delegated permission grant: ``clientId`` (a service principal) may call ``resourceId`` with
    ``scope`` on behalf of every user (``AllPrincipals``) or of one (``Principal``, ``principalId``)."""
    clientId: str
    resourceId: str
    consentType: str | None = None
    principalId: str | None = None
    scope: str | None = None


class RegistrationDetails(_Obj):
    """A row of ``/reports/authenticationMethods/userRegistrationDetails``: the user's MFA registration."""
    isMfaRegistered: bool | None = None
    isMfaCapable: bool | None = None
    userPrincipalName: str | None = None


# Graph's @odata.type → model; az output (no @odata.type) is told apart by what only that kind has.
KINDS: dict[str, type[_Obj]] = {
    "#microsoft.graph.user": User, "#microsoft.graph.group": Group,
    "#microsoft.graph.application": Application, "#microsoft.graph.servicePrincipal": ServicePrincipal,
    "#microsoft.graph.directoryRole": DirectoryRole,
    "#microsoft.graph.unifiedRoleAssignment": RoleAssignment,
    "#microsoft.graph.appRoleAssignment": AppRoleAssignment,
    "#microsoft.graph.oAuth2PermissionGrant": OAuth2Grant,
    "#microsoft.graph.userRegistrationDetails": RegistrationDetails,
}
CONTEXT_KINDS = {"users": User, "groups": Group, "applications": Application, "servicePrincipals": ServicePrincipal,
                 "directoryRoles": DirectoryRole, "roleManagement/directory/roleAssignments": RoleAssignment,
                 "appRoleAssignments": AppRoleAssignment, "oauth2PermissionGrants": OAuth2Grant,
                 "reports/authenticationMethods/userRegistrationDetails": RegistrationDetails}


def classify(obj: dict) -> type[_Obj] | None:
    kind = KINDS.get(str(obj.get("@odata.type") or ""))
    if kind:
        return kind
    if "isMfaRegistered" in obj:
        return RegistrationDetails
    if "clientId" in obj and "consentType" in obj:
        return OAuth2Grant
    if "userPrincipalName" in obj:
        return User
    if "servicePrincipalType" in obj or "servicePrincipalNames" in obj:
        return ServicePrincipal
    if "roleTemplateId" in obj:
        return DirectoryRole
    if "roleDefinitionId" in obj and "principalId" in obj:
        return RoleAssignment
    if "appRoleId" in obj and "resourceId" in obj:
        return AppRoleAssignment
    if "securityEnabled" in obj or "groupTypes" in obj:
        return Group
    if "appId" in obj:
        return Application
    return None


@dataclass
class Directory:
    """Everything read from the files, by kind; ``members`` are (group id, member) pairs from member lists."""
    objects: dict[type, dict[str, _Obj]] = field(default_factory=dict)
    members: list[tuple[str, Member]] = field(default_factory=list)
    tenant_id: str | None = None
    listed: set[type] = field(default_factory=set)   # kinds a whole list was read of (even an empty one)

    def add(self, obj: _Obj) -> None:
        bucket = self.objects.setdefault(type(obj), {})
        # the same object from two files (a list and an $expand) is one object: keep the fuller one
        if obj.id not in bucket or len(obj.model_dump(exclude_none=True)) > len(bucket[obj.id].model_dump(
                exclude_none=True)):
            bucket[obj.id] = obj

    def of(self, kind: type[_Obj]) -> list:
        return list(self.objects.get(kind, {}).values())


def read_exports(paths: list[Path | str], tenant_id: str | None = None) -> Directory:
    """Every file checked before anything is written; InputError names the file, object and field."""
    directory = Directory(tenant_id=tenant_id)
    for path in paths:
        _read_one(Path(path), directory)
    return directory


def _read_one(path: Path, directory: Directory) -> None:
    doc = read_json(path)
    context = ""
    if isinstance(doc, dict):
        if not isinstance(doc.get("value"), list):
            raise InputError(f"{path}: expected a Microsoft Graph list response (an object with a 'value' array) "
                             f"or the JSON array of an `az ad ... list`, got an object without 'value'")
        context = str(doc.get("@odata.context") or "")
        tenant = re.search(r"/tenants/([0-9a-f-]{36})/", context)
        if tenant and not directory.tenant_id:
            directory.tenant_id = tenant.group(1)
        rows = doc["value"]
    elif isinstance(doc, list):
        rows = doc
    else:
        raise InputError(f"{path}: expected a Microsoft Graph list response or a JSON array, "
                         f"got {type(doc).__name__}")
    collection = context.split("#", 1)[1].split("(", 1)[0].rstrip("/") if "#" in context else ""
    member_list = collection == "directoryObjects" or (not collection and path.stem.lower().endswith("members"))
    group_id = _group_of(path) if member_list else None
    if member_list and not group_id:
        raise InputError(f"{path}: a member list does not say which group it lists: name the file after the "
                         f"group's object id (group-<object id>-members.json), or export the groups with "
                         f"$expand=members")
    add_rows(directory, rows, lambda i: f"{path}: value[{i}]" if isinstance(doc, dict) else f"{path}: [{i}]",
             collection=collection, group_id=group_id)


def add_rows(directory: Directory, rows: list, where, collection: str = "", group_id: str | None = None) -> None:
    """Validate and add the objects of one list: ``collection`` is the Graph collection it was listed
    from (``users``, ...; empty to classify each object), ``group_id`` the group a member list lists.
    ``where(i)`` names the row in an InputError."""
    kind_of_list = CONTEXT_KINDS.get(collection)
    if kind_of_list:
        directory.listed.add(kind_of_list)
    for i, row in enumerate(rows):
        if not isinstance(row, dict):
            raise InputError(f"{where(i)}: must be an object, got {type(row).__name__}")
        if group_id:
            directory.members.append((group_id, parse(Member, row, where(i))))
            kind = classify(row)
            if kind in (User, Group, ServicePrincipal):   # a member list carries the member's fields too
                directory.add(parse(kind, row, where(i)))
            continue
        kind = kind_of_list or classify(row)
        if kind is None:
            raise InputError(f"{where(i)}: not a directory object cloudmap reads (user, group, application, "
                             f"service principal, directory role, role assignment, permission grant): no "
                             f"@odata.type and none of the fields that tell them apart")
        directory.add(parse(kind, row, where(i)))


def _group_of(path: Path) -> str | None:
    found = GUID.search(path.name)
    return found.group(0).lower() if found else None
