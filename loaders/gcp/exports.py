"""Offline input: Cloud Asset Inventory output in the forms `gcloud` writes.

* ``gcloud asset export --content-type=resource|iam-policy``: newline-delimited JSON, one asset per line,
  snake_case top level (``asset_type``, ``iam_policy``); ``resource.data`` keeps the API's camelCase.
* ``gcloud asset list --format=json``: one JSON array, camelCase (``assetType``, ``iamPolicy``).

Both become :class:`Asset`; every file is read and checked before anything is written."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path


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
    if not isinstance(bindings, list):
        raise GCPInputError(f"{origin} ({name}): field 'iam_policy.bindings' must be an array")
    for i, b in enumerate(bindings):
        if not isinstance(b, dict) or not isinstance(b.get("role"), str):
            raise GCPInputError(f"{origin} ({name}): field 'iam_policy.bindings[{i}].role' is missing or not a string")
        if not isinstance(b.get("members"), list) or not all(isinstance(m, str) for m in b["members"]):
            raise GCPInputError(f"{origin} ({name}): field 'iam_policy.bindings[{i}].members' must be an array "
                                f"of strings")
    ancestors = obj.get("ancestors") or []
    if not isinstance(ancestors, list) or not all(isinstance(a, str) for a in ancestors):
        raise GCPInputError(f"{origin} ({name}): field 'ancestors' must be an array of strings")
    return Asset(name, asset_type, data or {}, bindings, ancestors, origin, iam_only=resource is None)


def read_export(path: Path | str) -> list[Asset]:
    """Every asset of one file, checked; GCPInputError names the file, the line and the field."""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise GCPInputError(f"{path}: cannot read: {exc}") from None
    if text.lstrip().startswith("["):  # gcloud asset list --format=json
        try:
            doc = json.loads(text)
        except json.JSONDecodeError as exc:
            raise GCPInputError(f"{path} line {exc.lineno}: not valid JSON: {exc.msg}") from None
        return [check_asset(obj, f"{path} item {i}") for i, obj in enumerate(doc)]
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
