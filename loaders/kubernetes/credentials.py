"""What Kubernetes configuration holds in plain text: container environment values of pods
(``valueFrom`` references are not values) and ConfigMap data (one-line entries as settings,
multi-line entries, such as a properties file, as text). Values are scanned and dropped."""

from __future__ import annotations

from cloudmap.loaders.credentials.detect import Detected, scan_settings, scan_text
from cloudmap.loaders.kubernetes.objects import KubernetesInputError


def pod_env(containers: list[dict], where: str) -> list[Detected]:
    """Credentials in the literal ``env`` values of a pod's containers, placed as ``<container>/env/<NAME>``."""
    found: list[Detected] = []
    for i, c in enumerate(containers):
        env = c.get("env") or []
        if not isinstance(env, list):
            raise KubernetesInputError(f"{where}: container {i}: field 'env' must be a list")
        values = {e["name"]: e["value"] for e in env
                  if isinstance(e, dict) and isinstance(e.get("name"), str) and isinstance(e.get("value"), str)}
        found += scan_settings(values, f"{c.get('name')}/env/")
    return found


def config_map_data(cm: dict) -> tuple[list[str], list[Detected]]:
    """(data keys, credentials found in the values) of a ConfigMap."""
    data = cm.get("data") or {}
    if not isinstance(data, dict):
        raise KubernetesInputError(f"{cm['_origin']}: field 'data' must be an object")
    data = {str(k): v for k, v in data.items() if isinstance(v, str)}
    found = scan_settings({k: v for k, v in data.items() if "\n" not in v})
    for key, value in data.items():
        if "\n" in value:
            found += scan_text(value, f"{key} ")
    return sorted(data), found
