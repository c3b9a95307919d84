"""Reading user-supplied files (scanner reports, feeds, classification and graph files) safely.

Every problem becomes one :class:`InputError` whose message names the file and the field
(``report.json: Results[0].Vulnerabilities[3].VulnerabilityID: ...``), raised before anything is
written, so a bad file leaves the graph as it was.

Every file loader reads through here: UTF-8 (with or without BOM) or UTF-16/32 by BOM; gzip
decompressed as it is read, with a size cap; JSON and YAML nesting bounded; YAML through a safe
loader that refuses aliases; line formats (CSV, NDJSON) streamed."""

from __future__ import annotations

import codecs
import gzip
import io
import json
import os
import zlib
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Any, BinaryIO, TypeVar

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


@dataclass
class Limits:
    """What one input file may cost. ``max_input_mb`` bounds the bytes read after decompression
    (`--max-input-mb`, CLOUDMAP_MAX_INPUT_MB); YAML, parsed in pure Python, has a tighter bound."""
    max_input_mb: int = int(os.environ.get("CLOUDMAP_MAX_INPUT_MB") or 512)
    max_yaml_mb: int = 16
    max_depth: int = 100   # real exports nest about 20 levels (Terraform plans, ARM); bombs nest thousands

    @property
    def max_bytes(self) -> int:
        return self.max_input_mb * 1024 * 1024


limits = Limits()

BOMS = ((codecs.BOM_UTF32_LE, "utf-32"), (codecs.BOM_UTF32_BE, "utf-32"), (codecs.BOM_UTF8, "utf-8-sig"),
        (codecs.BOM_UTF16_LE, "utf-16"), (codecs.BOM_UTF16_BE, "utf-16"))
CHUNK = 1 << 20


def _too_big(path: Path, cap: int, compressed: bool) -> InputError:
    what = "expands to" if compressed else "is"
    return InputError(f"{path}: {what} more than {cap // (1024 * 1024)} MB (--max-input-mb)")


def open_binary(path: Path | str, cap: int | None = None) -> BinaryIO:
    """The file's bytes as a stream, gunzipped when it is gzip, never yielding more than ``cap``
    bytes (InputError once it would)."""
    path = Path(path)
    cap = limits.max_bytes if cap is None else cap
    try:
        raw = path.open("rb")
        magic = raw.read(2)
        raw.seek(0)
    except OSError as exc:
        raise InputError(f"{path}: cannot read: {exc.strerror or exc}") from None
    compressed = magic == b"\x1f\x8b"  # feeds are often downloaded compressed
    return _Capped(gzip.GzipFile(fileobj=raw) if compressed else raw, path, cap, compressed)


class _Capped(io.RawIOBase):
    def __init__(self, inner, path: Path, cap: int, compressed: bool):
        self.inner, self.path, self.cap, self.compressed, self.seen = inner, path, cap, compressed, 0

    def readable(self) -> bool:
        return True

    def readinto(self, buffer) -> int:
        try:
            data = self.inner.read(min(len(buffer), CHUNK))
        except (OSError, EOFError, zlib.error) as exc:
            raise InputError(f"{self.path}: not a valid gzip file: {exc}") from None
        self.seen += len(data)
        if self.seen > self.cap:
            raise _too_big(self.path, self.cap, self.compressed)
        buffer[:len(data)] = data
        return len(data)

    def close(self) -> None:
        self.inner.close()
        super().close()


def read_bytes(path: Path | str, cap: int | None = None) -> bytes:
    with open_binary(path, cap) as stream:
        return io.BufferedReader(stream, CHUNK).read()


def encoding_of(head: bytes) -> str:
    """UTF-8 unless a byte order mark says UTF-16/32 (what Windows PowerShell's `>` writes)."""
    return next((name for bom, name in BOMS if head.startswith(bom)), "utf-8")


def decode(data: bytes, path: Path | str) -> str:
    encoding = encoding_of(data[:4])
    try:
        return data.decode(encoding)
    except UnicodeDecodeError as exc:
        raise InputError(f"{path}: not {encoding.upper().replace('-SIG', '')} text (byte {exc.start})") from None


def read_text(path: Path | str, cap: int | None = None) -> str:
    return decode(read_bytes(path, cap), path)


@contextmanager
def open_lines(path: Path | str) -> Iterator[Iterator[str]]:
    """The file's lines, decoded and decompressed as they are read (CSV, NDJSON): memory stays
    bounded by the longest line, not the file."""
    stream = io.BufferedReader(open_binary(path), CHUNK)
    try:
        encoding = encoding_of(stream.peek(4)[:4])
        text = io.TextIOWrapper(stream, encoding=encoding, newline="")

        def lines() -> Iterator[str]:
            number = 0
            try:
                for number, line in enumerate(text, start=1):  # noqa: B007 - the number names the bad line
                    yield line.rstrip("\r\n")
            except UnicodeDecodeError as exc:
                raise InputError(f"{path} line {number + 1}: not {encoding.upper().replace('-SIG', '')} "
                                 f"text (byte {exc.start})") from None
        yield lines()
    finally:
        stream.close()


def too_deep(path: Path | str) -> InputError:
    return InputError(f"{path}: nested deeper than {limits.max_depth} levels")


def check_depth(doc: Any, path: Path | str) -> Any:
    """``doc``, or InputError when it nests deeper than the limit (checked without recursion)."""
    stack = [(doc, 1)]
    while stack:
        value, depth = stack.pop()
        if isinstance(value, dict):
            value = value.values()
        elif not isinstance(value, list):
            continue
        if depth > limits.max_depth:
            raise too_deep(path)
        stack.extend((v, depth + 1) for v in value if isinstance(v, (dict, list)))
    return doc


def loads_json(text: str, path: Path | str) -> Any:
    try:
        doc = json.loads(text)
    except json.JSONDecodeError as exc:
        raise InputError(f"{path}: not valid JSON: {exc.msg} at line {exc.lineno} column {exc.colno}") from None
    except RecursionError:
        raise too_deep(path) from None
    return check_depth(doc, path)


def read_json(path: Path | str) -> Any:
    return loads_json(read_text(path), path)


class _NoAliasLoader(yaml.SafeLoader):
    """Safe YAML without aliases: an alias bomb (a few hundred bytes expanding to gigabytes) is refused
    at its first alias instead of being expanded."""

    def compose_node(self, parent, index):
        if self.check_event(yaml.AliasEvent):
            raise yaml.composer.ComposerError(None, None, "aliases (*name) are not allowed",
                                              self.peek_event().start_mark)
        return super().compose_node(parent, index)


def read_yaml(path: Path | str) -> Any:
    text = read_text(path, cap=min(limits.max_bytes, limits.max_yaml_mb * 1024 * 1024))
    try:
        doc = yaml.load(text, Loader=_NoAliasLoader)  # noqa: S506 - a SafeLoader subclass
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" at line {mark.line + 1} column {mark.column + 1}" if mark else ""
        problem = getattr(exc, "problem", None) or str(exc).splitlines()[0]
        raise InputError(f"{path}: not valid YAML: {problem}{where}") from None
    except RecursionError:
        raise too_deep(path) from None
    return check_depth(doc, path)


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
