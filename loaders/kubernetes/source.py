"""Where Kubernetes objects come from: `kubectl get ... -A -o json` files, or the API server through the
official client (kubeconfig context, or the in-cluster service account)."""

from __future__ import annotations

import json
import os
from pathlib import Path

from cloudmap.loaders.inputfile import InputError, read_json
from cloudmap.loaders.kubernetes.objects import KINDS, KubernetesInputError, Objects

PAGE = 500


def read_files(paths: list[Path]) -> Objects:
    objs = Objects()
    for path in paths:
        try:
            doc = read_json(path)
        except InputError as exc:
            raise KubernetesInputError(str(exc)) from None
        objs.add_list(doc, str(path))
    return objs


class Live:
    """A connection to one cluster's API server."""

    def __init__(self, context: str | None = None, kubeconfig: Path | None = None):
        from kubernetes import client, config

        self.context = context
        try:
            if kubeconfig or os.environ.get("KUBECONFIG") or Path("~/.kube/config").expanduser().exists() \
                    or not os.environ.get("KUBERNETES_SERVICE_HOST"):
                path = str(kubeconfig) if kubeconfig else None
                if context is None:
                    _, active = config.list_kube_config_contexts(config_file=path)
                    self.context = (active or {}).get("name")
                self.api = config.new_client_from_config(config_file=path, context=context)
            else:
                cfg = client.Configuration()
                config.load_incluster_config(client_configuration=cfg)
                self.api = client.ApiClient(cfg)
                self.context = "in-cluster"
        except (config.ConfigException, OSError, TypeError, ValueError) as exc:
            where = f"kubeconfig {kubeconfig or os.environ.get('KUBECONFIG') or '~/.kube/config'}"
            raise KubernetesInputError(f"{where}: {exc}") from None
        self.endpoint = self.api.configuration.host
        self.api.configuration.retries = 1  # an unreachable server should fail fast, with one clear line

    def _get(self, path: str, params: list[tuple[str, str]] | None = None) -> dict:
        from kubernetes.client.exceptions import ApiException
        from urllib3.exceptions import HTTPError

        method, url, headers, body, post = self.api.param_serialize(
            method="GET", resource_path=path, query_params=params or [], auth_settings=["BearerToken"],
            header_params={"Accept": "application/json"})
        try:
            resp = self.api.call_api(method, url, header_params=headers, body=body, post_params=post,
                                     _request_timeout=60)
            data = resp.read()
        except HTTPError as exc:
            raise KubernetesInputError(f"cannot reach the API server {self.endpoint}: {type(exc).__name__}") from None
        if resp.status >= 400:
            raise ApiException(status=resp.status, reason=f"{path}: HTTP {resp.status} {resp.reason}")
        try:
            return json.loads(data)
        except (json.JSONDecodeError, UnicodeDecodeError) as exc:
            raise KubernetesInputError(f"{self.endpoint}{path}: not valid JSON: {exc}") from None

    def version(self) -> str | None:
        from kubernetes.client.exceptions import ApiException
        try:
            return self._get("/version").get("gitVersion")
        except ApiException:
            return None

    def read(self) -> tuple[Objects, dict[str, str]]:
        """Every kind, page by page. A kind the API refuses (403 under RBAC) is returned as failed, so
        its earlier data stays in the graph; an unreachable server is an error."""
        from kubernetes.client.exceptions import ApiException

        objs, failed = Objects(), {}
        for kind, path in KINDS.items():
            token = None
            try:
                while True:
                    params = [("limit", str(PAGE))] + ([("continue", token)] if token else [])
                    doc = self._get(path, params)
                    objs.add_list(doc, f"{self.endpoint}{path}", kind=kind)
                    token = (doc.get("metadata") or {}).get("continue")
                    if not token:
                        break
            except ApiException as exc:
                failed[kind] = f"list {kind}: HTTP {exc.status} {exc.reason}"
                objs.by_kind[kind] = []
        return objs, failed
