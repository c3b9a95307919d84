"""Rows -> :class:`Plan`: every row through its type's handler, then the facts that span rows."""

from __future__ import annotations

from collections.abc import Callable, Iterable

from cloudmap.loaders.azure import access, app_settings, automation, compute, data, defender, network  # noqa: F401 - register handlers
from cloudmap.loaders.azure.plan import HANDLERS, AzureInputError, Plan, Res


def build_plan(rows: Iterable[Res], lookup_principals: Callable[[list[str]], dict[str, str]] | None = None,
               covered: Iterable[str] = ()) -> Plan:
    """A complete plan, or AzureInputError naming the row (file and position) and what is wrong with it.

    ``lookup_principals`` maps principal ids this input does not define to identity ids already in
    the graph; ``covered`` adds scopes known complete even when empty (live queries)."""
    plan = Plan()
    plan.covered.update(covered)
    for res in rows:
        handler = HANDLERS.get(res.type)
        if handler is None:
            plan.skipped_types[res.type] += 1
            continue
        try:
            handler(plan, res)
        except (AzureInputError, TypeError, AttributeError, ValueError, KeyError) as exc:
            raise AzureInputError(f"{res.origin} ({res.raw.get('id')}): {_describe(exc)}") from None
    network.resolve_pools(plan)
    data.resolve_sql(plan)
    named = {p for _, _, p, _ in plan.assignments} | {p for _, _, p, _ in plan.vault_policies}
    missing = sorted(named - plan.principals.keys())
    access.resolve_access(plan, (lookup_principals(missing) if lookup_principals and missing else {}))
    return plan


def _describe(exc: Exception) -> str:
    if isinstance(exc, AttributeError):  # a field that should be an object is a string / list
        return f"unexpected shape: {exc}"
    if isinstance(exc, KeyError):
        return f"missing field {exc}"
    return str(exc)
