"""Finding credentials in configuration: Yelp's detect-secrets plugins, plus recognizers for what
they do not cover (AWS key pairs, database passwords with their host, Azure storage connection
strings and SAS tokens, GCP service-account keys, tokens named as such).

Input is what a configuration holds: named settings (environment variables, app settings,
parameters) or a text (user data, a ConfigMap file). Output is a list of :class:`Detected`, which
keeps the kind, where it was found, a keyed fingerprint and the non-secret facts that say what the
credential opens (an AWS access key id, a database host, a storage account name). No value leaves
this module."""

from __future__ import annotations

import json
import math
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

from cloudmap.loaders.credentials.fingerprint import fingerprint
from detect_secrets.core.scan import scan_line
from detect_secrets.settings import transient_settings

# detect-secrets plugins that name what they found; high-entropy and keyword plugins are left out
# (they flag every hash and id), the recognizers below cover named secrets instead.
PLUGINS = {
    "AWSKeyDetector": None, "PrivateKeyDetector": None, "SlackDetector": None, "GitHubTokenDetector": None,
    "GitLabTokenDetector": None, "StripeDetector": None, "TwilioKeyDetector": None, "SendGridDetector": None,
    "NpmDetector": None, "PypiTokenDetector": None, "OpenAIDetector": None, "DiscordBotTokenDetector": None,
    "JwtTokenDetector": None, "AzureStorageKeyDetector": None, "BasicAuthDetector": None,
}
LIBRARY_KINDS = {"AWS Access Key": None,   # the pair recognizer below owns AWS keys
                 "Private Key": None,      # so does the PEM recognizer (the plugin returns the header only)
                 "Basic Auth Credentials": None,   # and the connection-string recognizer
                 "Azure Storage Account access key": None,
                 "Slack Token": "slack-token", "GitHub Token": "github-token", "GitLab Token": "gitlab-token",
                 "Stripe Access Key": "api-token", "Twilio API Key": "api-token", "SendGrid API Key": "api-token",
                 "NPM tokens": "api-token", "PyPI Upload Token": "api-token", "OpenAI Token": "api-token",
                 "Discord Bot Token": "api-token", "JSON Web Token": "jwt"}

AWS_KEY_ID = re.compile(r"\b((?:AKIA|ASIA)[A-Z2-7]{16})\b")
AWS_SECRET = re.compile(r"(?<![A-Za-z0-9/+=])([A-Za-z0-9/+]{40})(?![A-Za-z0-9/+=])")
AWS_SECRET_NAME = re.compile(r"secret.?access.?key|aws.?secret", re.I)
DB_URL = re.compile(r"\b(?P<scheme>postgres(?:ql)?|mysql|mariadb|mongodb(?:\+srv)?|redis|mssql|sqlserver|oracle|amqp)"
                    r"(?:\+\w+)?://(?P<user>[^:/@\s]+):(?P<password>[^@\s]+)@(?P<host>[^:/?\s,;\"']+)", re.I)
AZURE_CONN = re.compile(r"AccountName=(?P<account>[a-z0-9]{3,24});\s*AccountKey=(?P<key>[A-Za-z0-9+/=]{40,})", re.I)
AZURE_SAS = re.compile(r"(?:https://(?P<account>[a-z0-9]{3,24})\.(?:blob|file|queue|table|dfs)\.core\.windows\.net\S*)?"
                       r"[?&;]?(?:SharedAccessSignature=)?sv=\d{4}-\d{2}-\d{2}[^\s\"']*?[&;]sig=(?P<sig>[A-Za-z0-9%+/=]{20,})",
                       re.I)
PEM = re.compile(r"-----BEGIN (?P<type>[A-Z ]*PRIVATE KEY)-----(?P<body>.+?)-----END (?P=type)-----", re.S)
PASSWORD_NAME = re.compile(r"(password|passwd|(^|[^a-z])(pwd|pass))$", re.I)   # DB_PASSWORD, PGPASSWORD, db.pass
HOST_NAME = re.compile(r"(host|endpoint|server|address|instance|identifier|db.?url)", re.I)
USER_NAME = re.compile(r"(^|[^a-z])(user(name)?|login|uid)([^a-z]|$)", re.I)
TOKEN_NAME = re.compile(r"(api.?key|token|secret|auth|credential|private.?key|access.?key)", re.I)
SETTING_LINE = re.compile(r"^\s*(?:export\s+|set\s+|\$env:)?(?P<name>[A-Za-z_][A-Za-z0-9_.-]*)\s*[=:]\s*(?P<value>.*?)\s*$")
PLACEHOLDER = re.compile(r"^(\$\{?[\w.:-]+\}?|\{\{.*\}\}|<[^>]+>|\*+|x+|changeme|password|secret|none|null|true|false|"
                         r"todo|example|resolve:.*|arn:aws:.*|[/~].*|@Microsoft\.KeyVault\(.*)$", re.I)


