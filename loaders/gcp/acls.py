"""Legacy access lists as the IAM bindings they amount to: a bucket's ACL and default object ACL
(ignored under uniform bucket-level access, as GCS ignores them), and a BigQuery dataset's ``access``
entries. Each becomes a binding on the resource (``<resource>#acl/<role>``) of a role named
``acl/...`` with the permissions the access level gives, so the engine's access and public-data
rules read them as they read IAM."""

from __future__ import annotations

_BUCKET = ("storage.objects.list",)
_OBJECTS_WRITE = ("storage.objects.create", "storage.objects.delete")
ACL_ROLES: dict[str, tuple[str, ...]] = {
    "acl/storage.bucket.READER": _BUCKET,
    "acl/storage.bucket.WRITER": (*_BUCKET, *_OBJECTS_WRITE),
    "acl/storage.bucket.OWNER": (*_BUCKET, *_OBJECTS_WRITE, "storage.buckets.setIamPolicy"),
    # the default object ACL is what new objects get: reading them
    "acl/storage.defaultObject.READER": ("storage.objects.get",),
    "acl/storage.defaultObject.OWNER": ("storage.objects.get",),
    "acl/bigquery.READER": ("bigquery.tables.getData", "bigquery.tables.list"),
    "acl/bigquery.WRITER": ("bigquery.tables.getData", "bigquery.tables.updateData"),
    "acl/bigquery.OWNER": ("bigquery.tables.getData", "bigquery.tables.updateData", "bigquery.datasets.setIamPolicy"),
}
_PROJECT_GROUPS = {"owners": "projectOwner", "editors": "projectEditor", "viewers": "projectViewer"}
_SPECIAL = {"projectOwners": "projectOwner", "projectWriters": "projectEditor", "projectReaders": "projectViewer"}


def _email(kind: str, email: str) -> str:
    return f"serviceAccount:{email}" if email.endswith(".gserviceaccount.com") else f"{kind}:{email}"


def bucket_entity(entity: str) -> str | None:
    """A GCS ACL entity (``allUsers``, ``user-<email>``, ``group-<email>``, ``domain-<d>``,
    ``project-<team>-<number>``) as the IAM member it stands for."""
    if entity in ("allUsers", "allAuthenticatedUsers"):
        return entity
    kind, _, rest = entity.partition("-")
    if kind in ("user", "group") and rest:
        return _email(kind, rest)
    if kind == "domain" and rest:
        return f"domain:{rest}"
    team, _, project = rest.partition("-")
    if kind == "project" and team in _PROJECT_GROUPS and project:
        return f"{_PROJECT_GROUPS[team]}:{project}"
    return None


def bucket_bindings(data: dict) -> list[dict]:
    if ((data.get("iamConfiguration") or {}).get("uniformBucketLevelAccess") or {}).get("enabled"):
        return []
    grouped: dict[str, set[str]] = {}
    for key, prefix in (("acl", "acl/storage.bucket."), ("defaultObjectAcl", "acl/storage.defaultObject.")):
        for entry in data.get(key) or []:
            role, member = f"{prefix}{entry.get('role')}", bucket_entity(str(entry.get("entity") or ""))
            if role in ACL_ROLES and member:
                grouped.setdefault(role, set()).add(member)
    return [{"role": r, "members": sorted(m), "via": "acl"} for r, m in sorted(grouped.items())]


def dataset_member(entry: dict, project: str | None) -> str | None:
    if entry.get("iamMember"):
        return str(entry["iamMember"])
    for key, kind in (("userByEmail", "user"), ("groupByEmail", "group")):
        if entry.get(key):
            return _email(kind, str(entry[key]))
    if entry.get("domain"):
        return f"domain:{entry['domain']}"
    special = entry.get("specialGroup")
    if special == "allAuthenticatedUsers":
        return special
    return f"{_SPECIAL[special]}:{project}" if special in _SPECIAL and project else None


def dataset_bindings(data: dict) -> list[dict]:
    """Authorized views, routines and datasets name no principal and are skipped."""
    project = (data.get("datasetReference") or {}).get("projectId")
    grouped: dict[str, set[str]] = {}
    for entry in data.get("access") or []:
        role = str(entry.get("role") or "")
        role = role if role.startswith("roles/") else f"acl/bigquery.{role}"
        member = dataset_member(entry, project)
        if member and (role in ACL_ROLES or role.startswith("roles/")):
            grouped.setdefault(role, set()).add(member)
    return [{"role": r, "members": sorted(m), "via": "acl"} for r, m in sorted(grouped.items())]
