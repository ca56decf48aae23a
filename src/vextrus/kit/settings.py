"""Platform settings, read from the environment (prefix ``VEXTRUS_``) and an optional ``.env`` file.

Every setting is documented in ``.env.example``. Invalid values stop the process at start with one
readable line (see :func:`load_settings`), never a traceback.
"""

from __future__ import annotations

from collections.abc import Mapping
from functools import lru_cache
from pathlib import Path
from typing import Literal, TypeVar
from urllib.parse import urlsplit

from pydantic import Field, ValidationError, field_validator, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

Environment = Literal["development", "test", "staging", "production"]
LogLevel = Literal["DEBUG", "INFO", "WARNING", "ERROR"]

_DATABASE_SCHEMES = ("sqlite+aiosqlite", "postgresql+asyncpg")


class SettingsError(Exception):
    """Raised when the environment holds an invalid setting; its message is one line for humans."""


class Settings(BaseSettings):
    model_config = SettingsConfigDict(
        env_prefix="VEXTRUS_", env_file=".env", extra="ignore", frozen=True, env_ignore_empty=True
    )

    env: Environment = "development"
    database_url: str = "sqlite+aiosqlite:///./var/vextrus.db"
    event_bus: str = "memory"
    cache_url: str = "memory://"
    log_level: LogLevel = "INFO"
    log_format: Literal["json", "console"] = "json"
    otlp_endpoint: str | None = None
    # One JSON line per request; off by default (ingress logs requests; errors are always logged).
    access_log: bool = False

    host: str = "127.0.0.1"
    # Overrides the port of `vextrus serve`; by default the port comes from the service descriptor.
    port: int | None = Field(default=None, ge=1, le=65535)

    db_pool_size: int = Field(default=10, ge=1, le=500)
    db_max_overflow: int = Field(default=20, ge=0, le=1000)
    db_echo: bool = False
    # PostgreSQL: the role the services connect as, granted the use of every schema by `vextrus migrate`
    # (run as the owner). Policies are FORCEd, so they bind the owner too; superusers and BYPASSRLS
    # roles always bypass row-level security: never run the services as one.
    database_app_role: str | None = None

    outbox_batch_size: int = Field(default=100, ge=1, le=10_000)
    outbox_poll_seconds: float = Field(default=1.0, gt=0, le=60)
    outbox_max_attempts: int = Field(default=10, ge=1, le=100)
    outbox_retry_base_seconds: float = Field(default=1.0, gt=0, le=300)

    live_memory_limit_mb: int = Field(default=2048, ge=64)
    ready_check_timeout_seconds: float = Field(default=2.0, gt=0, le=30)

    # Token verification (DESIGN.md §5). Embedded/dev mode keeps a signing key under var/.
    jwt_issuer: str = "vextrus"
    jwt_audience: str = "vextrus"
    jwks_url: str | None = None
    signing_key_path: Path = Path("var/keys/signing-key.pem")
    access_token_ttl_seconds: int = Field(default=900, ge=60, le=86_400)

    graphql_max_depth: int = Field(default=10, ge=2, le=50)
    graphql_max_tokens: int = Field(default=2000, ge=100, le=100_000)
    graphql_max_aliases: int = Field(default=30, ge=1, le=1000)

    cors_origins: list[str] = Field(default_factory=list)
    # Where other services live in distributed mode, as JSON: {"organization": "http://org:3016"}.
    # A service served by this process is always called in-process, whatever this says.
    service_urls: dict[str, str] = Field(default_factory=dict)
    service_call_timeout_seconds: float = Field(default=10.0, gt=0, le=300)

    # Event backbone (docs/events.md). The outbox lease must outlast a publish to the broker.
    outbox_lease_seconds: float = Field(default=60.0, gt=0, le=3600)
    outbox_retry_max_seconds: float = Field(default=60.0, gt=0, le=3600)
    consumer_max_attempts: int = Field(default=5, ge=1, le=100)
    consumer_retry_base_seconds: float = Field(default=0.2, ge=0, le=60)
    kafka_client_id: str = Field(default="vextrus", min_length=1, max_length=100)
    kafka_group_prefix: str = Field(default="vextrus", pattern=r"^[A-Za-z0-9._-]{1,100}$")
    kafka_compression: Literal["none", "gzip", "snappy", "lz4", "zstd"] = "lz4"
    kafka_publish_timeout_seconds: float = Field(default=30.0, ge=1, le=600)
    kafka_session_timeout_ms: int = Field(default=10_000, ge=1000, le=300_000)
    kafka_consumer_batch_size: int = Field(default=100, ge=1, le=10_000)
    kafka_create_topics: bool = True
    kafka_replication_factor: int = Field(default=-1, ge=-1, le=10)
    # Extra librdkafka properties as JSON, e.g. {"security.protocol": "SASL_SSL", "sasl.mechanism": "PLAIN"}
    kafka_config: dict[str, str | int | bool] = Field(default_factory=dict)

    @field_validator("database_url")
    @classmethod
    def _database_url(cls, value: str) -> str:
        scheme = urlsplit(value).scheme
        if scheme not in _DATABASE_SCHEMES:
            raise ValueError(f"scheme must be one of {', '.join(_DATABASE_SCHEMES)}")
        return value

    @field_validator("event_bus")
    @classmethod
    def _event_bus(cls, value: str) -> str:
        if value == "memory":
            return value
        parts = urlsplit(value)
        if parts.scheme != "kafka" or not parts.hostname:
            raise ValueError("must be 'memory' or 'kafka://host:port[,host:port...]'")
        return value

    @model_validator(mode="after")
    def _lease_outlasts_publish(self) -> Settings:
        if self.event_bus != "memory" and self.outbox_lease_seconds <= self.kafka_publish_timeout_seconds + 5:
            raise ValueError(
                "VEXTRUS_OUTBOX_LEASE_SECONDS must exceed VEXTRUS_KAFKA_PUBLISH_TIMEOUT_SECONDS + 5 "
                f"(got {self.outbox_lease_seconds:g} and {self.kafka_publish_timeout_seconds:g})"
            )
        return self

    @field_validator("cache_url")
    @classmethod
    def _cache_url(cls, value: str) -> str:
        scheme = urlsplit(value).scheme
        if scheme not in ("memory", "redis", "rediss"):
            raise ValueError("must be 'memory://' or 'redis://host:port/db'")
        return value

    @property
    def is_sqlite(self) -> bool:
        return self.database_url.startswith("sqlite")

    @property
    def is_production(self) -> bool:
        return self.env == "production"


