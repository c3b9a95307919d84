"""Azure RBAC evaluation, pure Python.

A role definition permits an operation when one of its ``actions`` (control plane) or
``data_actions`` (data plane) patterns matches it and none of the matching ``not_*`` patterns does.
Patterns are case-insensitive with ``*`` wildcards. An assignment applies to its scope and to
everything below it (management group → subscription → resource group → resource); the caller
resolves scopes from the graph's CONTAINS chain, or by id prefix with :func:`scope_covers`.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from cloudmap.engine.aws_policy import wildcard_match

ROLE_ASSIGNMENT_WRITE = "Microsoft.Authorization/roleAssignments/write"


@dataclass(frozen=True)
class RoleDefinition:
    id: str
    name: str = ""
    actions: tuple[str, ...] = ()
    not_actions: tuple[str, ...] = ()
    data_actions: tuple[str, ...] = ()
    not_data_actions: tuple[str, ...] = ()

    @staticmethod
    def from_row(row: dict) -> RoleDefinition:
        return RoleDefinition(row["id"], row.get("name") or "", *(tuple(row.get(k) or ()) for k in
                              ("actions", "not_actions", "data_actions", "not_data_actions")))

    def permits(self, operation: str, data: bool = False) -> bool:
        allow, deny = (self.data_actions, self.not_data_actions) if data else (self.actions, self.not_actions)
        return (any(wildcard_match(p, operation, True) for p in allow)
                and not any(wildcard_match(p, operation, True) for p in deny))

    def is_owner_like(self) -> bool:
        """Full control: every action, including granting roles (Owner; not Contributor)."""
        return self.permits("*/write") and self.permits(ROLE_ASSIGNMENT_WRITE) and self.permits("Microsoft.Foo/bar/delete")


def scope_covers(scope_id: str, resource_id: str) -> bool:
    """An assignment at ``scope_id`` applies to ``resource_id`` (Azure ids are paths, lower case)."""
    s, r = scope_id.lower().rstrip("/"), resource_id.lower().rstrip("/")
    return r == s or r.startswith(s + "/")


def permitted(roles: Iterable[RoleDefinition], operations: Iterable[tuple[str, bool]]) -> list[str]:
    """The operations (``(operation, is_data_action)``) that any of the roles permits."""
    roles = list(roles)
    return [op for op, data in operations if any(r.permits(op, data) for r in roles)]
