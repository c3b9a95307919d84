"""What every loader is built on: the row collector, the asset helper with tag classification, the
typed load summary, the input reader and the cross-source link pass."""

from cloudmap.loaders.kit.rows import DEFAULT, Rows
from cloudmap.loaders.kit.summary import LoadSummary
from cloudmap.loaders.kit.tags import classify_tags, tags_list

__all__ = ["DEFAULT", "LoadSummary", "Rows", "classify_tags", "tags_list"]
