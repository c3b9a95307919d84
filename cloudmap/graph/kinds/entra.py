"""Microsoft Entra ID kinds beyond the principals (users, groups and service principals are declared
with the Azure kinds, since role assignments name them): the tenant, applications, directory roles,
and the relationships between principals.

Ids: ``entra:<object id>`` for directory objects, ``entra-tenant:<tenant id>`` for the tenant,
``entra-role:<tenant id>:<role template id>`` for a directory role in a tenant."""

from cloudmap.graph.kinds import azure as az
from cloudmap.graph.model import node_kind, rel_kind

TENANT = node_kind("EntraTenant", ("Account",), properties=(("tenant_id", "str"), ("domain", "str")),
                   description="An Entra ID tenant: Global Administrators hold admin of it (CAN_ACCESS).")
APPLICATION = node_kind("EntraApplication", ("Application",),
                        properties=(("principal_id", "str", "object id"), ("tenant_id", "str"), ("app_id", "str"),
                                    ("sign_in_audience", "str"), *az._CREDENTIALS),
                        description="An app registration; its service principal in each tenant acts as it.")
DIRECTORY_ROLE = node_kind("EntraDirectoryRole", ("Policy", "DirectoryRole"),
                           properties=(("role_name", "str"), ("template_id", "str"), ("tenant_id", "str"),
                                       ("privileged", "bool", "a role that can reach Global Administrator")),
                           description="An Entra directory role (Global Administrator, ...), by template id.")

PRINCIPAL_MEMBER_OF = rel_kind("MEMBER_OF", "Identity", az.ENTRA_GROUP,
                               description="Direct group membership (nested groups are members too).")
OWNS = rel_kind("OWNS", "Identity", "Asset",
                description="An owner of an application, service principal or group: owners manage "
                            "credentials and membership.")
HAS_DIRECTORY_ROLE = rel_kind("HAS_DIRECTORY_ROLE", "Identity", DIRECTORY_ROLE,
                              properties=(("directory_scope", "str", "directoryScopeId, / for the whole tenant"),
                                          ("assignment_id", "str")),
                              description="An active directory role assignment.")
SERVICE_PRINCIPAL_OF = rel_kind("SERVICE_PRINCIPAL_OF", az.ENTRA_SP, APPLICATION,
                                description="The service principal of an application (joined on appId).")
HAS_APP_ROLE = rel_kind("HAS_APP_ROLE", "Identity", az.ENTRA_SP,
                        properties=(("permission", "str", "the strongest of the permissions, e.g. "
                                                          "RoleManagement.ReadWrite.Directory"),
                                    ("permissions", "list[str]", "every app role value held on the resource"),
                                    ("app_role_ids", "list[str]")),
                        description="An app role assignment: an application permission the principal holds on "
                                    "a resource API (Microsoft Graph's service principal, ...).")
HAS_OAUTH2_GRANT = rel_kind("HAS_OAUTH2_GRANT", az.ENTRA_SP, az.ENTRA_SP,
                            properties=(("scopes", "list[str]", "the delegated permissions granted, e.g. "
                                                                "Directory.AccessAsUser.All"),
                                        ("consent_type", "str", "AllPrincipals (admin consent for every user) "
                                                                "or Principal (one user's consent)"),
                                        ("principal_ids", "list[str]", "the users who consented, for Principal "
                                                                       "grants"),
                                        ("grant_ids", "list[str]")),
                            description="OAuth2 permission grants: delegated permissions a client service "
                                        "principal holds on a resource API, on behalf of signed-in users.")
