"""Settings: environment first, then the config file, then defaults.

The config file is TOML at ``$CLOUDMAP_CONFIG`` (default ``~/.config/cloudmap/config.toml``); the
local Neo4j server writes its generated password there, mode 0600.
"""

from __future__ import annotations

import os
import tomllib
from functools import lru_cache
from pathlib import Path
from typing import Literal

from pydantic import AliasChoices, BaseModel, ConfigDict, Field, SecretStr, ValidationError
from pydantic_settings import BaseSettings, PydanticBaseSettingsSource, SettingsConfigDict


class ConfigError(Exception):
    """A setting is missing or wrong; the message names it and says how to fix it."""


def _xdg(var: str, fallback: str) -> Path:
    return Path(os.environ.get(var) or Path.home() / fallback)


def config_path() -> Path:
    return Path(os.environ.get("CLOUDMAP_CONFIG") or _xdg("XDG_CONFIG_HOME", ".config") / "cloudmap" / "config.toml")


def _env(name: str, **kw):
    """A field read from the environment variable NAME, or from the config file's field name."""
    return Field(validation_alias=AliasChoices(name, name.lower()), **kw)


class NotifyTarget(BaseModel):
    model_config = ConfigDict(extra="forbid")
    url: str = Field(pattern=r"^https?://")
    min_level: Literal["critical", "high", "medium", "low"] = "high"
    format: Literal["json", "slack"] = "json"


# Rows per write transaction. At 100k assets (BENCHMARKS.md) the core wrote 5,936 rows/s at 2,000,
# 7,578 at 5,000 and 8,005 at 10,000, with loader memory 72, 78 and 85 MB.
DEFAULT_BATCH = 5000


class Settings(BaseSettings):
    model_config = SettingsConfigDict(extra="ignore", populate_by_name=True)

    # Connection. When neo4j_uri is set (env or file) that server is used as it is and never started.
    neo4j_uri: str | None = _env("NEO4J_URI", default=None)
    neo4j_user: str = _env("NEO4J_USER", default="neo4j")
    neo4j_password: SecretStr | None = _env("NEO4J_PASSWORD", default=None)
    neo4j_database: str = _env("NEO4J_DATABASE", default="neo4j")

    # The local server that `cloudmap db start` manages.
    data_dir: Path = _env("CLOUDMAP_DATA_DIR", default_factory=lambda: _xdg("XDG_DATA_HOME", ".local/share") / "cloudmap")
    bolt_port: int = _env("CLOUDMAP_BOLT_PORT", default=7687, ge=1, le=65535)
    http_port: int = _env("CLOUDMAP_HTTP_PORT", default=7474, ge=1, le=65535)
    heap: str = _env("CLOUDMAP_NEO4J_HEAP", default="512m", pattern=r"^\d+[kmgKMG]$")
    pagecache: str = _env("CLOUDMAP_NEO4J_PAGECACHE", default="256m", pattern=r"^\d+[kmgKMG]$")
    neo4j_version: str = _env("CLOUDMAP_NEO4J_VERSION", default="5.26.30")
    browser_version: str = _env("CLOUDMAP_BROWSER_VERSION", default="5.24.0")
    use_docker: str = _env("CLOUDMAP_USE_DOCKER", default="auto", pattern="^(auto|yes|no)$")

    # Work.
    batch_size: int = _env("CLOUDMAP_BATCH_SIZE", default=DEFAULT_BATCH, ge=1, le=100_000)
    # A load's or analysis's lease expires this many seconds after its holder's last heartbeat.
    lease_ttl: int = _env("CLOUDMAP_LEASE_TTL", default=60, ge=3, le=3600)
    hunt_timeout_s: float = _env("CLOUDMAP_HUNT_TIMEOUT", default=30.0, gt=0, le=3600)
    hunt_max_rows: int = _env("CLOUDMAP_HUNT_MAX_ROWS", default=1000, ge=1, le=1_000_000)
    # Hunts through the API: at most this many at once overall and per key (429 beyond), and per key
    # per minute; analyses per key per hour.
    hunt_concurrency: int = _env("CLOUDMAP_HUNT_CONCURRENCY", default=4, ge=1, le=256)
    hunt_concurrency_per_key: int = _env("CLOUDMAP_HUNT_CONCURRENCY_PER_KEY", default=2, ge=1, le=256)
    hunts_per_minute: int = _env("CLOUDMAP_HUNTS_PER_MINUTE", default=60, ge=1, le=100_000)
    analyses_per_hour: int = _env("CLOUDMAP_ANALYSES_PER_HOUR", default=12, ge=1, le=10_000)
    # first findings pages kept per API worker (0: none) until the latest analysis changes
    page_cache_size: int = _env("CLOUDMAP_PAGE_CACHE_SIZE", default=64, ge=0, le=10_000)
    # The local server bounds every transaction (hunts get hunt_timeout_s on top).
    neo4j_tx_timeout: str = _env("CLOUDMAP_NEO4J_TX_TIMEOUT", default="30m", pattern=r"^\d+(ms|s|m|h)$")
    neo4j_tx_memory: str = _env("CLOUDMAP_NEO4J_TX_MEMORY", default="256m", pattern=r"^\d+[kmgKMG]$")
    # API keys, saved queries and the audit trail (SQLite, mode 0600); default <data_dir>/auth.sqlite3.
    auth_db: Path | None = _env("CLOUDMAP_AUTH_DB", default=None)
    user_rules_dir: Path | None = _env("CLOUDMAP_RULES_DIR", default=None)
    user_hunts_dir: Path | None = _env("CLOUDMAP_HUNTS_DIR", default=None)
    # Accepted risks every analysis applies (YAML, see docs/triage.md).
    exemptions_file: Path | None = _env("CLOUDMAP_EXEMPTIONS", default=None)
    # Where each analysis posts its new and reopened findings: [[notify]] tables in the config file
    # (url, min_level, format), or JSON in CLOUDMAP_NOTIFY.
    notify: list[NotifyTarget] = _env("CLOUDMAP_NOTIFY", default_factory=list)
    notify_timeout: float = _env("CLOUDMAP_NOTIFY_TIMEOUT", default=10.0, gt=0, le=300)
    notify_attempts: int = _env("CLOUDMAP_NOTIFY_ATTEMPTS", default=3, ge=1, le=10)

    # API service: browser origins allowed by CORS, comma separated (default none).
    cors_origins: str = _env("CLOUDMAP_CORS_ORIGINS", default="")

    @property
    def cors_origin_list(self) -> list[str]:
        return [o.strip() for o in self.cors_origins.split(",") if o.strip()]

    @property
    def auth_db_path(self) -> Path:
        return self.auth_db or self.data_dir / "auth.sqlite3"

    @property
    def bolt_uri(self) -> str:
        return self.neo4j_uri or f"bolt://127.0.0.1:{self.bolt_port}"

    @property
    def external(self) -> bool:
        """True when the user points at a server of their own."""
        return bool(self.neo4j_uri)

    @classmethod
    def settings_customise_sources(cls, settings_cls, init_settings, env_settings, dotenv_settings,
                                   file_secret_settings) -> tuple[PydanticBaseSettingsSource, ...]:
        return init_settings, env_settings, _FileSource(settings_cls)


