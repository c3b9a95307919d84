"""An endpoint override for a cloud API (sovereign clouds, a local test server): an https URL, or plain
http for a loopback address only, so that credentials never cross a network unencrypted."""

from __future__ import annotations

from ipaddress import ip_address
from urllib.parse import urlparse


def accepted_endpoint(endpoint: str) -> tuple[str, bool] | None:
    """(base url without a trailing slash, whether it is https), or None for an endpoint we will not
    send credentials to."""
    url = urlparse(endpoint)
    if url.scheme == "https" and url.hostname:
        return endpoint.rstrip("/"), True
    if url.scheme == "http" and url.hostname:
        try:
            loopback = url.hostname == "localhost" or ip_address(url.hostname).is_loopback
        except ValueError:
            loopback = False
        if loopback:
            return endpoint.rstrip("/"), False
    return None
