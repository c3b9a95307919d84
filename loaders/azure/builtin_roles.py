"""Well-known built-in Azure roles, for assignments whose definition is not in the input (Resource Graph
lists built-in definitions only when asked). Permissions as Azure publishes them."""

from __future__ import annotations

_BLOB = "Microsoft.Storage/storageAccounts/blobServices"
_KV_READS = ["Microsoft.Authorization/*/read", "Microsoft.Insights/alertRules/*", "Microsoft.Resources/deployments/*",
             "Microsoft.Resources/subscriptions/resourceGroups/read", "Microsoft.Support/*",
             "Microsoft.KeyVault/checkNameAvailability/read", "Microsoft.KeyVault/deletedVaults/read",
             "Microsoft.KeyVault/locations/*/read", "Microsoft.KeyVault/vaults/*/read",
             "Microsoft.KeyVault/operations/read"]

# guid -> (role name, actions, not_actions, data_actions, not_data_actions)
BUILTIN_ROLES: dict[str, tuple[str, list[str], list[str], list[str], list[str]]] = {
    "8e3af657-a8ff-443c-a75c-2fe8c4bcb635": ("Owner", ["*"], [], [], []),
    "b24988ac-6180-42a0-ab88-20f7382dd24c": (
        "Contributor", ["*"],
        ["Microsoft.Authorization/*/Delete", "Microsoft.Authorization/*/Write",
         "Microsoft.Authorization/elevateAccess/Action", "Microsoft.Blueprint/blueprintAssignments/write",
         "Microsoft.Blueprint/blueprintAssignments/delete", "Microsoft.Compute/galleries/share/action",
         "Microsoft.Purview/consents/write", "Microsoft.Purview/consents/delete"], [], []),
    "acdd72a7-3385-48ef-bd42-f606fba81ae7": ("Reader", ["*/read"], [], [], []),
    "18d7d88d-d35e-4fb5-a5c3-7773c4a72d9d": (
        "User Access Administrator", ["*/read", "Microsoft.Authorization/*", "Microsoft.Support/*"], [], [], []),
    "2a2b9908-6ea1-4ae2-8e65-a410df84e7d1": (
        "Storage Blob Data Reader", [f"{_BLOB}/containers/read", f"{_BLOB}/generateUserDelegationKey/action"], [],
        [f"{_BLOB}/containers/blobs/read"], []),
    "ba92f5b4-2d11-453d-a403-e96b0029c9fe": (
        "Storage Blob Data Contributor",
        [f"{_BLOB}/containers/delete", f"{_BLOB}/containers/read", f"{_BLOB}/containers/write",
         f"{_BLOB}/generateUserDelegationKey/action"], [],
        [f"{_BLOB}/containers/blobs/delete", f"{_BLOB}/containers/blobs/read", f"{_BLOB}/containers/blobs/write",
         f"{_BLOB}/containers/blobs/move/action", f"{_BLOB}/containers/blobs/add/action"], []),
    "b7e6dc6d-f1e8-4753-8033-0f276bb0955b": (
        "Storage Blob Data Owner", [f"{_BLOB}/containers/*", f"{_BLOB}/generateUserDelegationKey/action"], [],
        [f"{_BLOB}/containers/blobs/*"], []),
    "4633458b-17de-408a-b874-0445c86b69e6": (
        "Key Vault Secrets User", [],
        [], ["Microsoft.KeyVault/vaults/secrets/getSecret/action", "Microsoft.KeyVault/vaults/secrets/readMetadata/action"],
        []),
    "b86a8fe4-44ce-4948-aee5-eccb2c155cd7": (
        "Key Vault Secrets Officer", _KV_READS, [], ["Microsoft.KeyVault/vaults/secrets/*"], []),
    "00482a5a-887f-4fb3-b363-3b7fe8e74483": (
        "Key Vault Administrator", _KV_READS, [], ["Microsoft.KeyVault/vaults/*"], []),
}


def builtin_row(guid: str) -> dict | None:
    """A RoleDefinition row for a well-known built-in role, or None."""
    known = BUILTIN_ROLES.get(guid.lower())
    if not known:
        return None
    name, actions, not_actions, data_actions, not_data_actions = known
    return {"role_name": name, "name": name, "role_type": "BuiltInRole", "actions": actions,
            "not_actions": not_actions, "data_actions": data_actions, "not_data_actions": not_data_actions,
            "assignable_scopes": ["/"]}
