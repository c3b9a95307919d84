"""The one typed shape of what a rule hands the scorer: its ``evidence`` column.

The runner validates every match against :class:`Evidence` and the scorer reads only this model.
``rules check`` also reads the keys of the evidence map literal in the rule's ``RETURN`` (see
:func:`literal_keys`), so a misspelt or unknown key is reported with the file and line before a
rule ever runs."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

Exposure = Literal["public", "internet", "lateral", "identity", "external", "compromised", "internal", "none"]
Privilege = Literal["admin", "write", "read", "none"]
Target = Literal["data", "admin", "secret", "crown-jewel"]

WEAKNESSES = {
    "imds-v1": "the instance answers IMDSv1 and has a role: an SSRF hands out its credentials",
    "password-auth": "password (or SQL/basic) authentication is enabled",
    "management-port": "a management port (SSH, RDP, WinRM, ...) is open to the internet",
    "credentials-in-configuration": "its configuration holds usable credentials in plain text",
    "long-lived-secret": "a client secret or key that works from anywhere until it expires",
    "no-auth": "callable without authentication (function URL auth NONE, public function)",
    "anonymous": "readable anonymously",
    "open-trust": "a trust policy admits any AWS account, or any user of a federated provider anyone can sign in to",
    "shared-key": "shared-key (account key) authentication is allowed",
    "privileged-container": "the container runs privileged",
    "host-network": "the container shares the host's network",
    "host-pid": "the container shares the host's process namespace",
    "public-api-endpoint": "the cluster's API endpoint is public",
}


class Evidence(BaseModel):
    """What a path proves, in the terms the scorer weighs (docs/scoring.md)."""
    model_config = ConfigDict(extra="forbid")

    # scored facts
    exposure: Exposure = "none"
    privilege: Privilege = "none"
    target_class: Target | None = Field(None, description="path rules: what the chain reaches (the rubric's column)")
    max_cvss: float | None = Field(None, ge=0, le=10)
    epss: float | None = Field(None, ge=0, le=1)
    kev: bool = False
    rce: bool = False
    vulnerabilities: list[str] = []
    weaknesses: list[str] = []
    sensitivity: list[str] = []
    critical: bool = False
    # context shown with the finding (not scored)
    chain: bool = False
    ports: list[str] = []
    method: str | None = None
    method_id: str | None = None
    role: str | None = None
    image: str | None = None
    key: str | None = None
    location: str | None = None
    where: list[str] = []
    credential: str | None = None
    credential_kind: str | None = None
    credentials_expire: str | None = None
    public_cidrs: list[str] = []
    source_database: str | None = None

    @field_validator("weaknesses")
    @classmethod
    def _known_weaknesses(cls, value: list[str]) -> list[str]:
        unknown = sorted(set(value) - set(WEAKNESSES))
        if unknown:
            raise ValueError(f"unknown weakness(es) {', '.join(unknown)}; use: {', '.join(sorted(WEAKNESSES))}")
        return sorted(set(value))

    @field_validator("vulnerabilities", "sensitivity", "ports", "where", "public_cidrs", mode="before")
    @classmethod
    def _no_nulls(cls, value: Any) -> Any:
        return [v for v in value if v is not None] if isinstance(value, list) else ([] if value is None else value)

    @field_validator("kev", "rce", "critical", "chain", mode="before")
    @classmethod
    def _false_when_null(cls, value: Any) -> Any:
        return False if value is None else value

    @field_validator("exposure", "privilege", mode="before")
    @classmethod
    def _none_when_null(cls, value: Any) -> Any:
        return "none" if value is None else value


    def stored(self) -> dict:
        """The evidence as kept on the finding: what is set (the exposure and privilege always)."""
        return {k: v for k, v in self.model_dump().items()
                if k in ("exposure", "privilege") or v not in (None, [], False)}


FIELDS = frozenset(Evidence.model_fields)


def validate(raw: dict) -> Evidence:
    """The typed evidence of one match; raises ValueError with every problem on one line."""
    try:
        return Evidence.model_validate(raw)
    except ValidationError as exc:
        raise ValueError("; ".join(f"{'.'.join(str(p) for p in e['loc']) or 'evidence'}: {e['msg']}"
                                   for e in exc.errors())) from None


def _code(text: str):
    """(index, char) of the query text outside string literals and ``//`` comments."""
    quote, comment = None, False
    for i, ch in enumerate(text):
        if comment:
            comment = ch != "\n"
        elif quote:
            quote = None if ch == quote else quote
        elif ch in "'\"":
            quote = ch
        elif text.startswith("//", i):
            comment = True
        else:
            yield i, ch


def literal_keys(query: str) -> list[tuple[str, int]]:
    """Top-level keys of the map literal returned ``AS evidence``, with their 0-based line in the query.

    Empty when the evidence is not a map literal (a variable, a function): then only the runner's
    check of each match applies."""
    end = query.rfind("AS evidence")
    text = query[:end].rstrip() if end >= 0 else ""
    if not text.endswith("}"):
        return []
    depth, start = 0, -1
    for i, ch in _code(text):                   # the last top-level `{` opens the returned map
        if ch in "{[(":
            start = i if depth == 0 and ch == "{" else start
            depth += 1
        elif ch in "}])":
            depth -= 1
    keys, depth, token = [], 0, ""
    for i, ch in _code(text[start + 1:-1]):
        if ch in "{[(":
            depth += 1
        elif ch in "}])":
            depth -= 1
        elif depth == 0:
            if ch == ":" and token.strip().isidentifier():
                keys.append((token.strip(), text.count("\n", 0, start + 1 + i)))
            token = "" if ch in ",:" else token + ch
    return keys
