"""Container image references keyed the way the scanners key images: the digest `sha256:...` when
the runtime reports it, else `repository:tag` (`:latest` when no tag is written)."""

from __future__ import annotations

import re

_DIGEST = re.compile(r"@(sha256:[0-9a-f]{64}|sha512:[0-9a-f]{128})$")


def split_reference(image: str) -> tuple[str | None, str, str | None]:
    """(registry, repository, tag) of an image reference; the digest part is dropped."""
    ref = image.split("@", 1)[0]
    last_slash = ref.rfind("/")
    tag = None
    if ref.rfind(":") > last_slash:  # a colon after the last slash is the tag, not a registry port
        ref, tag = ref.rsplit(":", 1)
    first = ref.split("/", 1)[0]
    registry = first if "/" in ref and ("." in first or ":" in first or first == "localhost") else None
    return registry, ref, tag


def digest_of(*refs: str | None) -> str | None:
    """The content digest in an imageID (`docker-pullable://repo@sha256:...`) or a pinned reference."""
    for ref in refs:
        if ref:
            match = _DIGEST.search(ref.strip())
            if match:
                return match.group(1)
    return None


def image_row(image: str, image_id: str | None) -> dict:
    """The ContainerImage row for a container's `image` and its status `imageID`."""
    registry, repository, tag = split_reference(image)
    tagged = f"{repository}:{tag or 'latest'}"
    digest = digest_of(image_id, image)
    return {"id": digest or tagged, "name": tagged, "digest": digest, "repository": repository,
            "tags_list": [tagged] if tag or "@" not in image else [], "registry": registry}
