"""Kubernetes objects as the API returns them, checked enough to transform safely.

Both sources (the live API and `kubectl get -o json` files) end here: plain dicts grouped by kind,
each remembered with where it came from so an error can name the file and item."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

# The kinds the loader maps, and the API list path for each (the live source reads these).
KINDS = {
    "Namespace": "/api/v1/namespaces",
    "Pod": "/api/v1/pods",
    "Service": "/api/v1/services",
    "ServiceAccount": "/api/v1/serviceaccounts",
    "Ingress": "/apis/networking.k8s.io/v1/ingresses",
    "ConfigMap": "/api/v1/configmaps",   # read for the credentials their data holds
}
NAMESPACED = {"Pod", "Service", "ServiceAccount", "Ingress", "ConfigMap"}


class KubernetesInputError(ValueError):
    """Input that cannot be loaded; the message names the file (or endpoint), item and field."""


@dataclass
class Objects:
    """Objects by kind; `seen` holds the kinds the source listed (even when empty)."""
    by_kind: dict[str, list[dict]] = field(default_factory=lambda: {k: [] for k in KINDS})
    seen: set[str] = field(default_factory=set)
    ignored: dict[str, int] = field(default_factory=dict)
    pod_identities: list[dict] = field(default_factory=list)  # EKS Pod Identity associations

    def add_list(self, doc: Any, origin: str, kind: str | None = None) -> None:
        """Add a `List` / `<Kind>List` document (or one object); kind is given for the live API lists,
        whose items carry no `kind`."""
        if not isinstance(doc, dict):
            raise KubernetesInputError(f"{origin}: expected a JSON object (a List with items), got {type(doc).__name__}")
        if "association" in doc or "associations" in doc:
            self._add_pod_identities(doc, origin)
            return
        if "items" not in doc:
            items, base = [doc], "$"
        else:
            items, base = doc["items"], "items"
            if not isinstance(items, list):
                raise KubernetesInputError(f"{origin}: field 'items' must be a list")
            if kind is None and isinstance(doc.get("kind"), str) and doc["kind"].endswith("List"):
                kind = doc["kind"][:-4] or None  # PodList -> Pod; plain List -> per item
        if kind:
            self.seen.add(kind)
        for i, item in enumerate(items):
            where = f"{origin}: {base}[{i}]" if base == "items" else origin
            if not isinstance(item, dict):
                raise KubernetesInputError(f"{where}: expected an object, got {type(item).__name__}")
            item_kind = item.get("kind") or kind
            if not isinstance(item_kind, str) or not item_kind:
                raise KubernetesInputError(f"{where}: missing field 'kind'")
            if item_kind not in KINDS:
                self.ignored[item_kind] = self.ignored.get(item_kind, 0) + 1
                continue
            meta = item.get("metadata")
            if not isinstance(meta, dict):
                raise KubernetesInputError(f"{where}: missing field 'metadata'")
            if not isinstance(meta.get("name"), str) or not meta["name"]:
                raise KubernetesInputError(f"{where}: field 'metadata.name' must be a non-empty string")
            if item_kind in NAMESPACED and (not isinstance(meta.get("namespace"), str) or not meta["namespace"]):
                raise KubernetesInputError(f"{where} ({item_kind} {meta['name']}): field 'metadata.namespace' "
                                           "must be a non-empty string")
            for key in ("labels", "annotations"):
                if meta.get(key) is not None and not isinstance(meta[key], dict):
                    raise KubernetesInputError(f"{where}: field 'metadata.{key}' must be an object")
            for key in ("spec", "status"):
                if item.get(key) is not None and not isinstance(item[key], dict):
                    raise KubernetesInputError(f"{where}: field '{key}' must be an object")
            self.seen.add(item_kind)
            self.by_kind[item_kind].append({**item, "kind": item_kind, "_origin": where})

    def _add_pod_identities(self, doc: dict, origin: str) -> None:
        """`aws eks describe-pod-identity-association` output (or several in `associations`)."""
        found = doc.get("associations") if "associations" in doc else [doc.get("association")]
        if not isinstance(found, list):
            raise KubernetesInputError(f"{origin}: field 'associations' must be a list")
        for i, assoc in enumerate(found):
            where = f"{origin}: associations[{i}]" if "associations" in doc else f"{origin}: association"
            if not isinstance(assoc, dict):
                raise KubernetesInputError(f"{where}: expected an object")
            for key in ("namespace", "serviceAccount", "roleArn"):
                if not isinstance(assoc.get(key), str) or not assoc[key]:
                    raise KubernetesInputError(f"{where}: field '{key}' must be a non-empty string")
            self.pod_identities.append(assoc)

    @property
    def count(self) -> int:
        return sum(len(v) for v in self.by_kind.values())
