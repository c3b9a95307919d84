"""IAM policies as rows, shared by every source of Google Cloud bindings: Cloud Asset Inventory
(``iam_policy``, search results, legacy ACLs) and Terraform (``google_*_iam_member``, ``_binding``,
``_policy``). A binding is given in the Cloud Asset shape ``{role, members, condition?, via?}``; the
same binding from either source is the same nodes and relationships:

* a ``GCPBinding`` ``<resource>#<via>/<role>`` (``?<condition title or expression>`` appended), its
  members merged with those an earlier result of the same input gave it;
* ``HAS_BINDING`` from the resource, ``GRANTS`` its role, ``ASSIGNED_TO`` each member: a service account
  by its email-form name, any other member as ``gcp:<member>`` (``allUsers`` and
  ``allAuthenticatedUsers`` are no node: the binding is ``public``);
* the role: a predefined one with the permissions of the shipped data, a custom one (``projects/…/roles/…``,
  ``organizations/…/roles/…``) by its name, its permissions left to the source that defines it.

The rows object is either collector (``loaders/gcp/transform.py``'s or the loader kit's): both take
``node(kind, row, scope, weak=)`` and ``rel(kind, source, target, scope, **props)``."""

from __future__ import annotations

import re

from cloudmap.loaders.gcp.acls import ACL_ROLES
from cloudmap.loaders.gcp.predefined_roles import ROLES

from cloudmap.graph.kinds import gcp as K

IAM = "//iam.googleapis.com/"
PUBLIC_MEMBERS = ("allUsers", "allAuthenticatedUsers")
_SA_EMAIL = re.compile(r"^[^@]+@([a-z0-9-]+)\.iam\.gserviceaccount\.com$")


class BindingError(ValueError):
    """A binding that is not ``{role: str, members: [str], condition: {expression: str}?}``: ``field``
    is the path of the bad field, ``problem`` what is wrong with it."""

    def __init__(self, field: str, problem: str):
        super().__init__(f"{field}: {problem}")
        self.field, self.problem = field, problem


def sa_id(email: str, project_id: str | None = None) -> str:
    m = _SA_EMAIL.match(email)
    return f"{IAM}projects/{(m.group(1) if m else project_id) or '-'}/serviceAccounts/{email.lower()}"


def is_custom_role(role: str) -> bool:
    return role.startswith(("projects/", "organizations/"))


def check_bindings(bindings, field: str) -> list[dict]:
    """The bindings of one policy, checked (BindingError names ``<field>[i].<key>``)."""
    if not isinstance(bindings, list):
        raise BindingError(field, "must be an array")
    for i, b in enumerate(bindings):
        if not isinstance(b, dict) or not isinstance(b.get("role"), str) or not b["role"]:
            raise BindingError(f"{field}[{i}].role", "is missing or not a string")
        if not isinstance(b.get("members"), list) or not all(isinstance(m, str) for m in b["members"]):
            raise BindingError(f"{field}[{i}].members", "must be an array of strings")
        cond = b.get("condition")
        if cond is not None and (not isinstance(cond, dict) or not isinstance(cond.get("expression", ""), str)
                                 or not isinstance(cond.get("title", ""), str)):
            raise BindingError(f"{field}[{i}].condition", "must be an object with a string expression")
    return bindings


def member_row(member: str) -> tuple | None:
    """(kind, row) of the node one member is; None for allUsers and allAuthenticatedUsers."""
    kind, _, value = member.partition(":")
    if member in PUBLIC_MEMBERS:
        return None
    if kind == "serviceAccount":
        return K.SERVICE_ACCOUNT, {"id": sa_id(value), "name": value.lower(), "provider": "gcp",
                                   "email": value.lower()}
    return K.MEMBER, {"id": f"gcp:{member}", "name": member, "member": member, "provider": "gcp"}


def member_node(rows, member: str, scope) -> str | None:
    """The node of one member: a service account (weakly) in ``scope``, users, groups and domains in no
    scope (no cleanup removes them)."""
    found = member_row(member)
    if found is None:
        return None
    kind, row = found
    return rows.node(kind, row, scope if kind is K.SERVICE_ACCOUNT else None, weak=True)


def role_node(rows, role: str) -> str:
    """A role a binding grants, unless this input defines it already. A custom role's row names it only,
    so that it never overwrites the permissions its own definition wrote."""
    if role in rows.nodes[K.ROLE]:
        return role
    row = {"id": role, "name": role, "provider": "gcp", "policy_type": "gcp-role"}
    if is_custom_role(role):
        row["custom"] = True
    else:
        row.update(custom=False, permissions=list(ROLES.get(role) or ACL_ROLES.get(role, ())))
    return rows.node(K.ROLE, row, None, weak=True)


def binding_id(resource: str, binding: dict) -> str:
    cond = binding.get("condition") or {}
    via = binding.get("via", "iam")   # iam, or acl: a legacy access list (loaders/gcp/acls.py)
    return f"{resource}#{via}/{binding['role']}" + (f"?{cond.get('title') or cond.get('expression')}" if cond else "")


def policy_rows(rows, resource: str, scope, bindings: list[dict], member_node=member_node) -> None:
    """The rows of one resource's bindings (a whole policy, or part of one)."""
    for b in bindings:
        cond = b.get("condition") or {}
        via = b.get("via", "iam")
        bid = binding_id(resource, b)
        earlier = rows.nodes[K.BINDING].get(bid)  # a search result may carry part of a binding's members
        members = set(b["members"]) | set(earlier[1]["members"] if earlier else ())
        row = {"id": bid, "name": f"{b['role']} on {resource.rsplit('/', 1)[-1]}", "provider": "gcp",
               "role": b["role"], "members": sorted(members), "condition": cond.get("expression") or None,
               "policy_type": f"gcp-{'acl' if via == 'acl' else 'binding'}",
               "public": any(m in PUBLIC_MEMBERS for m in members)}
        rows.node(K.BINDING, {k: v for k, v in row.items() if v is not None}, scope)
        rows.rel(K.HAS_BINDING, resource, bid, scope)
        rows.rel(K.BINDING_ROLE, bid, role_node(rows, b["role"]), scope)
        for m in b["members"]:
            rows.rel(K.BINDING_MEMBER, bid, member_node(rows, m, scope), scope)
