"""Keyed fingerprints of secret values: HMAC-SHA256 with a key kept in cloudmap's data folder.

The key is made once per installation (``<data_dir>/fingerprint.key``, mode 0600), so the same secret
gives the same fingerprint on every reload and in every place it appears, while a fingerprint cannot
be checked against guessed values without the key."""

from __future__ import annotations

import hashlib
import hmac
import os
import secrets
from functools import lru_cache
from pathlib import Path

KEY_FILE = "fingerprint.key"


def key_path() -> Path:
    from cloudmap.config import settings

    return Path(settings().data_dir) / KEY_FILE


@lru_cache(maxsize=4)
def _key(path: str) -> bytes:
    p = Path(path)
    if not p.exists():
        p.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(p, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w") as fh:
            fh.write(secrets.token_hex(32))
    if p.stat().st_mode & 0o077:
        os.chmod(p, 0o600)
    return bytes.fromhex(p.read_text().strip())


def fingerprint(value: str, path: Path | None = None) -> str:
    """``hmac-sha256:<first 32 hex digits>`` of the value; the value itself is not kept."""
    digest = hmac.new(_key(str(path or key_path())), value.encode(), hashlib.sha256).hexdigest()
    return f"hmac-sha256:{digest[:32]}"
