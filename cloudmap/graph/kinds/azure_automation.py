"""Azure Automation accounts: runbooks run as the account's managed identities, so whoever may
write a runbook and start a job there acts as those identities (an escalation method)."""

from cloudmap.graph.model import node_kind

AUTOMATION_ACCOUNT = node_kind("AzureAutomationAccount", ("AutomationAccount",), (
    ("state", "str"), ("public_network_access", "bool"),
), "An Azure Automation account; USES_IDENTITY its managed identities.")