class _FileSource(PydanticBaseSettingsSource):
    """Keys of the TOML config file are the field names (neo4j_password = "...")."""

    def __call__(self) -> dict:
        path = config_path()
        if not path.exists():
            return {}
        try:
            data = tomllib.loads(path.read_text())
        except (tomllib.TOMLDecodeError, OSError) as exc:
            raise ConfigError(f"{path}: not valid TOML ({exc})") from None
        unknown = set(data) - set(Settings.model_fields)
        if unknown:
            raise ConfigError(f"{path}: unknown setting(s) {', '.join(sorted(unknown))}")
        return data

    def get_field_value(self, field, field_name):  # pragma: no cover - __call__ does the work
        return None, field_name, False


def load_settings(**overrides) -> Settings:
    try:
        return Settings(**overrides)
    except ValidationError as exc:
        err = exc.errors()[0]
        name = str(err["loc"][0]) if err["loc"] else "?"
        raise ConfigError(f"setting {name}: {err['msg']} (environment or {config_path()})") from None


@lru_cache(maxsize=1)
def settings() -> Settings:
    return load_settings()


def save_config_value(key: str, value: str) -> Path:
    """Set one key in the config file, keeping the others; the file stays 0600."""
    if key not in Settings.model_fields:
        raise ConfigError(f"unknown setting {key}")
    path = config_path()
    data = tomllib.loads(path.read_text()) if path.exists() else {}
    data[key] = value
    path.parent.mkdir(parents=True, exist_ok=True)
    lines = [f"{k} = {_toml_str(v)}" for k, v in sorted(data.items()) if not _tables(v)]
    for k, v in sorted(data.items()):   # arrays of tables ([[notify]]) go after the plain keys
        for table in v if _tables(v) else []:
            lines += ["", f"[[{k}]]", *(f"{tk} = {_toml_str(tv)}" for tk, tv in table.items())]
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as fh:
        fh.write("\n".join(lines) + "\n")
    os.chmod(path, 0o600)
    settings.cache_clear()
    return path


def _tables(v) -> bool:
    return isinstance(v, list) and bool(v) and all(isinstance(t, dict) for t in v)


def _toml_str(v) -> str:
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, (int, float)):
        return str(v)
    return '"' + str(v).replace("\\", "\\\\").replace('"', '\\"') + '"'
