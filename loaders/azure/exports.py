"""Offline input: the JSON of ``az graph query -q ... -o json`` (``{"data": [...], "count", "skip_token"}``)
or a bare array (``--query data``, the portal's export), one file per table or mixed."""

from __future__ import annotations

from pathlib import Path

from cloudmap.loaders.azure.plan import AzureInputError, Res
from cloudmap.loaders.inputfile import InputError, read_json

_OBJECT_FIELDS = ("properties", "tags", "identity", "sku", "plan", "zones")


def read_export(path: Path | str) -> list[Res]:
    """All rows of one export file, checked; AzureInputError names the file, row and field."""
    try:
        doc = read_json(path)
    except InputError as exc:
        raise AzureInputError(str(exc)) from None
    rows = doc.get("data") if isinstance(doc, dict) else doc
    if isinstance(rows, dict) and "columns" in rows:
        raise AzureInputError(f"{path}: a table-format result; export with -o json (objectArray rows)")
    if not isinstance(rows, list):
        raise AzureInputError(f"{path}: expected a Resource Graph result (an array of rows, or an object "
                              f"with a 'data' array), got {type(doc).__name__}")
    return [check_row(row, f"{path} row {i}") for i, row in enumerate(rows)]


def check_row(row, origin: str) -> Res:
    if not isinstance(row, dict):
        raise AzureInputError(f"{origin}: a row must be an object, got {type(row).__name__}")
    for name in ("id", "type"):
        if not isinstance(row.get(name), str) or not row[name].strip():
            raise AzureInputError(f"{origin}: field '{name}' is missing or not a string "
                                  f"(project it in the query: Resource Graph rows need id and type)")
    for name in _OBJECT_FIELDS:
        expected = list if name == "zones" else dict
        if row.get(name) is not None and not isinstance(row[name], expected):
            raise AzureInputError(f"{origin} ({row['id']}): field '{name}' must be "
                                  f"{'an array' if expected is list else 'an object'}, got {type(row[name]).__name__}")
    for name in ("name", "location", "subscriptionId", "tenantId", "resourceGroup", "kind"):
        if row.get(name) is not None and not isinstance(row[name], str):
            raise AzureInputError(f"{origin} ({row['id']}): field '{name}' must be a string")
    return Res(row, origin)
