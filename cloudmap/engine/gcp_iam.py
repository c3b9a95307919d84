"""GCP IAM, pure Python: a role grants a permission when one of its permissions is it (or ``*``);
a binding applies to its resource and everything below it in the hierarchy (the caller resolves
the hierarchy from the graph's CONTAINS chain). Escalation methods are principal → service account
moves, each named by the permission set that enables it."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from fnmatch import fnmatchcase

# permission -> access level, per target kind
BUCKET_PROBES = {"storage.objects.get": "read", "storage.objects.list": "read", "storage.objects.create": "write",
                 "storage.objects.delete": "write", "storage.buckets.setIamPolicy": "admin"}
SQL_PROBES = {"cloudsql.instances.connect": "read", "cloudsql.instances.update": "admin"}
BIGQUERY_PROBES = {"bigquery.tables.getData": "read", "bigquery.tables.updateData": "write",
                   "bigquery.datasets.setIamPolicy": "admin"}
SECRET_PROBES = {"secretmanager.versions.access": "read", "secretmanager.versions.add": "write",
                 "secretmanager.secrets.setIamPolicy": "admin"}
KMS_PROBES = {"cloudkms.cryptoKeyVersions.useToDecrypt": "read", "cloudkms.cryptoKeyVersions.useToEncrypt": "write",
              "cloudkms.cryptoKeys.setIamPolicy": "admin"}
PROBES = {"GCPBucket": BUCKET_PROBES, "GCPSQLInstance": SQL_PROBES, "GCPBigQueryDataset": BIGQUERY_PROBES,
          "GCPSecret": SECRET_PROBES, "GCPCryptoKey": KMS_PROBES}
PUBLIC_DATA = ("GCPBucket", "GCPBigQueryDataset")  # allUsers on them is anyone on the internet
INVOKE = {"GCPCloudRunService": "run.routes.invoke", "GCPCloudFunction": "cloudfunctions.functions.invoke"}

# principal -> service account: the permissions a principal needs on the account (or above it)
ESCALATIONS: dict[str, tuple[str, ...]] = {
    "iam.serviceAccounts.getAccessToken": ("iam.serviceAccounts.getAccessToken",),
    "iam.serviceAccounts.signBlob": ("iam.serviceAccounts.signBlob",),
    "iam.serviceAccounts.signJwt": ("iam.serviceAccounts.signJwt",),
    "iam.serviceAccounts.implicitDelegation": ("iam.serviceAccounts.implicitDelegation",),
    "iam.serviceAccountKeys.create": ("iam.serviceAccountKeys.create",),
    "iam.serviceAccounts.setIamPolicy": ("iam.serviceAccounts.setIamPolicy",),
    "iam.serviceAccounts.actAs+compute.instances.create": ("iam.serviceAccounts.actAs", "compute.instances.create"),
    "iam.serviceAccounts.actAs+cloudfunctions.functions.create": ("iam.serviceAccounts.actAs",
                                                                  "cloudfunctions.functions.create"),
    "iam.serviceAccounts.actAs+run.services.create": ("iam.serviceAccounts.actAs", "run.services.create"),
    "iam.serviceAccounts.actAs+compute.instances.setServiceAccount": ("iam.serviceAccounts.actAs",
                                                                      "compute.instances.setServiceAccount"),
}
# principal -> the hierarchy node itself ("admin of" it): rewriting its IAM policy
SET_IAM_POLICY = {"GCPProject": "resourcemanager.projects.setIamPolicy",
                  "GCPFolder": "resourcemanager.folders.setIamPolicy",
                  "GCPOrganization": "resourcemanager.organizations.setIamPolicy"}
# principal -> a project's Google-managed service agent, which runs what the principal submits
SERVICE_AGENTS = {"deploymentmanager.deployments.create": "{number}@cloudservices.gserviceaccount.com",
                  "cloudbuild.builds.create": "{number}@cloudbuild.gserviceaccount.com"}
ROLE_UPDATE = "iam.roles.update"
SET_METADATA = "compute.instances.setMetadata"
# with OS Login the ssh-keys metadata is ignored: a startup script then needs a restart to run
RESTART = "compute.instances.reset"


# every permission the engine asks a role about: the predefined roles' shipped data keeps these only
# (scripts/gcp_predefined_roles.py)
PROBED_PERMISSIONS: frozenset[str] = frozenset({
    *(p for probes in PROBES.values() for p in probes), *INVOKE.values(),
    *(p for needs in ESCALATIONS.values() for p in needs), *SET_IAM_POLICY.values(), *SERVICE_AGENTS,
    ROLE_UPDATE, SET_METADATA, RESTART})


def grants(permissions: list[str] | tuple[str, ...], wanted: str) -> bool:
    return any(p == wanted or fnmatchcase(wanted, p) for p in permissions)


def allowed(permissions, probes: dict[str, str]) -> dict[str, str]:
    return {op: lvl for op, lvl in probes.items() if grants(permissions, op)}


def escalation_methods(held: set[str]) -> list[str]:
    """The methods a set of permissions held on a service account enables ('*' holds everything)."""
    return [m for m, needs in ESCALATIONS.items() if all(grants(list(held), n) for n in needs)]


def metadata_takeover(held: set[str], os_login: bool) -> bool:
    """Whether permissions held on an instance let a principal run code on it through its metadata:
    ssh-keys (ignored under OS Login), else a startup script and a restart."""
    perms = list(held)
    return grants(perms, SET_METADATA) and (not os_login or grants(perms, RESTART))


_EXPIRY = re.compile(r"""request\.time\s*<=?\s*timestamp\(\s*["']([^"']+)["']\s*\)""")


def condition_can_hold(expression: str | None, now: datetime | None = None) -> bool:
    """False when an IAM condition can never be met again: a conjunction (no ``||`` or ``!``) with a
    ``request.time < timestamp(...)`` that has passed. Any other condition depends on the request
    (resource names, tags, times, access levels) and is left to the caller as undecided."""
    if not expression:
        return True
    if "||" in expression or "!" in expression:
        return True
    now = now or datetime.now(UTC)
    for stamp in _EXPIRY.findall(expression):
        try:
            if datetime.fromisoformat(stamp.replace("Z", "+00:00")) <= now:
                return False
        except ValueError:
            continue
    return True
