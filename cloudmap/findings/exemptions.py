"""Exemptions: accepted risks declared in a YAML file or in asset tags, applied by every analysis.

File (``--exemptions FILE`` or the ``exemptions_file`` setting)::

    exemptions:
      - rule: CM-VM-003              # a rule id or glob
        asset: "web-*"               # an asset id or name glob: any asset on the path
        tags: [env=dev]              # key=value globs, all on one asset of the path
        account: "111122223333"      # an account on the path
        reason: test estate, no real data
        owner: alice
        expires: 2027-03-31          # optional; the day itself is still exempt

Every criterion given must match, and an entry needs at least one. Tags on any asset of the path:
``cloudmap:exempt=<rule id or glob>`` (several separated by spaces), with the reason in
``cloudmap:exempt-reason``, and optionally ``cloudmap:exempt-owner`` and ``cloudmap:exempt-until``.
"""

from __future__ import annotations

from dataclasses import dataclass
from fnmatch import fnmatchcase
from pathlib import Path

import yaml

from cloudmap.findings.triage import TriageError, parse_date
from cloudmap.graph.driver import Graph
from cloudmap.graph.ingest import batched

TAG = "cloudmap:exempt"
CRITERIA = ("rule", "asset", "tags", "account")
KEYS = (*CRITERIA, "reason", "owner", "expires")


class ExemptionError(ValueError):
    """The exemptions file is not valid; the message names the file, the entry and the field."""


@dataclass(frozen=True)
class Exemption:
    source: str
    reason: str
    owner: str
    expires: str | None = None
    rule: str | None = None
    asset: str | None = None
    tags: tuple[str, ...] = ()
    account: str | None = None

    def matches(self, rule_id: str, nodes: list[dict]) -> bool:
        if self.rule and not fnmatchcase(rule_id, self.rule.upper()):
            return False
        if self.asset and not any(fnmatchcase(str(n.get(k) or ""), self.asset) for n in nodes for k in ("id", "name")):
            return False
        if self.tags and not any(all(any(fnmatchcase(t, want) for t in n["tags"]) for want in self.tags)
                                 for n in nodes):
            return False
        return not self.account or any(n.get("account_id") == self.account for n in nodes)

    def verdict(self) -> dict:
        return {"reason": self.reason, "by": self.owner, "until": self.expires, "source": self.source}


def load_file(path: str | Path) -> list[Exemption]:
    path = Path(path)
    try:
        data = yaml.safe_load(path.read_text())
    except OSError as exc:
        raise ExemptionError(f"{path}: cannot read the exemptions file ({exc.strerror})") from None
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f":{mark.line + 1}" if mark else ""
        raise ExemptionError(f"{path}{where}: not valid YAML") from None
    entries = (data or {}).get("exemptions") if isinstance(data, dict) else None
    if not isinstance(entries, list):
        raise ExemptionError(f"{path}: expected a top-level `exemptions:` list")
    return [_entry(path, n, e) for n, e in enumerate(entries, 1)]


def _entry(path: Path, n: int, e) -> Exemption:
    where = f"{path}: exemption {n}"
    if not isinstance(e, dict):
        raise ExemptionError(f"{where}: expected a mapping of {', '.join(KEYS)}")
    unknown = sorted(set(e) - set(KEYS))
    if unknown:
        raise ExemptionError(f"{where}: unknown field(s) {', '.join(unknown)} (use {', '.join(KEYS)})")
    for key in ("reason", "owner"):
        if not isinstance(e.get(key), str) or not e[key].strip():
            raise ExemptionError(f"{where}: field {key!r} is required (text)")
    if not any(e.get(k) for k in CRITERIA):
        raise ExemptionError(f"{where}: give at least one of {', '.join(CRITERIA)} to match")
    tags = e.get("tags") or []
    if isinstance(tags, str):
        tags = [tags]
    if not isinstance(tags, list) or not all(isinstance(t, str) and "=" in t for t in tags):
        raise ExemptionError(f"{where}: field 'tags' must be a list of key=value texts")
    for key in ("rule", "asset", "account"):
        if e.get(key) is not None and not isinstance(e[key], (str, int)):
            raise ExemptionError(f"{where}: field {key!r} must be a text")
    try:
        expires = parse_date(e["expires"], "expires") if e.get("expires") else None
    except TriageError as exc:
        raise ExemptionError(f"{where}: {exc}") from None
    return Exemption(source=f"exemptions file {path.name} entry {n}", reason=e["reason"].strip(),
                     owner=e["owner"].strip(), expires=expires, rule=_text(e.get("rule")),
                     asset=_text(e.get("asset")), tags=tuple(tags), account=_text(e.get("account")))


def _text(v) -> str | None:
    return None if v is None else str(v).strip()


def from_tags(node: dict) -> Exemption | None:
    """The exemption an asset's ``cloudmap:exempt*`` tags declare (None without a rule or a reason)."""
    tags = dict(t.split("=", 1) for t in node["tags"] if "=" in t)
    rules, reason = tags.get(TAG, "").split(), tags.get(f"{TAG}-reason", "").strip()
    if not rules or not reason:
        return None
    try:
        until = parse_date(tags[f"{TAG}-until"], "tag") if tags.get(f"{TAG}-until") else None
    except TriageError:
        until = "0000-00-00"   # an unreadable date never exempts for ever: it counts as expired
    return Exemption(source=f"tag {TAG} on {node['id']}", reason=reason, owner=tags.get(f"{TAG}-owner", "tag"),
                     expires=until, rule=" ".join(rules))


_NODES = ("UNWIND $eids AS eid MATCH (n) WHERE elementId(n) = eid "
          "RETURN eid, n.id AS id, n.name AS name, n.account_id AS account_id, coalesce(n.tags, []) AS tags")


def match(graph: Graph, rows: list[dict], entries: list[Exemption], day: str) -> dict[str, dict]:
    """Finding id -> the first exemption in force (file entries first, then tags) that covers it."""
    live = [e for e in entries if not e.expires or e.expires >= day]
    eids = sorted({a["element_id"] for r in rows for a in r["affects"]})
    nodes = {}
    for batch in batched(eids, 5000):
        nodes.update({n["eid"]: n for n in graph.read(_NODES, eids=batch)})
    out = {}
    for row in rows:
        path = [nodes[a["element_id"]] for a in row["affects"] if a["element_id"] in nodes]
        rule_id = row["props"]["rule_id"]
        found = next((e for e in live if e.matches(rule_id, path)), None)
        if found is None:
            tagged = (from_tags(n) for n in path if any(t.startswith(f"{TAG}=") for t in n["tags"]))
            found = next((e for e in tagged if e and (not e.expires or e.expires >= day)
                          and any(fnmatchcase(rule_id, r.upper()) for r in e.rule.split())), None)
        if found is not None:
            out[row["id"]] = found.verdict()
    return out
