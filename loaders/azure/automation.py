"""Automation accounts (Resource Graph type microsoft.automation/automationaccounts)."""

from __future__ import annotations

from cloudmap.loaders.azure.plan import Plan, Res, handles

from cloudmap.graph.kinds.azure_automation import AUTOMATION_ACCOUNT


@handles("microsoft.automation/automationaccounts")
def automation_account(plan: Plan, res: Res) -> None:
    access = res.props.get("publicNetworkAccess")
    plan.asset(AUTOMATION_ACCOUNT, res, state=res.props.get("state"),
               public_network_access=None if access is None else bool(access))
    plan.identity(res.id, res)