@dataclass(frozen=True)
class Detected:
    kind: str                      # aws-access-key, db-password, azure-storage-key, azure-sas, private-key, ...
    where: str                     # variable name or line, never the value
    fingerprint: str
    access_key_id: str | None = None
    host: str | None = None        # the database (endpoint, identifier or host) a password is for
    user: str | None = None
    account: str | None = None     # a storage account name; a GCP service account's e-mail
    facts: dict = field(default_factory=dict, compare=False, hash=False)


def _unquote(value: str) -> str:
    value = value.strip()
    if len(value) >= 2 and value[0] == value[-1] and value[0] in "\"'":
        value = value[1:-1]
    return value


def _entropy(value: str) -> float:
    if not value:
        return 0.0
    counts = {c: value.count(c) for c in set(value)}
    return -sum(n / len(value) * math.log2(n / len(value)) for n in counts.values())


def _real(value: str) -> bool:
    """Not empty, not a reference to something else (${VAR}, {{ template }}, an ARN) or a placeholder."""
    return bool(value) and len(value) >= 8 and not PLACEHOLDER.match(value)


def scan_settings(settings: Mapping[str, object], where: str = "") -> list[Detected]:
    """Credentials in named settings (``{name: value}``); ``where`` prefixes each location."""
    items = [(str(k), _unquote(str(v))) for k, v in settings.items() if v is not None and str(v).strip()]
    found: list[Detected] = []
    at = (lambda name: f"{where}{name}") if where else (lambda name: name)

    # AWS key pairs: an access key id and, in the same configuration, a 40-character secret.
    key_ids = [(n, m.group(1)) for n, v in items for m in [AWS_KEY_ID.search(v)] if m]
    secrets_ = [(n, m.group(1)) for n, v in items for m in AWS_SECRET.finditer(v)
                if AWS_SECRET_NAME.search(n) or AWS_KEY_ID.search(v)]
    for (id_name, key_id), (secret_name, secret) in zip(key_ids, secrets_, strict=False):
        found.append(Detected("aws-access-key", at(secret_name), fingerprint(secret), access_key_id=key_id,
                              facts={"key_id_at": at(id_name)}))

    host = next((v for n, v in items if HOST_NAME.search(n) and not PASSWORD_NAME.search(n) and _real(v)), None)
    user = next((v for n, v in items if USER_NAME.search(n) and v and not PLACEHOLDER.match(v)), None)
    for name, value in items:
        found.extend(_scan_value(name, value, at(name)))
        if PASSWORD_NAME.search(name) and _real(value) and not DB_URL.search(value) and not AWS_SECRET_NAME.search(name):
            if host:   # a password next to the host it opens
                found.append(Detected("db-password", at(name), fingerprint(value), host=_host(host), user=user))
            else:
                found.append(Detected("password", at(name), fingerprint(value), user=user))
        elif (TOKEN_NAME.search(name) and _real(value) and len(value) >= 16 and _entropy(value) >= 3.5
              and not any(d.where == at(name) for d in found) and " " not in value and not AWS_KEY_ID.search(value)):
            found.append(Detected("api-token", at(name), fingerprint(value)))
    return _unique(found)


def scan_text(text: str, where: str = "") -> list[Detected]:
    """Credentials in a text (user data, a script, a file): settings lines (``NAME=value``,
    ``export NAME=value``, ``name: value``) as settings, plus what spans lines (PEM keys, JSON)."""
    if not text:
        return []
    settings: dict[str, str] = {}
    lines = text.splitlines()
    loose: list[tuple[int, str]] = []
    for number, line in enumerate(lines, 1):
        m = SETTING_LINE.match(line)
        if m and m["value"]:
            settings.setdefault(m["name"], m["value"])
        else:
            loose.append((number, line))
    found = scan_settings(settings, where)
    for number, line in loose:
        found.extend(_scan_value("", line, f"{where}line {number}"))
    gcp = _gcp_key(text, where)
    for m in PEM.finditer(text) if not gcp else ():   # a service-account key is reported as such
        line = text.count("\n", 0, m.start()) + 1
        found.append(Detected("private-key", f"{where}line {line}", fingerprint(re.sub(r"\s+", "", m["body"]))))
    found.extend(gcp)
    return _unique(found)


