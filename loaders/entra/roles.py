"""Well-known Entra ids: built-in directory role templates and Microsoft Graph application permissions.

Template ids are the same in every tenant (Microsoft's "Microsoft Entra built-in roles" reference);
a directory role export carries its own name, so these only name roles a role-assignment export refers
to by template id. ``privileged`` marks the roles that can reach Global Administrator."""

from __future__ import annotations

GLOBAL_ADMINISTRATOR = "62e90394-69f5-4237-9190-012177145e10"
PRIVILEGED_ROLE_ADMINISTRATOR = "e8611ab8-c189-46e8-94e1-60213ab1f814"
PRIVILEGED_AUTHENTICATION_ADMINISTRATOR = "7be44c8a-adaf-4e2a-84d6-ab2649e08a13"
APPLICATION_ADMINISTRATOR = "9b895d92-2cd3-44c7-9d02-a6ac2d5ea5c3"
CLOUD_APPLICATION_ADMINISTRATOR = "158c047a-c907-4556-b7ef-446551a6b5f7"
GROUPS_ADMINISTRATOR = "fdd7a751-b60b-444a-984c-02652fe8fa1c"

# template id -> (name, privileged)
DIRECTORY_ROLES: dict[str, tuple[str, bool]] = {
    GLOBAL_ADMINISTRATOR: ("Global Administrator", True),
    PRIVILEGED_ROLE_ADMINISTRATOR: ("Privileged Role Administrator", True),
    PRIVILEGED_AUTHENTICATION_ADMINISTRATOR: ("Privileged Authentication Administrator", True),
    APPLICATION_ADMINISTRATOR: ("Application Administrator", True),
    CLOUD_APPLICATION_ADMINISTRATOR: ("Cloud Application Administrator", True),
    GROUPS_ADMINISTRATOR: ("Groups Administrator", True),
    "fe930be7-5e62-47db-91af-98c3a49a38b1": ("User Administrator", False),
    "c4e39bd9-1100-46d3-8c65-fb160da0071f": ("Authentication Administrator", False),
    "729827e3-9c14-49f7-bb1b-9608f156bbb8": ("Helpdesk Administrator", False),
    "194ae4cb-b126-40b2-bd5b-6091b380977d": ("Security Administrator", False),
    "f2ef992c-3afb-46b9-b7cf-a126ee74c451": ("Global Reader", False),
    "88d8e3e3-8f55-4a1e-953a-9b9898b8876b": ("Directory Readers", False),
    "9360feb5-f418-4baa-8175-e2a00bac4301": ("Directory Writers", False),
    "5d6b6bb7-de71-4623-b4af-96380a352509": ("Security Reader", False),
}

MICROSOFT_GRAPH_APP_ID = "00000003-0000-0000-c000-000000000000"
# Microsoft Graph application permissions (app role ids) that lead to Global Administrator.
GRAPH_APP_ROLES: dict[str, str] = {
    "9e3f62cf-ca93-4989-b6ce-bf83c28f9fe8": "RoleManagement.ReadWrite.Directory",
    "06b708a9-e830-4db3-a914-8e69da51d44f": "AppRoleAssignment.ReadWrite.All",
    "1bfefb4e-e0b5-418b-a88f-73c6d2e8df86": "Application.ReadWrite.All",
    "7ab1d382-f21e-4acd-a863-ba3e13f7da61": "Directory.Read.All",
    "df021288-bdef-4463-88db-98f22de89214": "User.Read.All",
}
ADMIN_GRAPH_PERMISSIONS = ("RoleManagement.ReadWrite.Directory", "AppRoleAssignment.ReadWrite.All",
                           "Application.ReadWrite.All")
