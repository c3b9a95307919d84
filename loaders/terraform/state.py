"""`terraform show -json` output, state or plan, as a flat list of managed resources.

State: ``values.root_module`` (resources, child_modules recursively). Plan: ``planned_values.root_module``
plus ``resource_changes`` (which addresses are created) and ``configuration`` (the references between
resources whose ids are unknown until apply)."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from cloudmap.loaders.inputfile import InputError, read_json
from cloudmap.loaders.terraform import shapes


@dataclass
class Resource:
    address: str
    type: str
    name: str
    provider: str                      # aws, azurerm, ... (the provider's short name)
    values: dict
    planned: bool = False              # created by the plan: not in the estate yet
    references: dict[str, list[str]] = field(default_factory=dict)  # attribute -> addresses it refers to


@dataclass
class Document:
    path: Path
    kind: str                          # state or plan
    resources: list[Resource]


def _short_provider(name: str) -> str:
    return name.rsplit("/", 1)[-1] if name else ""


def _walk(module: Any, where: str, out: list[dict]) -> None:
    if not isinstance(module, dict):
        raise InputError(f"{where}: expected an object")
    resources = module.get("resources", [])
    if not isinstance(resources, list):
        raise InputError(f"{where}.resources: expected a list")
    for i, res in enumerate(resources):
        out.append({"_where": f"{where}.resources[{i}]", **res} if isinstance(res, dict)
                   else {"_where": f"{where}.resources[{i}]", "_bad": True})
    children = module.get("child_modules", [])
    if not isinstance(children, list):
        raise InputError(f"{where}.child_modules: expected a list")
    for i, child in enumerate(children):
        _walk(child, f"{where}.child_modules[{i}]", out)


def _config_refs(config: Any) -> dict[str, dict[str, list[str]]]:
    """address -> attribute -> referenced resource addresses, from the plan's root module configuration."""
    out: dict[str, dict[str, list[str]]] = {}
    root = (config or {}).get("root_module") or {} if isinstance(config, dict) else {}
    for res in root.get("resources") or []:
        if not isinstance(res, dict) or not isinstance(res.get("address"), str):
            continue
        refs: dict[str, list[str]] = {}
        for attr, expr in (res.get("expressions") or {}).items():
            if isinstance(expr, dict) and isinstance(expr.get("references"), list):
                refs[attr] = [r for r in expr["references"] if isinstance(r, str)]
        out[res["address"]] = refs
    return out


def parse(doc: Any, path: Path) -> Document:
    if not isinstance(doc, dict):
        raise InputError(f"{path}: expected a JSON object (terraform show -json output)")
    if "planned_values" in doc:
        kind, top = "plan", "planned_values"
    elif "values" in doc or "format_version" in doc:
        kind, top = "state", "values"
    else:
        raise InputError(f"{path}: neither 'values' (state) nor 'planned_values' (plan): not terraform show -json output")
    raw: list[dict] = []
    root = (doc.get(top) or {}).get("root_module") if isinstance(doc.get(top) or {}, dict) else None
    if root is not None:
        _walk(root, f"{top}.root_module", raw)
    elif doc.get(top) not in (None, {}):
        raise InputError(f"{path}: {top}.root_module: missing")
    created: set[str] = set()
    if kind == "plan":
        changes = doc.get("resource_changes") or []
        if not isinstance(changes, list):
            raise InputError(f"{path}: resource_changes: expected a list")
        for i, ch in enumerate(changes):
            actions = (ch.get("change") or {}).get("actions") if isinstance(ch, dict) else None
            if not isinstance(actions, list):
                raise InputError(f"{path}: resource_changes[{i}].change.actions: expected a list")
            if "create" in actions:
                created.add(ch.get("address"))
    refs = _config_refs(doc.get("configuration")) if kind == "plan" else {}
    resources = []
    for res in raw:
        where = f"{path}: {res['_where']}"
        if res.get("_bad"):
            raise InputError(f"{where}: expected an object")
        for key in ("address", "type", "name"):
            if not isinstance(res.get(key), str) or not res[key]:
                raise InputError(f"{where}.{key}: expected a non-empty string")
        if res.get("mode", "managed") != "managed":
            continue  # data sources describe what exists elsewhere, they are not part of this estate
        values = res.get("values", {})
        if not isinstance(values, dict):
            raise InputError(f"{where}.values: expected an object")
        shapes.check(where, res["address"], res["type"], values)
        resources.append(Resource(res["address"], res["type"], res["name"], _short_provider(res.get("provider_name", "")),
                                  {**values, "_where": where}, res["address"] in created,
                                  refs.get(res["address"], {})))
    return Document(path, kind, resources)


def read(path: Path) -> Document:
    return parse(read_json(path), Path(path))
