"""Azure resource ids: one canonical (lower-case) form for every id and every reference."""

from __future__ import annotations

SYSTEM_IDENTITY_SUFFIX = "/identities/system"
ROLE_DEFINITION_PREFIX = "/providers/microsoft.authorization/roledefinitions/"
MG_PREFIX = "/providers/microsoft.management/managementgroups/"


def norm(value) -> str | None:
    """The canonical form of an Azure id: lower case, one leading slash, no trailing slash."""
    if not isinstance(value, str) or not value.strip():
        return None
    value = value.strip().lower().rstrip("/")
    return value if value.startswith("/") else "/" + value


def ref(obj) -> str | None:
    """The canonical id of an ARM sub-resource reference ``{"id": ...}`` (or a bare id string)."""
    if isinstance(obj, dict):
        return norm(obj.get("id"))
    return norm(obj)


def refs(items, field: str = "references") -> list[str]:
    """The ids of a list of references; anything but a list (a string, an object) is a TypeError naming
    ``field``, never a silent empty answer."""
    if items is None:
        return []
    if not isinstance(items, list):
        raise TypeError(f"field '{field}' must be a list of references, got {type(items).__name__}")
    return [r for r in (ref(i) for i in items) if r]


def subscription_of(rid: str) -> str | None:
    parts = rid.split("/")
    return parts[2] if len(parts) > 2 and parts[1] == "subscriptions" else None


def subscription_id(sub: str) -> str:
    return f"/subscriptions/{sub.lower()}"


def resource_group_of(rid: str) -> str | None:
    """``/subscriptions/s/resourcegroups/rg`` for an id inside a resource group."""
    parts = rid.split("/")
    if len(parts) > 4 and parts[1] == "subscriptions" and parts[3] == "resourcegroups":
        return "/".join(parts[:5])
    return None


def top_resource_of(rid: str) -> str:
    """The top-level resource an id belongs to: a NIC's ip configuration -> the NIC, a container -> its
    storage account (``/subscriptions/s/resourcegroups/rg/providers/ns/type/name``)."""
    parts = rid.split("/")
    if len(parts) > 8 and parts[5] == "providers":
        return "/".join(parts[:9])
    return rid


def parent_of(rid: str, levels: int = 1) -> str:
    """Drop ``levels`` type/name pairs: a database -> its server, a container -> its blob service."""
    return "/".join(rid.split("/")[: -2 * levels])


def role_definition_id(value) -> str | None:
    """Role definitions keyed by guid whatever scope they were read or referenced at."""
    rid = norm(value)
    if not rid:
        return None
    return ROLE_DEFINITION_PREFIX + rid.rsplit("/", 1)[-1]


def scope_id(value, tenant: str | None) -> str | None:
    """A role assignment scope as a node id; ``/`` (tenant root) is the tenant root management group."""
    if value == "/" or value == "":
        return MG_PREFIX + tenant.lower() if tenant else None
    return norm(value)