def scan_json(value: object, where: str = "") -> list[Detected]:
    """Credentials anywhere in a JSON-like value (Terraform state attributes, exports): every string
    leaf by its path, and the leaves of one object together (a password next to its host)."""
    found: list[Detected] = []

    def walk(node: object, path: str) -> None:
        if isinstance(node, Mapping):
            leaves = {k: v for k, v in node.items() if isinstance(v, (str, int, float)) and not isinstance(v, bool)}
            if leaves:
                found.extend(scan_settings(leaves, f"{path}." if path else ""))
            for k, v in node.items():
                if isinstance(v, (Mapping, list)):
                    walk(v, f"{path}.{k}" if path else str(k))
                elif isinstance(v, str) and ("\n" in v or v.lstrip().startswith("{")):
                    found.extend(scan_text(v, f"{where}{path}.{k}: " if path else f"{where}{k}: "))
        elif isinstance(node, list):
            for i, v in enumerate(node):
                walk(v, f"{path}[{i}]")

    walk(value, "")
    found.extend(_gcp_key(json.dumps(value, default=str), where) if isinstance(value, Mapping) else [])
    return _unique([d if d.where.startswith(where) else _prefixed(d, where) for d in found])


def _prefixed(d: Detected, where: str) -> Detected:
    return Detected(d.kind, f"{where}{d.where}", d.fingerprint, d.access_key_id, d.host, d.user, d.account, d.facts)


def _scan_value(name: str, value: str, where: str) -> Iterable[Detected]:
    for m in DB_URL.finditer(value):
        if _real(m["password"]):
            yield Detected("db-connection-string", where, fingerprint(m["password"]), host=m["host"].lower(),
                           user=m["user"])
    for m in AZURE_CONN.finditer(value):
        yield Detected("azure-storage-key", where, fingerprint(m["key"]), account=m["account"].lower())
    for m in AZURE_SAS.finditer(value):
        yield Detected("azure-sas", where, fingerprint(m["sig"]), account=(m["account"] or "").lower() or None)
    for kind, secret in _library(value):
        yield Detected(kind, where, fingerprint(secret))


def _library(line: str) -> list[tuple[str, str]]:
    with transient_settings({"plugins_used": [{"name": p} for p in PLUGINS]}):
        hits = list(scan_line(line))
    return [(LIBRARY_KINDS.get(h.type, "api-token"), h.secret_value) for h in hits
            if h.secret_value and LIBRARY_KINDS.get(h.type, "api-token")]


def _gcp_key(text: str, where: str) -> list[Detected]:
    try:
        doc = json.loads(text)
    except ValueError:
        return []
    out: list[Detected] = []

    def walk(node: object, path: str) -> None:
        if isinstance(node, Mapping):
            if node.get("type") == "service_account" and isinstance(node.get("private_key"), str):
                out.append(Detected("gcp-service-account-key", f"{where}{path or 'document'}",
                                    fingerprint(str(node.get("private_key_id") or "") + node["private_key"]),
                                    account=node.get("client_email")))
                return
            for k, v in node.items():
                walk(v, f"{path}.{k}" if path else str(k))
        elif isinstance(node, list):
            for i, v in enumerate(node):
                walk(v, f"{path}[{i}]")

    walk(doc, "")
    return out


def _host(value: str) -> str:
    m = re.match(r"^(?:\w+://)?(?:[^@/]+@)?(?P<host>[^:/?\s]+)", value.strip())
    return (m["host"] if m else value).lower()


def _unique(found: list[Detected]) -> list[Detected]:
    """One detection per (fingerprint, place): recognizers that overlap report a secret once, the
    most specific kind first."""
    order = ("aws-access-key", "gcp-service-account-key", "private-key", "azure-storage-key", "azure-sas",
             "db-connection-string", "db-password", "github-token", "slack-token", "gitlab-token", "jwt",
             "api-token", "password")
    best: dict[tuple[str, str], Detected] = {}
    for d in found:
        k = (d.fingerprint, d.where)
        cur = best.get(k)
        if cur is None or order.index(d.kind) < order.index(cur.kind):
            best[k] = d
    # A value already reported as a more specific kind elsewhere in the same scan is not reported
    # again as a generic token (an AWS secret is not also an api-token).
    specific = {d.fingerprint for d in best.values() if d.kind not in ("api-token", "password")}
    return [d for d in best.values() if d.kind not in ("api-token", "password") or d.fingerprint not in specific]
