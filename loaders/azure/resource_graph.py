"""Live input: Azure Resource Graph through ``azure-mgmt-resourcegraph``, one query per table, paged
with ``$skipToken``. Rows come back in exactly the shape of an export, so both paths share the rest.
Then each web app's app settings and connection strings through ARM (``.../config/<section>/list``),
as the rows an export would hold for them.

Credentials: ``DefaultAzureCredential`` (az login, environment, managed identity, ...). When
``CLOUDMAP_AZURE_ACCESS_TOKEN`` is set, that pre-issued ARM token is used instead (pipelines that
already hold one, air-gapped tests) -- only ever when the variable is set, never as a fallback.
The endpoint defaults to the public cloud's Resource Manager; ``--endpoint`` /
``AZURE_RESOURCE_MANAGER_ENDPOINT`` overrides it (sovereign clouds, a local test server: plain http is
accepted for loopback addresses only, so a token never crosses a network unencrypted)."""

from __future__ import annotations

import os
import time
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass, field

from cloudmap.loaders.azure.app_settings import SCOPE_PART as APP_SETTINGS
from cloudmap.loaders.azure.app_settings import SECTIONS
from cloudmap.loaders.azure.exports import check_row
from cloudmap.loaders.azure.plan import HANDLERS, AzureInputError, Res, scope_name
from cloudmap.loaders.kit.endpoint import accepted_endpoint

TOKEN_ENV = "CLOUDMAP_AZURE_ACCESS_TOKEN"
PAGE_SIZE = 1000  # the service maximum
WEB_API_VERSION = "2023-12-01"
APP_SETTINGS_TABLE = "AppServiceSettings"  # the name a refused listing is reported under

_OTHER_TABLES = {"microsoft.management/managementgroups", "microsoft.resources/subscriptions",
                 "microsoft.resources/subscriptions/resourcegroups", "microsoft.authorization/roledefinitions",
                 "microsoft.authorization/roleassignments", "microsoft.security/assessments",
                 "microsoft.security/assessments/subassessments",
                 "microsoft.web/sites/config"}   # not in Resource Graph: listed per site (site_settings)


def table_queries() -> dict[str, str]:
    resource_types = ", ".join(f"'{t}'" for t in sorted(set(HANDLERS) - _OTHER_TABLES))
    return {
        "ResourceContainers": "resourcecontainers",
        "Resources": f"resources | where type in~ ({resource_types})",
        "AuthorizationResources": "authorizationresources | where type in~ "
                                  "('microsoft.authorization/roleassignments', 'microsoft.authorization/roledefinitions')",
        "SecurityResources": "securityresources | where type =~ 'microsoft.security/assessments/subassessments'",
    }


class AzureAccessError(Exception):
    """Azure could not be reached or refused us; the message names the setting to check."""


class StaticTokenCredential:
    """A TokenCredential over one pre-issued access token (see the module docstring)."""

    def __init__(self, token: str):
        self._token = token

    def get_token(self, *scopes, **kwargs):
        from azure.core.credentials import AccessToken
        return AccessToken(self._token, int(time.time()) + 3000)


def credential(token_env: str = TOKEN_ENV):
    """``DefaultAzureCredential``, or the pre-issued token in ``token_env`` when that is set."""
    token = os.environ.get(token_env)
    if token:
        return StaticTokenCredential(token.strip())
    from azure.identity import DefaultAzureCredential
    return DefaultAzureCredential(exclude_interactive_browser_credential=True)


def check_endpoint(endpoint: str | None) -> tuple[str | None, bool]:
    """(base url, whether https is enforced); AzureAccessError for an endpoint we will not send tokens to."""
    if not endpoint:
        return None, True
    accepted = accepted_endpoint(endpoint)
    if accepted:
        return accepted
    raise AzureAccessError(f"--endpoint / AZURE_RESOURCE_MANAGER_ENDPOINT {endpoint!r}: must be an https URL "
                           f"(plain http only for a loopback address)")


@dataclass
class Fetched:
    rows: list[Res] = field(default_factory=list)
    covered: set[str] = field(default_factory=set)
    failed: dict[str, str] = field(default_factory=dict)  # table -> reason


DEFAULT_MAX_WORKERS = 4  # Resource Graph tables queried at once


