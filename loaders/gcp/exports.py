"""Offline input: Cloud Asset Inventory output in the forms `gcloud` writes.

* ``gcloud asset export --content-type=resource|iam-policy``: newline-delimited JSON, one asset per line,
  snake_case top level (``asset_type``, ``iam_policy``); ``resource.data`` keeps the API's camelCase.
* ``gcloud asset list --format=json``: one JSON array, camelCase (``assetType``, ``iamPolicy``).
* ``gcloud asset search-all-resources --read-mask='*' --format=json``: one JSON array of search results
  whose ``versionedResources[].resource`` holds the resource's data, its hierarchy in ``project``,
  ``folders`` and ``organization``.
* ``gcloud asset search-all-iam-policies --format=json``: one JSON array of ``{resource, assetType,
  policy}`` results (a resource's bindings may come split over several results).

All become :class:`Asset`; every file is read and checked before anything is written. The live path
(:mod:`cloudmap.loaders.gcp.live`) reads the same shapes from the Cloud Asset API."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path

from cloudmap.loaders.gcp.iam import BindingError, check_bindings
from cloudmap.loaders.inputfile import InputError, read_text


class GCPInputError(ValueError):
    """Input that cannot be mapped; the message names the file, the line and the field."""


@dataclass
class Asset:
    name: str
    asset_type: str
    data: dict
    bindings: list[dict]
    ancestors: list[str]
    origin: str
    iam_only: bool = field(default=False)


def _pick(obj: dict, snake: str, camel: str):
    return obj.get(snake) if snake in obj else obj.get(camel)


def check_asset(obj, origin: str) -> Asset:
    if not isinstance(obj, dict):
        raise GCPInputError(f"{origin}: an asset must be a JSON object, got {type(obj).__name__}")
    for snake, camel in (("name", "name"), ("asset_type", "assetType")):
        value = _pick(obj, snake, camel)
        if not isinstance(value, str) or not value.strip():
            raise GCPInputError(f"{origin}: field '{snake}' is missing or not a string")
    name, asset_type = obj["name"], _pick(obj, "asset_type", "assetType")
    resource = obj.get("resource")
    if resource is not None and not isinstance(resource, dict):
        raise GCPInputError(f"{origin} ({name}): field 'resource' must be an object")
    data = (resource or {}).get("data")
    if data is not None and not isinstance(data, dict):
        raise GCPInputError(f"{origin} ({name}): field 'resource.data' must be an object")
    policy = _pick(obj, "iam_policy", "iamPolicy")
    if policy is not None and not isinstance(policy, dict):
        raise GCPInputError(f"{origin} ({name}): field 'iam_policy' must be an object")
    bindings = (policy or {}).get("bindings") or []
    try:
        check_bindings(bindings, "iam_policy.bindings")
    except BindingError as exc:
        raise GCPInputError(f"{origin} ({name}): field '{exc.field}' {exc.problem}") from None
    ancestors = obj.get("ancestors") or []
    if not isinstance(ancestors, list) or not all(isinstance(a, str) for a in ancestors):
        raise GCPInputError(f"{origin} ({name}): field 'ancestors' must be an array of strings")
    return Asset(name, asset_type, data or {}, bindings, ancestors, origin, iam_only=resource is None)


def _search_ancestors(obj: dict, origin: str, name: str) -> list[str]:
    ancestors = []
    for key in ("project", "folders", "organization"):
        value = obj.get(key)
        values = value if isinstance(value, list) else [value] if value else []
        if not all(isinstance(v, str) for v in values):
            raise GCPInputError(f"{origin} ({name}): field '{key}' must be a string" + (" array" if key == "folders"
                                                                                       else ""))
        ancestors.extend(values)
    return ancestors


def check_search_resource(obj: dict, origin: str) -> Asset:
    """One ``searchAllResources`` result read with ``--read-mask='*'`` (the data is in ``versionedResources``)."""
    for key in ("name", "assetType"):
        if not isinstance(obj.get(key), str) or not obj[key].strip():
            raise GCPInputError(f"{origin}: field '{key}' is missing or not a string")
    name = obj["name"]
    versions = obj.get("versionedResources")
    if not isinstance(versions, list) or not versions:
        raise GCPInputError(f"{origin} ({name}): field 'versionedResources' is missing: search with --read-mask='*'")
    for i, v in enumerate(versions):
        if not isinstance(v, dict) or not isinstance(v.get("resource"), dict):
            raise GCPInputError(f"{origin} ({name}): field 'versionedResources[{i}].resource' must be an object")
    chosen = next((v for v in versions if v.get("version") == "v1"), versions[0])
    return check_asset({"name": name, "assetType": obj["assetType"], "resource": {"data": chosen["resource"]},
                        "ancestors": _search_ancestors(obj, origin, name)}, origin)


def check_search_policy(obj: dict, origin: str) -> Asset:
    """One ``searchAllIamPolicies`` result."""
    for key in ("resource", "assetType"):
        if not isinstance(obj.get(key), str) or not obj[key].strip():
            raise GCPInputError(f"{origin}: field '{key}' is missing or not a string")
    if not isinstance(obj.get("policy"), dict):
        raise GCPInputError(f"{origin} ({obj['resource']}): field 'policy' is missing or not an object")
    return check_asset({"name": obj["resource"], "assetType": obj["assetType"], "iamPolicy": obj["policy"],
                        "ancestors": _search_ancestors(obj, origin, obj["resource"])}, origin)


def check_any(obj, origin: str) -> Asset:
    """An item of any of the forms: an asset (export, list) or a search result (resources, IAM policies)."""
    if isinstance(obj, dict) and "versionedResources" in obj:
        return check_search_resource(obj, origin)
    if isinstance(obj, dict) and "policy" in obj and isinstance(obj.get("resource"), str):
        return check_search_policy(obj, origin)
    return check_asset(obj, origin)


def read_export(path: Path | str) -> list[Asset]:
    """Every asset of one file, checked; GCPInputError names the file, the line and the field."""
    path = Path(path)
    try:
        text = read_text(path)   # the shared reader: gzip, byte order marks, --max-input-mb
    except InputError as exc:
        raise GCPInputError(str(exc)) from None
    except OSError as exc:
        raise GCPInputError(f"{path}: cannot read: {exc}") from None
    if text.lstrip().startswith("["):  # gcloud asset list / search-all-* --format=json
        try:
            doc = json.loads(text)
        except json.JSONDecodeError as exc:
            raise GCPInputError(f"{path} line {exc.lineno}: not valid JSON: {exc.msg}") from None
        return [check_any(obj, f"{path} item {i}") for i, obj in enumerate(doc)]
    assets = []
    for lineno, line in enumerate(text.splitlines(), 1):
        if not line.strip():
            continue
        try:
            obj = json.loads(line)
        except json.JSONDecodeError as exc:
            raise GCPInputError(f"{path} line {lineno}: not valid JSON: {exc.msg}") from None
        assets.append(check_asset(obj, f"{path} line {lineno}"))
    return assets
