"""Credentials in App Service configuration: app settings and connection strings.

ARM returns them to ``POST <site>/config/appsettings/list`` and ``.../config/connectionstrings/list``
(which need ``Microsoft.Web/sites/config/list/action``); the live load asks for every web app it
read, an export holds those answers as rows of type ``microsoft.web/sites/config``. The site holds
what is found, in the subscription's own ``app-settings`` scope; values are scanned and dropped."""

from __future__ import annotations

from cloudmap.loaders.azure.plan import Plan, Res, handles, scope_name
from cloudmap.loaders.credentials.detect import scan_settings
from cloudmap.loaders.credentials.rows import add_credentials

SECTIONS = {"appsettings": "app-settings", "connectionstrings": "connection-strings"}
SCOPE_PART = "app-settings"


def site_settings(section: str, properties: dict) -> dict[str, str]:
    """{place: value} of an appsettings ({name: value}) or connectionstrings ({name: {value, type}}) answer."""
    if section == "connectionstrings":
        return {f"connection string {k}": v.get("value") for k, v in properties.items()
                if isinstance(v, dict) and isinstance(v.get("value"), str)}
    return {f"app setting {k}": v for k, v in properties.items() if isinstance(v, str)}


@handles("microsoft.web/sites/config")
def site_config(plan: Plan, res: Res) -> None:
    site, _, section = res.id.rpartition("/config/")
    if section not in SECTIONS or not site:
        plan.skipped_types[f"{res.type}/{section}"] += 1
        return
    scope = scope_name(res.sub, SCOPE_PART, res.tenant)
    plan.covered.add(scope)   # an answer without credentials still says the site holds none now
    add_credentials(plan, site, scan_settings(site_settings(section, res.props)), f"app-service-{SECTIONS[section]}",
                    provider="azure", scope=scope)
