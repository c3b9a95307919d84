"""What the provider mappings share: resolving a resource's id (known value, or the resource a plan
references, or `terraform:<address>` until apply) and collecting rows with the Terraform markers."""

from __future__ import annotations

from collections import Counter, defaultdict

from cloudmap.loaders.kit import Rows
from cloudmap.loaders.terraform.state import Resource

from cloudmap.graph.model import NodeKind


def synthetic_id(res: Resource) -> str:
    """The documented id of a resource whose real id is unknown until apply."""
    return f"terraform:{res.address}"


class Build(Rows):
    def __init__(self, resources: list[Resource]):
        super().__init__()
        self.by_address = {r.address: r for r in resources}
        self.ids: dict[str, str] = {}           # address -> node id
        self.by_value: dict[tuple[str, str], str] = {}  # (type, provider id value) -> node id
        self.unknown: Counter[str] = Counter()
        self.references: dict[NodeKind, dict[str, dict]] = defaultdict(dict)  # named here, maybe owned elsewhere

    def reference(self, kind: NodeKind, row: dict) -> str:
        """A node the state names without declaring it (a binding's project, folder or member): written
        by :meth:`add_references` only when no other source holds it, so that it never takes over the
        scope (and the cleanup) of the node another load wrote."""
        if self.has(kind, row["id"]):
            self.update(kind, row["id"], **{k: v for k, v in row.items() if k not in self.row(kind, row["id"])})
        else:
            known = self.references[kind].setdefault(row["id"], {})
            known.update({k: v for k, v in row.items() if k not in known})
        return row["id"]

    def add_references(self, held_elsewhere: set[str]) -> None:
        """The referenced nodes that no other scope holds, as rows of this input."""
        for kind, rows in self.references.items():
            for ident, row in rows.items():
                if ident not in held_elsewhere and not self.has(kind, ident):
                    self.node(kind, {**row, "source": "terraform"})

    def register(self, res: Resource, node_id: str | None, *values: str | None) -> str:
        node_id = node_id or synthetic_id(res)
        self.ids[res.address] = node_id
        for value in values:
            if value:
                self.by_value[(res.type, str(value))] = node_id
        return node_id

    def ref(self, res: Resource, attr: str, rtype: str, make=None) -> str | None:
        """The node id an attribute points at: the resource in this state with that id value, else the
        resource the plan's configuration references, else the id `make` builds from the value."""
        value = res.values.get(attr)
        if isinstance(value, list):
            value = value[0] if value else None
        if value not in (None, ""):
            found = self.by_value.get((rtype, str(value)))
            return found or (make(str(value)) if make else None)
        for address in res.references.get(attr, []):
            target = address if address in self.ids else address.rsplit(".", 1)[0]
            if target in self.ids and target.split(".")[-2] == rtype:
                return self.ids[target]
        return None

    def refs(self, res: Resource, attr: str, rtype: str, make=None) -> list[str]:
        values = res.values.get(attr) or []
        out = [self.by_value.get((rtype, str(v))) or (make(str(v)) if make else None) for v in values]
        for address in res.references.get(attr, []):
            target = address if address in self.ids else address.rsplit(".", 1)[0]
            if target in self.ids and target.split(".")[-2] == rtype:
                out.append(self.ids[target])
        return sorted({o for o in out if o})

    def asset(self, kind: NodeKind, res: Resource, provider: str, account_id: str | None, region: str | None,
              name: str | None = None, tags: dict | None = None, **props) -> str:
        node_id = self.ids[res.address]
        super().asset(kind, node_id, provider=provider, name=name or res.values.get("name") or res.name,
                      account_id=account_id, region=region, tags=tags, source="terraform",
                      planned=res.planned or node_id.startswith("terraform:"), terraform_address=res.address,
                      **props)
        return node_id
