"""Credentials in a Terraform state or plan. Terraform keeps the passwords, keys and connection
strings of the resources it manages in plain text in its state, sensitive-marked or not: every
resource's attributes are scanned, and what is found is held by the document itself
(``TerraformState``), placed by resource address and attribute path."""

from __future__ import annotations

from cloudmap.loaders.credentials.detect import scan_json
from cloudmap.loaders.credentials.rows import add_credentials
from cloudmap.loaders.terraform.build import Build
from cloudmap.loaders.terraform.state import Document

from cloudmap.graph.kinds.credentials import TERRAFORM_STATE


def add_state_credentials(build: Build, doc: Document, scope_name: str) -> int:
    """Add the credentials found in the document's resources; returns how many places hold one."""
    holder = f"terraform-state:{scope_name}"
    found = [d for res in doc.resources
             for d in scan_json({k: v for k, v in res.values.items() if k != "_where"}, f"{res.address}.")]
    if found:
        build.node(TERRAFORM_STATE, {"id": holder, "name": doc.path.name, "provider": "terraform",
                                     "document": doc.kind, "path": doc.path.name, "source": "terraform"})
        add_credentials(build, holder, found, f"terraform-{doc.kind}", provider="terraform")
    return len(found)
