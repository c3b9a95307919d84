"""Live input: Microsoft Graph v1.0 read with ``DefaultAzureCredential`` through azure-core's pipeline
(bearer token for ``<endpoint>/.default``; 429 and 5xx answers retried, ``Retry-After`` honoured).

Each list is read page by page through ``@odata.nextLink`` into the same objects an export holds, so
both paths share the rest. A list whose page fails (a 403 for a missing permission, a throttled call
that never recovers) is a failed kind: its scope keeps its earlier data. Expanded navigation
properties (``$expand=members``) come back with at most 20 objects: a full one is read again from
``/<list>/<id>/<property>``, page by page.

The endpoint defaults to ``https://graph.microsoft.com``; ``--endpoint`` / ``CLOUDMAP_GRAPH_ENDPOINT``
overrides it (national clouds, a local test server over plain http on a loopback address), and a
next link to any other host is refused so the token goes nowhere else. ``CLOUDMAP_GRAPH_ACCESS_TOKEN``,
when set, is a pre-issued Graph token used instead of ``DefaultAzureCredential``."""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from urllib.parse import urlparse

from cloudmap.loaders.azure.resource_graph import check_endpoint, credential, sdk_errors
from cloudmap.loaders.entra import export as X

ENDPOINT_ENV = "CLOUDMAP_GRAPH_ENDPOINT"
TOKEN_ENV = "CLOUDMAP_GRAPH_ACCESS_TOKEN"
PUBLIC_CLOUD = "https://graph.microsoft.com"
EXPAND_LIMIT = 20   # Graph returns at most this many objects of an expanded navigation property

_CREDS = "passwordCredentials,keyCredentials"
# kind (a scope part) -> (collection as the exports name it, list path, [(expanded property, its select)])
LISTS: dict[str, tuple[str, str, list[tuple[str, str]]]] = {
    "users": ("users", "/users?$select=id,displayName,userPrincipalName,accountEnabled,userType,signInActivity"
                       "&$top=999", []),
    "groups": ("groups", "/groups?$select=id,displayName,securityEnabled,mailEnabled,groupTypes,"
                         "isAssignableToRole&$top=999", [("members", "id"), ("owners", "id")]),
    "applications": ("applications", f"/applications?$select=id,appId,displayName,signInAudience,{_CREDS}"
                                     f"&$top=999", [("owners", "id")]),
    "service-principals": ("servicePrincipals", f"/servicePrincipals?$select=id,appId,displayName,"
                                                f"servicePrincipalType,alternativeNames,accountEnabled,"
                                                f"appOwnerOrganizationId,appRoles,{_CREDS}&$top=999",
                           [("owners", "id"), ("appRoleAssignments", "id,principalId,resourceId,appRoleId")]),
    "directory-roles": ("directoryRoles", "/directoryRoles?$select=id,displayName,roleTemplateId",
                        [("members", "id")]),
    "role-assignments": ("roleManagement/directory/roleAssignments",
                         "/roleManagement/directory/roleAssignments?$select=id,principalId,roleDefinitionId,"
                         "directoryScopeId", []),
    "oauth2-grants": ("oauth2PermissionGrants", "/oauth2PermissionGrants", []),
}
MFA_REPORT = ("reports/authenticationMethods/userRegistrationDetails",
              "/reports/authenticationMethods/userRegistrationDetails?$select=id,userPrincipalName,isMfaRegistered,"
              "isMfaCapable")


class GraphAccessError(Exception):
    """Microsoft Graph could not be reached or refused every list; the message names what to check."""


class _Refused(Exception):
    def __init__(self, status: int, message: str):
        super().__init__(f"HTTP {status}: {message}")
        self.status = status


@dataclass
class Fetched:
    directory: X.Directory
    failed: dict[str, str] = field(default_factory=dict)   # kind -> reason
    warnings: list[str] = field(default_factory=list)


def endpoint_of(endpoint: str | None) -> tuple[str, bool]:
    """(base url, whether https is enforced); GraphAccessError for an endpoint we will not send tokens to."""
    from cloudmap.loaders.azure.resource_graph import AzureAccessError
    try:
        base, https = check_endpoint(endpoint or os.environ.get(ENDPOINT_ENV) or PUBLIC_CLOUD)
    except AzureAccessError as exc:
        raise GraphAccessError(str(exc).replace("AZURE_RESOURCE_MANAGER_ENDPOINT", ENDPOINT_ENV)) from None
    return base, https


