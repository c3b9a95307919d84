"""What a load will write, built from rows before anything touches the graph.

Handlers (one per Resource Graph ``type``, registered with :func:`handles`) add nodes and
relationships to a :class:`Plan`; nodes are merged by id across rows and files, so the same resource
seen twice (or with different casing) is one node. Facts that need several rows (load balancer pools,
SQL firewall rules, principals named by role assignments) are collected and resolved in ``finish``.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from cloudmap.loaders.azure import ids
from cloudmap.loaders.kit import Rows

from cloudmap.graph.kinds import azure as K
from cloudmap.graph.model import NodeKind, RelKind

HANDLERS: dict[str, Callable[[Plan, Res], None]] = {}


def handles(*types: str):
    def register(fn):
        for t in types:
            HANDLERS[t.lower()] = fn
        return fn
    return register


class AzureInputError(ValueError):
    """Input rows that cannot be mapped; the message names the file, the row and the field."""


def get(obj: Any, path: str, default=None):
    """``get(row, "properties.extended.instanceView")`` tolerating missing levels and nulls."""
    for key in path.split("."):
        if not isinstance(obj, dict):
            return default
        obj = obj.get(key)
    return default if obj is None else obj


def as_list(value) -> list:
    if value is None:
        return []
    if not isinstance(value, list):
        raise AzureInputError(f"expected a list, got {type(value).__name__}")
    return value


@dataclass
class Res:
    """One Resource Graph row, with its canonical id and where it came from."""
    raw: dict
    origin: str  # "file.json row 3" or "Resources page row 3"

    def __post_init__(self):
        self.id = ids.norm(self.raw.get("id"))
        self.type = str(self.raw.get("type") or "").lower()
        self.props = self.raw.get("properties") or {}
        self.sub = (self.raw.get("subscriptionId") or ids.subscription_of(self.id) or "").lower() or None
        self.tenant = (self.raw.get("tenantId") or "").lower() or None

    def get(self, path: str, default=None):
        return get(self.raw, path, default)

    @property
    def name(self) -> str:
        return self.raw.get("name") or self.id.rsplit("/", 1)[-1]

    @property
    def tags(self) -> dict:
        tags = self.raw.get("tags")
        return tags if isinstance(tags, dict) else {}


def scope_name(sub: str | None, part: str, tenant: str | None = None) -> str:
    if sub:
        return f"azure/{sub}/{part}"
    return f"azure/tenant/{tenant or 'unknown'}/{part}"


class Plan(Rows):
    """The rows of one Azure load, a scope per subscription part, and the facts that need several rows."""

    def __init__(self) -> None:
        super().__init__()
        self.skipped_types: Counter = Counter()
        self.principals: dict[str, str] = {}      # principal id -> identity node id
        self.assignments: list[tuple[str, str, str, str]] = []  # scope, ra id, principal id, type
        self.pool_members: dict[str, set[str]] = defaultdict(set)  # backend pool -> NIC/VMSS
        self.pool_ips: dict[str, set[str]] = defaultdict(set)  # app gw pool -> backend IPs
        self.pool_routes: list[tuple[str, str, RelKind, list[str], list[str]]] = []
        self.nic_vm: dict[str, str] = {}
        self.nic_ips: dict[str, list[str]] = {}
        self.sql_firewall: dict[str, list[tuple[str, str, str]]] = defaultdict(list)
        self.sql_databases: dict[str, list[str]] = defaultdict(list)
        self.vault_policies: list[tuple[str, str, str, dict]] = []  # scope, vault id, principal id, permissions

    # -- writes into the plan --------------------------------------------------------------------
    def node(self, kind: NodeKind, row: dict, scope: str | None, weak: bool = False) -> str:
        """Add or merge a node (absent values left out, so a partial row never blanks a fact)."""
        return super().node(kind, {k: v for k, v in row.items() if v is not None}, scope, weak)

    def rel(self, kind: RelKind, source: str | None, target: str | None, scope: str, /, **props) -> None:
        if source != target:
            super().rel(kind, source, target, scope, **{k: v for k, v in props.items() if v is not None})

    def asset(self, kind: NodeKind, res: Res, scope_part: str = "resources", contained: bool = True,
              **props) -> str:
        """A resource row as an asset node, with its resource group (and subscription) and CONTAINS."""
        scope = scope_name(res.sub, scope_part, res.tenant)
        super().asset(kind, res.id, provider="azure", name=res.name, account_id=res.sub,
                      region=res.raw.get("location"), tags=res.tags, scope=scope,
                      **{k: v for k, v in props.items() if v is not None})
        rg = ids.resource_group_of(res.id)
        if contained and rg:
            self.container(res.sub, rg, res.tenant)
            self.rel(K.RG_CONTAINS, rg, res.id, scope)
        return res.id

    def container(self, sub: str | None, rg: str | None, tenant: str | None) -> None:
        """Subscription and resource group nodes implied by an id, in case their rows are not in the input."""
        if not sub:
            return
        scope = scope_name(sub, "containers")
        sid = ids.subscription_id(sub)
        self.node(K.SUBSCRIPTION, {"id": sid, "name": sub, "provider": "azure", "account_id": sub,
                                   "subscription_id": sub, "tenant_id": tenant}, scope, weak=True)
        if rg:
            self.node(K.RESOURCE_GROUP, {"id": rg, "name": rg.rsplit("/", 1)[-1], "provider": "azure",
                                         "account_id": sub}, scope, weak=True)
            self.rel(K.SUB_CONTAINS, sid, rg, scope)

    def identity(self, workload: str, res: Res, identity: dict | None = None, scope: str | None = None) -> None:
        """System- and user-assigned managed identities of a workload -> USES_IDENTITY."""
        identity = identity if identity is not None else (res.raw.get("identity") or {})
        if not isinstance(identity, dict):
            raise AzureInputError("field 'identity' must be an object")
        scope = scope or scope_name(res.sub, "resources", res.tenant)
        kind = str(identity.get("type") or "").lower()
        if "systemassigned" in kind and identity.get("principalId"):
            mid = workload + ids.SYSTEM_IDENTITY_SUFFIX
            self.managed_identity(mid, f"{res.name} (system identity)", identity["principalId"],
                                  identity.get("tenantId") or res.tenant, None, "system", res.sub, scope)
            self.rel(K.USES_IDENTITY, workload, mid, scope, via="managed-identity")
        for uid, details in (identity.get("userAssignedIdentities") or {}).items():
            mid = ids.norm(uid)
            details = details or {}
            self.managed_identity(mid, mid.rsplit("/", 1)[-1], details.get("principalId"), res.tenant,
                                  details.get("clientId"), "user", ids.subscription_of(mid), scope, weak=True)
            self.rel(K.USES_IDENTITY, workload, mid, scope, via="managed-identity")

    def managed_identity(self, mid, name, principal_id, tenant, client_id, assignment, sub, scope,
                         weak=False) -> None:
        principal_id = (principal_id or "").lower() or None
        self.node(K.MANAGED_IDENTITY, {"id": mid, "name": name, "provider": "azure", "account_id": sub,
                                       "principal_id": principal_id, "tenant_id": tenant,
                                       "client_id": client_id, "assignment": assignment}, scope, weak=weak)
        if principal_id:
            self.principals[principal_id] = mid