def fetch(subscriptions: list[str] | None, endpoint: str | None = None, progress=None,
          max_workers: int = DEFAULT_MAX_WORKERS) -> Fetched:
    from azure.core.exceptions import HttpResponseError
    from azure.mgmt.resourcegraph import ResourceGraphClient

    base_url, https = check_endpoint(endpoint)
    client = ResourceGraphClient(credential(), base_url=base_url) if base_url else ResourceGraphClient(credential())
    subs = [s.lower() for s in subscriptions or []]
    out = Fetched()

    def query_table(item: tuple[str, str]) -> tuple[list[Res], str | None]:
        table, query = item
        with _errors(base_url):
            try:
                return list(_pages(client, table, query, subs, https)), None
            except HttpResponseError as exc:  # e.g. 403 on one table: keep that table's previous data
                return [], f"HTTP {exc.status_code}: {(exc.message or '').splitlines()[0][:200]}"
    tables = list(table_queries().items())
    if progress:
        progress(f"querying {', '.join(table for table, _ in tables)}")
    # The tables are paged at once (each one's pages follow its $skipToken, one after another); the rows
    # are kept in table order, so the result is the one a serial fetch gives.
    with ThreadPoolExecutor(max_workers=max(1, min(max_workers, len(tables))), thread_name_prefix="arg") as pool:
        for (table, _), (rows, failure) in zip(tables, pool.map(query_table, tables), strict=True):
            out.rows.extend(rows)
            if failure is not None:
                out.failed[table] = failure
    if len(out.failed) == len(table_queries()):
        raise AzureAccessError("every Resource Graph query failed: " + "; ".join(f"{t}: {r}" for t, r in out.failed.items()))
    seen = subs or sorted({r.sub for r in out.rows if r.type == "microsoft.resources/subscriptions" and r.sub})
    parts = {"ResourceContainers": "containers", "Resources": "resources", "AuthorizationResources": "authorization",
             "SecurityResources": "security"}
    if "Resources" in out.failed:   # the web apps are unknown, so are their settings
        out.failed[APP_SETTINGS_TABLE] = "not listed: the Resources query failed"
    else:
        if progress:
            progress("listing App Service settings")
        with _errors(base_url):
            try:
                out.rows.extend(site_settings(arm_client(base_url), [r for r in out.rows if r.type == "microsoft.web/sites"],
                                              https))
                parts[APP_SETTINGS_TABLE] = APP_SETTINGS
            except HttpResponseError as exc:   # one refused site: every site's settings keep their earlier data
                out.failed[APP_SETTINGS_TABLE] = f"HTTP {exc.status_code}: {(exc.message or '').splitlines()[0][:200]}"
    for table, part in parts.items():
        if table not in out.failed:
            out.covered.update(scope_name(sub, part) for sub in seen)
    if not subs and "ResourceContainers" not in out.failed:  # a tenant-wide query saw every management group
        tenants = {r.tenant for r in out.rows if r.type == "microsoft.management/managementgroups" and r.tenant}
        out.covered.update(scope_name(None, "management-groups", t) for t in tenants)
    return out


@contextmanager
def sdk_errors(service: str, where: str, token_env: str, setting: str, error: type[Exception]):
    """Credentials refused or ``service`` unreachable: one ``error`` naming what to check."""
    from azure.core.exceptions import ClientAuthenticationError, ServiceRequestError
    try:
        yield
    except ClientAuthenticationError as exc:
        raise error(f"{service} credentials were refused or unavailable (az login, AZURE_CLIENT_ID/"
                    f"AZURE_TENANT_ID/AZURE_CLIENT_SECRET, or {token_env}): "
                    f"{str(exc).splitlines()[0][:300]}") from None
    except ServiceRequestError as exc:
        raise error(f"cannot reach {where} (check {setting} / network): {str(exc)[:200]}") from None


def _errors(base_url: str | None):
    return sdk_errors("Azure", f"Azure Resource Manager at {base_url or 'management.azure.com'}", TOKEN_ENV,
                      "--endpoint", AzureAccessError)


def arm_client(base_url: str | None):
    """A Resource Manager client for plain ARM calls, with the same credential and retries as the SDK's."""
    from azure.core.pipeline import policies
    from azure.mgmt.core import ARMPipelineClient
    from azure.mgmt.core.policies import ARMChallengeAuthenticationPolicy

    return ARMPipelineClient(base_url or "https://management.azure.com", policies=[
        policies.HeadersPolicy(), policies.RetryPolicy(),
        ARMChallengeAuthenticationPolicy(credential(), "https://management.azure.com/.default")])


def site_settings(client, sites: list[Res], https: bool) -> list[Res]:
    """Each web app's app settings and connection strings (``POST .../config/<section>/list``), as
    ``microsoft.web/sites/config`` rows; HttpResponseError when ARM refuses one."""
    from azure.core.exceptions import HttpResponseError
    from azure.core.rest import HttpRequest

    rows = []
    for site in sites:
        for section in SECTIONS:
            path = f"{site.raw['id']}/config/{section}/list?api-version={WEB_API_VERSION}"
            response = client.send_request(HttpRequest("POST", client.format_url(path)),
                                           **({} if https else {"enforce_https": False}))
            if response.status_code != 200:
                raise HttpResponseError(response=response, message=f"list {section} of {site.id}")
            body = response.json()
            if not isinstance(body, dict):
                raise AzureInputError(f"{section} of {site.id}: the answer is not an object")
            rows.append(check_row({"id": f"{site.raw['id']}/config/{section}", "type": "microsoft.web/sites/config",
                                   "subscriptionId": site.sub, "properties": body.get("properties") or {}},
                                  f"{section} of {site.id}"))
    return rows


def _pages(client, table: str, query: str, subs: list[str], https: bool):
    from azure.mgmt.resourcegraph.models import QueryRequest, QueryRequestOptions

    token, page = None, 0
    while True:
        request = QueryRequest(subscriptions=subs or None, query=query,
                               options=QueryRequestOptions(skip_token=token, top=None if token else PAGE_SIZE,
                                                           result_format="objectArray"))
        response = client.resources(request, **({} if https else {"enforce_https": False}))
        data = response.data or []
        if not isinstance(data, list):
            raise AzureInputError(f"Resource Graph {table} page {page}: rows are not an array")
        for i, row in enumerate(data):
            yield check_row(row, f"Resource Graph {table} page {page} row {i}")
        token, page = response.skip_token, page + 1
        if not token:
            return
