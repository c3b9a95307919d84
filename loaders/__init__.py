"""Loaders: one subpackage per source, each get -> transform -> load on cloudmap.graph."""