def _one_line(error: ValidationError, prefix: str = "VEXTRUS_") -> str:
    problems = []
    for item in error.errors():
        field = ".".join(str(part) for part in item["loc"]) or "settings"
        message = item["msg"].removeprefix("Value error, ")
        problems.append(f"{prefix}{field.upper()}: {message} (got {item.get('input')!r})")
    return "invalid settings: " + "; ".join(problems)


def load_settings(**overrides: object) -> Settings:
    """Build settings from the environment; raise :class:`SettingsError` with one readable line."""
    try:
        return Settings(**overrides)  # type: ignore[arg-type]
    except ValidationError as error:
        raise SettingsError(_one_line(error)) from None


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    """The process-wide settings (cached). Tests build their own with :func:`load_settings`."""
    return load_settings()


class ServiceSettings(BaseSettings):
    """Base of one service's own settings (``Service(settings=...)``).

    A subclass names its prefix, ``model_config = SettingsConfigDict(env_prefix="VEXTRUS_AUTH_")``,
    and every field is documented in ``.env.example`` like the platform's. The runtime loads it
    once at start (an invalid value stops the process with one line); code reads it with
    ``runtime.settings_of(AuthSettings)``.
    """

    model_config = SettingsConfigDict(env_file=".env", extra="ignore", frozen=True, env_ignore_empty=True)


ServiceSettingsT = TypeVar("ServiceSettingsT", bound=ServiceSettings)


def service_env_prefix(model: type[ServiceSettings]) -> str:
    prefix = model.model_config.get("env_prefix") or ""
    if not prefix.startswith("VEXTRUS_"):
        raise ValueError(f"{model.__name__} must set env_prefix='VEXTRUS_<SERVICE>_' (got {prefix!r})")
    return prefix


def load_service_settings(
    model: type[ServiceSettingsT], overrides: Mapping[str, object] | None = None
) -> ServiceSettingsT:
    """Build ``model`` from the environment plus ``overrides``; raise :class:`SettingsError` in one line."""
    prefix = service_env_prefix(model)
    try:
        return model(**dict(overrides or {}))  # type: ignore[arg-type]
    except ValidationError as error:
        raise SettingsError(_one_line(error, prefix)) from None
