"""The favorites archive Neo4j Browser imports by drag and drop: a zip of folders of ``.cypher`` files.

Browser names a favorite after its first comment line, so each file starts with ``// <title>``.
Parameters are set by ``:param`` lines before the query (Browser runs a favorite's statements in
order), taken from the defaults in the file's YAML header; without them the query would stop at its
first ``$param``.
"""

from __future__ import annotations

import json
import zipfile
from dataclasses import dataclass
from importlib import resources
from pathlib import Path

import yaml
from cloudmap.cypher.browser import asset_path

FOLDERS = (("cloudmap attack paths", "browser/queries"), ("cloudmap hunts", "hunts"), ("cloudmap rules", "rules"))


@dataclass(frozen=True)
class Favorite:
    folder: str
    name: str          # file name inside the folder
    title: str
    params: dict
    query: str         # the Cypher alone (what EXPLAIN checks)

    def text(self) -> str:
        lines = [f"// {self.title}"]
        lines += [f":param {key} => {cypher_literal(value)};" for key, value in self.params.items()]
        return "\n".join(lines) + "\n" + self.query.strip() + "\n"


def cypher_literal(value) -> str:
    """A parameter default as a Cypher literal (JSON spells strings, numbers, lists and booleans alike)."""
    if value is None:
        return "null"
    if isinstance(value, dict):
        return "{" + ", ".join(f"`{k}`: {cypher_literal(v)}" for k, v in value.items()) + "}"
    if isinstance(value, (list, tuple)):
        return "[" + ", ".join(cypher_literal(v) for v in value) + "]"
    return json.dumps(value)


def split_header(text: str) -> tuple[dict, str]:
    """The YAML metadata of the leading ``//`` lines (empty when they are plain prose), and the query."""
    lines = text.splitlines()
    n = 0
    while n < len(lines) and (lines[n].startswith("//") or not lines[n].strip()):
        n += 1
    header = "\n".join(line[2:].removeprefix(" ") for line in lines[:n] if line.startswith("//"))
    try:
        meta = yaml.safe_load(header) if header else {}
    except yaml.YAMLError:
        meta = None
    if not isinstance(meta, dict) or not {"id", "title"} & set(meta):
        meta = {"title": header.splitlines()[0].strip()} if header else {}
    return meta, "\n".join(lines[n:])


def param_defaults(specs) -> dict:
    """Rule params map names to defaults; hunt params map names to {type, default, ...}."""
    if not isinstance(specs, dict):
        return {}
    return {name: spec.get("default") if isinstance(spec, dict) else spec for name, spec in specs.items()}


def collect(root: Path | None = None) -> list[Favorite]:
    """Every shipped Browser query, hunt and rule as a favorite, in a stable order."""
    root = root or Path(str(resources.files("cloudmap.cypher")))
    favorites = []
    for folder, sub in FOLDERS:
        for path in sorted((root / sub).glob("*.cypher")):
            meta, query = split_header(path.read_text(encoding="utf-8"))
            title = str(meta.get("title") or path.stem)
            rid = meta.get("id")
            if rid and rid not in title:
                title = f"{rid}: {title}"
            favorites.append(Favorite(folder, path.name, title, param_defaults(meta.get("params")), query))
    return favorites + explorer_favorites()


def explorer_favorites() -> list[Favorite]:
    """The explorer's templates, compiled: the same Cypher `cloudmap explore --template` runs."""
    from cloudmap.explorer import compile_question
    from cloudmap.services.explore import templates

    out = []
    for name, question in templates().items():
        compiled = compile_question(question)
        out.append(Favorite("cloudmap explorer", f"{name}.cypher", question.title, compiled.params, compiled.cypher))
    return out


def write_archive(out: Path, favorites: list[Favorite] | None = None) -> int:
    """Write the zip; returns the number of favorites in it."""
    favorites = collect() if favorites is None else favorites
    out.parent.mkdir(parents=True, exist_ok=True)
    with zipfile.ZipFile(out, "w", compression=zipfile.ZIP_DEFLATED) as zf:
        for fav in favorites:
            zf.writestr(f"{fav.folder}/{fav.name}", fav.text())
    return len(favorites)


__all__ = ["Favorite", "asset_path", "collect", "split_header", "write_archive"]