class GraphClient:
    """GET a Graph path (relative to ``/v1.0``) or a next link, with the pipeline's retries."""

    def __init__(self, endpoint: str | None = None):
        from azure.core import PipelineClient
        from azure.core.pipeline import policies

        self.base, self.https = endpoint_of(endpoint)
        url = urlparse(self.base)
        self.host = url.netloc
        audience = PUBLIC_CLOUD if self.base == PUBLIC_CLOUD else f"{url.scheme}://{url.netloc}"
        self.client = PipelineClient(self.base, policies=[
            policies.HeadersPolicy(),
            policies.RetryPolicy(retry_total=6, retry_backoff_max=60),
            policies.BearerTokenCredentialPolicy(credential(TOKEN_ENV), f"{audience}/.default")])

    def get(self, path_or_link: str) -> dict:
        from azure.core.rest import HttpRequest

        url = path_or_link if "://" in path_or_link else f"{self.base}/v1.0{path_or_link}"
        if urlparse(url).netloc != self.host:
            raise GraphAccessError(f"Microsoft Graph answered with a next link to another host ({urlparse(url).netloc}): "
                                   f"refused, the token goes to {self.host} only")
        with sdk_errors("Microsoft Graph", f"Microsoft Graph at {self.base}", TOKEN_ENV, f"--endpoint / {ENDPOINT_ENV}",
                        GraphAccessError):
            response = self.client.send_request(HttpRequest("GET", url), **({} if self.https else
                                                                             {"enforce_https": False}))
        if response.status_code != 200:
            try:
                error = response.json().get("error")
                message = str(error.get("message") if isinstance(error, dict) else error or "")
            except (ValueError, AttributeError):
                message = response.text()[:200]
            raise _Refused(response.status_code, f"GET {url.split('?')[0].removeprefix(self.base)}: {message[:200]}")
        try:
            body = response.json()
        except ValueError:
            raise _Refused(response.status_code, f"GET {url.split('?')[0]}: the answer is not JSON") from None
        if not isinstance(body, dict) or not isinstance(body.get("value"), list):
            raise _Refused(response.status_code, f"GET {url.split('?')[0]}: not a list response (no 'value' array)")
        return body

    def pages(self, path: str) -> list[dict]:
        """Every object of a list, following ``@odata.nextLink`` to the last page."""
        out, link = [], path
        while link:
            body = self.get(link)
            out.extend(body["value"])
            link = body.get("@odata.nextLink")
        return out


def fetch(endpoint: str | None = None, progress=None) -> Fetched:
    client = GraphClient(endpoint)
    out = Fetched(X.Directory())
    for kind, (collection, path, expands) in LISTS.items():
        if progress:
            progress(f"{collection} from Microsoft Graph")
        try:
            rows = _list(client, kind, path, out)
            for prop, select in expands:
                _expand(client, path.split("?", 1)[0], rows, prop, select)
            if kind == "users":
                _sign_in_facts(client, rows, out)
        except _Refused as exc:
            out.failed[kind] = str(exc)
            continue
        X.add_rows(out.directory, rows, lambda i, c=collection: f"Microsoft Graph {c}: value[{i}]",
                   collection=collection)
    if len(out.failed) == len(LISTS):
        raise GraphAccessError("every Microsoft Graph list failed: " + "; ".join(f"{k}: {r}" for k, r in
                                                                               out.failed.items()))
    out.directory.tenant_id = _tenant(client, out)
    return out


def _list(client: GraphClient, kind: str, path: str, out: Fetched) -> list[dict]:
    """A list; users without ``signInActivity`` when Graph refuses it (it needs AuditLog.Read.All and
    Entra ID P1), with a warning."""
    try:
        return client.pages(path)
    except _Refused as exc:
        if kind != "users" or exc.status != 403:
            raise
        out.warnings.append(f"sign-in activity not read ({exc})")
        return client.pages(path.replace(",signInActivity", ""))


def _expand(client: GraphClient, list_path: str, rows: list[dict], prop: str, select: str) -> None:
    """Fill ``prop`` on every row: one list call with ``$expand``, and a full read of each one that came
    back at the expand limit."""
    expanded = {r.get("id"): r.get(prop) or [] for r in client.pages(f"{list_path}?$select=id&$expand={prop}"
                                                                    f"($select={select})")}
    for row in rows:
        got = expanded.get(row.get("id"), [])
        if len(got) >= EXPAND_LIMIT:
            got = client.pages(f"{list_path}/{row['id']}/{prop}?$select={select}")
        row[prop] = got


def _sign_in_facts(client: GraphClient, users: list[dict], out: Fetched) -> None:
    """MFA registration from the authentication methods report (Entra ID P1/P2, AuditLog.Read.All):
    a refusal leaves the users without the fact, with a warning."""
    try:
        rows = client.pages(MFA_REPORT[1])
    except _Refused as exc:
        out.warnings.append(f"MFA registration not read ({exc})")
        return
    X.add_rows(out.directory, rows, lambda i: f"Microsoft Graph {MFA_REPORT[0]}: value[{i}]",
               collection=MFA_REPORT[0])


def _tenant(client: GraphClient, out: Fetched) -> str | None:
    try:
        org = client.get("/organization?$select=id")["value"]
    except _Refused as exc:
        out.warnings.append(f"tenant id not read from /organization ({exc})")
        return None
    if org and isinstance(org[0], dict) and org[0].get("id"):
        return str(org[0]["id"]).lower()
    return None

