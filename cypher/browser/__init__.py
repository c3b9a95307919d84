"""Neo4j Browser assets: the GraSS style sheet, the :play guide, queries and the favorites archive."""

from __future__ import annotations

from importlib import resources
from pathlib import Path


def asset_path(name: str) -> Path:
    """Path of a shipped Browser asset (style.grass, guide.html, queries/...)."""
    return Path(str(resources.files("cloudmap.cypher.browser").joinpath(name)))


# `cloudmap browser guide` serves the guide and the style sheet here; a Neo4j that cloudmap starts
# is configured to fetch both from it when Browser connects.
GUIDE_HOST, GUIDE_PORT = "127.0.0.1", 7480


def guide_base(port: int = GUIDE_PORT) -> str:
    return f"http://{GUIDE_HOST}:{port}"


def browser_conf(port: int = GUIDE_PORT) -> dict[str, str]:
    """neo4j.conf settings that let Browser play the guide and apply the style on connect."""
    base = guide_base(port)
    # Neo4j 5.26 still declares the allow-list under its old name (..._whitelist).
    return {"browser.remote_content_hostname_whitelist": f"{GUIDE_HOST},localhost,guides.neo4j.com",
            "browser.post_connect_cmd": f"style {base}/style.grass; play {base}/guide"}
