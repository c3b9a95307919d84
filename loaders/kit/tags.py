"""Tag conventions every cloud loader shares: crown jewels and declared sensitive data.

* ``criticality=critical|high`` marks the asset as a crown jewel (``critical``, ``criticality``).
* ``data-classification`` / ``sensitivity`` hold comma-separated categories (pci, pii, phi, secrets);
  each becomes a ``SensitiveInfoType`` ``<category>:tagged`` that the asset STORES (source ``tag``).
Tag keys and values are matched case-insensitively."""

from __future__ import annotations

CRITICALITY_KEYS = ("criticality",)
CLASSIFICATION_KEYS = ("data-classification", "sensitivity")
CRITICAL_LEVELS = ("critical", "high")

# category -> the name its tagged SensitiveInfoType carries (for Browser captions).
TAGGED_NAMES = {
    "pci": "credit-card-data",
    "pii": "personal-data",
    "phi": "health-data",
    "secrets": "credentials",
}
# Common spellings people use in tags, mapped onto the four categories.
ALIASES = {"credit-card": "pci", "cardholder": "pci", "personal": "pii", "health": "phi", "hipaa": "phi",
           "secret": "secrets", "credentials": "secrets"}


def tags_list(tags: dict | None) -> list[str]:
    """Tags as sorted ``key=value`` strings (the graph's `tags` property)."""
    return sorted(f"{k}={v}" for k, v in (tags or {}).items())


def classify_tags(tags: dict | None) -> tuple[dict, list[dict]]:
    """(properties to set on the asset, SensitiveInfoType rows it stores) from its tags."""
    lowered = {str(k).strip().lower(): str(v or "").strip().lower() for k, v in (tags or {}).items()}
    critical: dict = {}
    for key in CRITICALITY_KEYS:
        if lowered.get(key) in CRITICAL_LEVELS:
            critical = {"critical": True, "criticality": lowered[key]}
    categories: list[str] = []
    for key in CLASSIFICATION_KEYS:
        for value in lowered.get(key, "").replace(";", ",").split(","):
            category = ALIASES.get(value.strip(), value.strip())
            if category in TAGGED_NAMES and category not in categories:
                categories.append(category)
    info_types = [{"id": f"{c}:tagged", "name": TAGGED_NAMES[c], "category": c} for c in categories]
    return critical, info_types
