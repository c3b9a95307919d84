"""Credentials found in configuration, and the configuration that holds them.

A ``Credential`` is one secret value, known only by its keyed fingerprint (id ``credential:<fingerprint>``):
the same secret in two places is one node. Its holders point at it with ``HOLDS_CREDENTIAL`` (where it
was found); the engine resolves what it opens into ``EXPOSES_CREDENTIAL``. Ids of AWS configuration
holders: SSM parameters and Elastic Beanstalk environments by ARN; a Terraform document by its scope
(``terraform-state:<scope>``)."""

from cloudmap.graph.model import node_kind, rel_kind

CREDENTIAL = node_kind("Credential", ("Credential",), (
    ("kind", "str", "aws-access-key, db-password, db-connection-string, azure-storage-key, azure-sas, private-key, "
                    "gcp-service-account-key, github-token, slack-token, jwt, api-token, password"),
    ("fingerprint", "str", "HMAC-SHA256 of the value with this installation's key (never the value)"),
    ("access_key_id", "str", "an AWS key's access key id (not secret): joins it to its IAM user"),
    ("host", "str", "the database host, endpoint or identifier the configuration names with the password"),
    ("user", "str", "the user name the configuration names with it"),
    ("account", "str", "the storage account of an Azure key or SAS token; a GCP key's service account"),
), "A secret found in configuration, known by its fingerprint only (id credential:<fingerprint>).", shared=True)

HOLDS_CREDENTIAL = rel_kind("HOLDS_CREDENTIAL", "Asset", CREDENTIAL, (
    ("where", "list[str]", "where in the holder's configuration: variable name, setting or line"),
    ("credential_kind", "str", "the credential's kind"),
    ("location", "str", "which configuration: lambda-environment, user-data, ssm-parameter, ..."),
), "The resource's configuration holds the credential in plain text.")

SSM_PARAMETER = node_kind("AWSSSMParameter", ("ConfigurationItem", "Parameter"), (
    ("parameter_type", "str", "String or StringList (SecureString values are never read)"),
    ("version", "int"), ("last_modified", "datetime"),
), "An SSM Parameter Store parameter.")
BEANSTALK_ENVIRONMENT = node_kind("AWSBeanstalkEnvironment", ("Workload",), (
    ("application", "str"), ("status", "str"), ("health", "str"), ("cname", "str"), ("endpoint_url", "str"),
    ("solution_stack", "str"),
), "An Elastic Beanstalk environment.")
TERRAFORM_STATE = node_kind("TerraformState", ("ConfigurationItem",), (
    ("document", "str", "state or plan"), ("path", "str", "the file name it was read from"),
), "A Terraform state or plan whose resource attributes hold credentials (id terraform-state:<scope>).")
