"""Settings of the notification service (``VEXTRUS_NOTIFICATION_*``), loaded once per process.

Secrets (the SMTP password, the SMS gateway's API key) are ``SecretStr``: they never appear in
logs, reprs or error messages.
"""

from __future__ import annotations

from typing import Literal

from pydantic import Field, SecretStr
from pydantic_settings import SettingsConfigDict

from vextrus.kit.settings import ServiceSettings


class NotificationSettings(ServiceSettings):
    model_config = SettingsConfigDict(
        env_prefix="VEXTRUS_NOTIFICATION_", env_file=".env", extra="ignore", frozen=True, env_ignore_empty=True
    )

    # E-mail over SMTP. tls: none (plain, e.g. a local relay), starttls (upgrade on 587) or tls
    # (implicit TLS on 465).
    smtp_host: str = "127.0.0.1"
    smtp_port: int = Field(default=25, ge=1, le=65535)
    smtp_tls: Literal["none", "starttls", "tls"] = "none"
    smtp_username: str | None = None
    smtp_password: SecretStr | None = None
    smtp_from: str = "Vextrus <no-reply@vextrus.com.bd>"
    smtp_timeout_seconds: float = Field(default=20.0, gt=0, le=300)

    # SMS through a provider: "bulksmsbd" (BulkSMSBD HTTP API) or "none" (SMS deliveries fail as
    # channel_disabled). sms_url is the provider's send endpoint.
    sms_provider: Literal["bulksmsbd", "none"] = "none"
    sms_url: str = "https://bulksmsbd.net/api/smsapi"
    sms_api_key: SecretStr | None = None
    sms_sender_id: str = ""
    sms_timeout_seconds: float = Field(default=15.0, gt=0, le=120)

    # The delivery worker: on/off, how often it looks for due deliveries, how many it sends per
    # pass, how long a claimed delivery stays leased, and the retries (exponential backoff:
    # base * 2^(attempt-1), capped at max) before a delivery fails for good.
    worker_enabled: bool = True
    worker_poll_seconds: float = Field(default=1.0, gt=0, le=300)
    worker_batch_size: int = Field(default=20, ge=1, le=1000)
    # Deliveries of one pass sent at once (SMTP and SMS calls overlap; SQLite still writes one at a time)
    worker_concurrency: int = Field(default=4, ge=1, le=64)
    lease_seconds: float = Field(default=120.0, ge=5, le=3600)
    max_attempts: int = Field(default=5, ge=1, le=30)
    retry_base_seconds: float = Field(default=30.0, ge=0, le=3600)
    retry_max_seconds: float = Field(default=3600.0, ge=0, le=86_400)

    # Largest attachment fetched for an e-mail (the invoice PDF, files sent by services).
    attachment_max_bytes: int = Field(default=10 * 1024 * 1024, ge=1024, le=50 * 1024 * 1024)
    # Largest template text a tenant may save.
    max_template_chars: int = Field(default=20_000, ge=100, le=200_000)
    # A workflow task (or its SLA breach) for a role reaches each user holding the role, by their
    # own preferences: at most this many users (the rest are not told; the role's delivery records it).
    role_fan_out_max_users: int = Field(default=200, ge=1, le=5000)
