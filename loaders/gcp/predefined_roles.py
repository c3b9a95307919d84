"""Permissions of the predefined roles the engine evaluates, from the public IAM roles reference
(https://cloud.google.com/iam/docs/understanding-roles), taken 2026-11-30. Only the permissions the
engine probes are kept (storage, Cloud SQL, BigQuery data, secret versions, KMS use, service accounts,
IAM policies, roles, invocation, instance, function, service, deployment and build creation); a role not listed here grants nothing the engine can see."""

SOURCE = "https://cloud.google.com/iam/docs/understanding-roles"
RETRIEVED = "2026-11-30"

_OBJ_READ = ("storage.objects.get", "storage.objects.list")
_OBJ_WRITE = ("storage.objects.create", "storage.objects.delete", "storage.objects.update")
_SA_ADMIN = ("iam.serviceAccounts.actAs", "iam.serviceAccounts.getAccessToken", "iam.serviceAccounts.signBlob",
             "iam.serviceAccounts.signJwt", "iam.serviceAccountKeys.create", "iam.serviceAccounts.setIamPolicy")

ROLES: dict[str, tuple[str, ...]] = {
    "roles/owner": ("*",),
    "roles/editor": (*_OBJ_READ, *_OBJ_WRITE, "cloudsql.instances.connect", "compute.instances.create",
                     "compute.instances.setMetadata", "compute.instances.setServiceAccount", "compute.instances.reset",
                     "cloudfunctions.functions.create", "run.services.create", "deploymentmanager.deployments.create",
                     "cloudbuild.builds.create", "iam.serviceAccounts.actAs", "iam.serviceAccountKeys.create"),
    "roles/viewer": ("cloudsql.instances.get", "compute.instances.get"),
    "roles/storage.admin": (*_OBJ_READ, *_OBJ_WRITE, "storage.buckets.setIamPolicy"),
    "roles/storage.objectAdmin": (*_OBJ_READ, *_OBJ_WRITE),
    "roles/storage.objectViewer": _OBJ_READ,
    "roles/storage.objectCreator": ("storage.objects.create",),
    "roles/storage.legacyBucketReader": ("storage.objects.list",),
    "roles/storage.legacyObjectReader": ("storage.objects.get",),
    "roles/cloudsql.client": ("cloudsql.instances.connect", "cloudsql.instances.get"),
    "roles/cloudsql.admin": ("cloudsql.instances.connect", "cloudsql.instances.get", "cloudsql.instances.update"),
    "roles/compute.admin": ("compute.instances.create", "compute.instances.setMetadata",
                            "compute.instances.setServiceAccount", "compute.instances.reset"),
    "roles/compute.instanceAdmin.v1": ("compute.instances.create", "compute.instances.setMetadata",
                                       "compute.instances.setServiceAccount", "compute.instances.reset"),
    "roles/cloudfunctions.developer": ("cloudfunctions.functions.create", "cloudfunctions.functions.update"),
    "roles/cloudfunctions.viewer": ("cloudfunctions.functions.get", "cloudfunctions.functions.list"),
    "roles/run.developer": ("run.services.create", "run.services.update"),
    "roles/run.invoker": ("run.routes.invoke",),
    "roles/cloudfunctions.invoker": ("cloudfunctions.functions.invoke",),
    "roles/bigquery.dataViewer": ("bigquery.tables.getData", "bigquery.tables.list"),
    "roles/bigquery.dataEditor": ("bigquery.tables.getData", "bigquery.tables.updateData"),
    "roles/secretmanager.secretAccessor": ("secretmanager.versions.access",),
    "roles/secretmanager.viewer": ("secretmanager.secrets.get", "secretmanager.secrets.list"),
    "roles/cloudkms.cryptoKeyDecrypter": ("cloudkms.cryptoKeyVersions.useToDecrypt",),
    "roles/cloudkms.cryptoKeyEncrypterDecrypter": ("cloudkms.cryptoKeyVersions.useToDecrypt",
                                                   "cloudkms.cryptoKeyVersions.useToEncrypt"),
    "roles/deploymentmanager.editor": ("deploymentmanager.deployments.create", "deploymentmanager.deployments.update"),
    "roles/deploymentmanager.viewer": ("deploymentmanager.deployments.get", "deploymentmanager.deployments.list"),
    "roles/cloudbuild.builds.editor": ("cloudbuild.builds.create", "cloudbuild.builds.get"),
    "roles/cloudbuild.builds.viewer": ("cloudbuild.builds.get", "cloudbuild.builds.list"),
    "roles/cloudbuild.builds.builder": (*_OBJ_READ, *_OBJ_WRITE),
    "roles/iam.roleAdmin": ("iam.roles.create", "iam.roles.update", "iam.roles.get"),
    "roles/iam.roleViewer": ("iam.roles.get", "iam.roles.list"),
    "roles/iam.serviceAccountUser": ("iam.serviceAccounts.actAs",),
    "roles/iam.serviceAccountTokenCreator": ("iam.serviceAccounts.getAccessToken", "iam.serviceAccounts.signBlob",
                                             "iam.serviceAccounts.signJwt", "iam.serviceAccounts.implicitDelegation"),
    "roles/iam.serviceAccountKeyAdmin": ("iam.serviceAccountKeys.create",),
    "roles/iam.serviceAccountAdmin": ("iam.serviceAccounts.setIamPolicy",),
    "roles/iam.securityAdmin": ("resourcemanager.projects.setIamPolicy", "iam.serviceAccounts.setIamPolicy",
                                "storage.buckets.setIamPolicy"),
    "roles/resourcemanager.projectIamAdmin": ("resourcemanager.projects.setIamPolicy",),
    "roles/resourcemanager.folderIamAdmin": ("resourcemanager.folders.setIamPolicy",),
    "roles/resourcemanager.organizationAdmin": ("resourcemanager.organizations.setIamPolicy",
                                                "resourcemanager.folders.setIamPolicy",
                                                "resourcemanager.projects.setIamPolicy"),
}
