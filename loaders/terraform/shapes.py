"""The nested shapes of the Terraform resources cloudmap maps, checked before mapping: a value of the
wrong type (``ingress`` given as a string) is one error naming the file, the resource address and the
field path, never a traceback. Only fields the mappers read are declared; the rest is ignored."""

from __future__ import annotations

from typing import Any

from cloudmap.loaders.inputfile import InputError, field_path, validation_message
from pydantic import BaseModel, ConfigDict, ValidationError


class _Shape(BaseModel):
    model_config = ConfigDict(extra="ignore")


Tags = dict[str, str | None] | None
Strs = list[str] | None
Objects = list[dict[str, Any]] | None


class _Tagged(_Shape):
    tags: Tags = None


class SgRule(_Shape):
    from_port: int | None = None
    to_port: int | None = None
    protocol: str | None = None
    cidr_blocks: Strs = None
    ipv6_cidr_blocks: Strs = None
    security_groups: Strs = None
    self: bool | None = None


class SecurityGroup(_Tagged):
    ingress: list[SgRule] | None = None
    egress: list[SgRule] | None = None


class Instance(_Tagged):
    vpc_security_group_ids: Strs = None
    security_groups: Strs = None
    metadata_options: Objects = None
    network_interface: Objects = None


class NetworkSecurityGroup(_Tagged):
    security_rule: Objects = None


class StorageAccount(_Tagged):
    network_rules: Objects = None


class _Labelled(_Shape):  # google resources: labels; network tags are a list
    labels: Tags = None


class GoogleFirewall(_Labelled):
    allow: Objects = None
    deny: Objects = None
    source_ranges: Strs = None
    source_tags: Strs = None
    target_tags: Strs = None
    source_service_accounts: Strs = None
    target_service_accounts: Strs = None
    priority: int | None = None


class GoogleInstance(_Labelled):
    tags: Strs = None
    metadata: dict[str, Any] | None = None
    network_interface: Objects = None
    service_account: Objects = None


class GoogleSql(_Labelled):
    settings: Objects = None


class GoogleIamMember(_Shape):   # google_*_iam_member (a plan may not know role or member until apply)
    role: str | None = None
    member: str | None = None
    condition: Objects = None


class GoogleIamBinding(_Shape):  # google_*_iam_binding
    role: str | None = None
    members: Strs = None
    condition: Objects = None


class GoogleIamPolicy(_Shape):   # google_*_iam_policy: policy_data is google_iam_policy's JSON
    policy_data: str | None = None


class GoogleCustomRole(_Shape):
    permissions: Strs = None
    deleted: bool | None = None


_IAM_LEVELS = ("project", "folder", "organization", "storage_bucket", "service_account")
SHAPES: dict[str, type[_Shape]] = {
    **{f"google_{level}_iam_{form}": shape for level in _IAM_LEVELS
       for form, shape in (("member", GoogleIamMember), ("binding", GoogleIamBinding), ("policy", GoogleIamPolicy))},
    "google_project_iam_custom_role": GoogleCustomRole, "google_organization_iam_custom_role": GoogleCustomRole,
    "google_compute_firewall": GoogleFirewall, "google_compute_instance": GoogleInstance,
    "google_sql_database_instance": GoogleSql,
    "aws_security_group": SecurityGroup, "aws_default_security_group": SecurityGroup, "aws_instance": Instance,
    "azurerm_network_security_group": NetworkSecurityGroup, "azurerm_storage_account": StorageAccount,
}


def check(where: str, address: str, rtype: str, values: dict) -> None:
    """InputError when the resource's nested values do not have the shape its mapper reads:
    ``plan.json: values.root_module.resources[3] (aws_security_group.web): values.ingress: ...``."""
    model = SHAPES.get(rtype, _Labelled if rtype.startswith("google_") else _Tagged)
    try:
        model.model_validate(values)
    except ValidationError as exc:
        err = exc.errors(include_url=False)[0]
        message = validation_message("-", exc).split(": ", 2)[2]  # the problem, without path and field
        raise InputError(f"{where} ({address}): {field_path(('values', *err['loc']))}: {message}") from None
