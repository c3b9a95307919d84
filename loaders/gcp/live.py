"""Live input: the Cloud Asset API through ``google-cloud-asset`` (REST transport), for projects, a
folder or an organization. Resources come from ``assets:list`` one asset type at a time, IAM policies
from ``searchAllIamPolicies``; every page is followed (``nextPageToken``). The answers are read back
as the JSON an export holds, so both paths share the checks and the mapping.

Credentials: Application Default Credentials (``gcloud auth application-default login``,
``GOOGLE_APPLICATION_CREDENTIALS``, the metadata server). The endpoint defaults to
``cloudasset.googleapis.com``; ``--endpoint`` / ``CLOUDMAP_GCP_ASSET_ENDPOINT`` overrides it (private
service connect, a local test server: plain http only for a loopback address).

A refused asset type or IAM search under a parent, or a refused parent, fails the projects it covers:
they keep their previous data and the sync ends partial."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field

from cloudmap.loaders.gcp.exports import Asset, GCPInputError, check_asset, check_search_policy
from cloudmap.loaders.gcp.transform import HANDLED_TYPES
from cloudmap.loaders.kit.endpoint import accepted_endpoint

ENDPOINT_ENV = "CLOUDMAP_GCP_ASSET_ENDPOINT"
PAGE_SIZE = 500
IAM_SEARCH = "iam-policy"  # the name a refused IAM policy search is reported under
_PARENT = re.compile(r"^(projects/[a-z0-9-]+|folders/\d+|organizations/\d+)$")


class GCPAccessError(Exception):
    """The Cloud Asset API could not be reached or refused every request; the message names what to check."""


@dataclass
class Fetched:
    assets: list[Asset] = field(default_factory=list)
    failed: dict[str, str] = field(default_factory=dict)  # "<parent> <asset type>" -> reason
    failed_parents: set[str] = field(default_factory=set)


def parents(projects: list[str] | None, folder: str | None, organization: str | None) -> list[str]:
    out = [f"projects/{p.removeprefix('projects/')}" for p in projects or []]
    out += [f"folders/{folder.removeprefix('folders/')}"] if folder else []
    out += [f"organizations/{organization.removeprefix('organizations/')}"] if organization else []
    for p in out:
        if not _PARENT.match(p):
            raise GCPAccessError(f"{p!r}: not a project id or number, folder number or organization number")
    if not out:
        raise GCPAccessError("name what to read: --project P (repeatable), --folder F or --organization O")
    return out


def client(endpoint: str | None = None, credentials=None):
    from google.api_core.client_options import ClientOptions
    from google.auth.exceptions import DefaultCredentialsError
    from google.cloud import asset_v1

    options = None
    if endpoint:
        accepted = accepted_endpoint(endpoint)
        if not accepted:
            raise GCPAccessError(f"--endpoint / {ENDPOINT_ENV} {endpoint!r}: must be an https URL "
                                 f"(plain http only for a loopback address)")
        options = ClientOptions(api_endpoint=accepted[0])
    try:
        return asset_v1.AssetServiceClient(credentials=credentials, transport="rest", client_options=options)
    except DefaultCredentialsError as exc:
        raise GCPAccessError(f"no Application Default Credentials (gcloud auth application-default login, or "
                             f"GOOGLE_APPLICATION_CREDENTIALS): {str(exc).splitlines()[0][:300]}") from None


def _json(message) -> dict:
    return json.loads(type(message).to_json(message))


def _pager(api, parent: str, what: str):
    from google.cloud import asset_v1

    if what == IAM_SEARCH:
        return api.search_all_iam_policies(request=asset_v1.SearchAllIamPoliciesRequest(scope=parent,
                                                                                        page_size=PAGE_SIZE))
    return api.list_assets(request=asset_v1.ListAssetsRequest(parent=parent, asset_types=[what], page_size=PAGE_SIZE,
                                                              content_type=asset_v1.ContentType.RESOURCE))


def fetch(scopes: list[str], endpoint: str | None = None, credentials=None, progress=None,
          asset_types: list[str] | None = None) -> Fetched:
    from google.api_core.exceptions import GoogleAPICallError
    from google.auth.exceptions import TransportError
    from requests.exceptions import ConnectionError as RequestsConnectionError

    api = client(endpoint, credentials)
    out, requests = Fetched(), 0
    for parent in scopes:
        for what in [*(asset_types or HANDLED_TYPES), IAM_SEARCH]:
            if progress:
                progress(f"listing {what} under {parent}")
            requests += 1
            try:
                items = [_json(x) for x in _pager(api, parent, what)]   # the pager follows nextPageToken
            except GoogleAPICallError as exc:       # e.g. 403 on one type: its projects keep their data
                out.failed[f"{parent} {what}"] = f"HTTP {exc.code}: {str(exc.message or exc).splitlines()[0][:200]}"
                out.failed_parents.add(parent)
                continue
            except (TransportError, RequestsConnectionError) as exc:
                raise GCPAccessError(f"cannot reach the Cloud Asset API at {endpoint or 'cloudasset.googleapis.com'}"
                                     f" (check --endpoint / {ENDPOINT_ENV} and the network): {str(exc)[:200]}") from None
            check = check_search_policy if what == IAM_SEARCH else check_asset
            out.assets.extend(check(item, f"Cloud Asset {parent} {what} item {i}") for i, item in enumerate(items))
    if len(out.failed) == requests:
        raise GCPAccessError("every Cloud Asset request failed: " + "; ".join(f"{k}: {v}" for k, v in
                                                                           list(out.failed.items())[:5]))
    return out


__all__ = ["ENDPOINT_ENV", "Fetched", "GCPAccessError", "GCPInputError", "fetch", "parents"]
