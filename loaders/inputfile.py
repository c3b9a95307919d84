"""Reading user-supplied files (scanner reports, feeds, classification and graph files) safely.

Every problem becomes one :class:`InputError` whose message names the file and the field
(``report.json: Results[0].Vulnerabilities[3].VulnerabilityID: ...``), raised before anything is
written, so a bad file leaves the graph as it was."""

from __future__ import annotations

import gzip
import json
from pathlib import Path
from typing import Annotated, Any, TypeVar

import yaml
from pydantic import BaseModel, StringConstraints, ValidationError

MAX_ID = 512          # ids, names, versions: long enough for any ARN or package version
MAX_TEXT = 65_536     # titles and descriptions: real advisories are a few KB

Id = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=MAX_ID)]
Short = Annotated[str, StringConstraints(max_length=MAX_ID)]
Text = Annotated[str, StringConstraints(max_length=MAX_TEXT)]

M = TypeVar("M", bound=BaseModel)


class InputError(ValueError):
    """A file cannot be used; the message names the file and, where it applies, the field."""


def read_bytes(path: Path | str) -> bytes:
    path = Path(path)
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise InputError(f"{path}: cannot read: {exc.strerror or exc}") from None
    if data[:2] == b"\x1f\x8b":  # gzip magic: feeds are often downloaded compressed
        try:
            data = gzip.decompress(data)
        except (OSError, EOFError) as exc:
            raise InputError(f"{path}: not a valid gzip file: {exc}") from None
    return data


def read_text(path: Path | str) -> str:
    try:
        return read_bytes(path).decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise InputError(f"{path}: not UTF-8 text (byte {exc.start})") from None


def read_json(path: Path | str) -> Any:
    try:
        return json.loads(read_text(path))
    except json.JSONDecodeError as exc:
        raise InputError(f"{path}: not valid JSON: {exc.msg} at line {exc.lineno} column {exc.colno}") from None


def read_yaml(path: Path | str) -> Any:
    try:
        return yaml.safe_load(read_text(path))
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" at line {mark.line + 1} column {mark.column + 1}" if mark else ""
        problem = getattr(exc, "problem", None) or str(exc).splitlines()[0]
        raise InputError(f"{path}: not valid YAML: {problem}{where}") from None


def field_path(loc: tuple) -> str:
    """('Results', 0, 'Vulnerabilities', 3, 'VulnerabilityID') -> Results[0].Vulnerabilities[3].VulnerabilityID"""
    out = ""
    for part in loc:
        if isinstance(part, int):
            out += f"[{part}]"
        else:
            out += f".{part}" if out else str(part)
    return out or "(top level)"


def describe(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 40 else text[:37] + "..."


def validation_message(path: Path | str, exc: ValidationError) -> str:
    err = exc.errors(include_url=False)[0]
    more = f" (and {exc.error_count() - 1} more problem(s))" if exc.error_count() > 1 else ""
    msg = err["msg"]
    if err["type"] not in ("missing", "extra_forbidden") and "input" in err:
        msg += f", got {describe(err['input'])}"
    return f"{path}: {field_path(err['loc'])}: {msg}{more}"


def parse(model: type[M], data: Any, path: Path | str) -> M:
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        raise InputError(validation_message(path, exc)) from None
