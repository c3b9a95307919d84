"""Cypher shipped with cloudmap: schema/, rules/, hunts/, browser/ (package data)."""
