"""Settings: every field is documented in .env.example, the example is valid, bad values are
reported in one line naming the variable."""

from __future__ import annotations

from pathlib import Path

import pytest

from vextrus.kit.service import load_registry
from vextrus.kit.settings import Settings, SettingsError, load_settings, service_env_prefix

EXAMPLE = Path(__file__).parents[2] / ".env.example"


def example_values() -> dict[str, str]:
    values = {}
    for line in EXAMPLE.read_text().splitlines():
        if line.strip() and not line.startswith("#"):
            key, _, value = line.partition("=")
            values[key.strip()] = value.strip()
    return values


def test_every_setting_is_documented_and_nothing_else() -> None:
    """The platform's settings and every registered service's own settings (``Service.settings``)."""
    documented = set(example_values())
    fields = {f"VEXTRUS_{name.upper()}" for name in Settings.model_fields}
    for service in load_registry():
        if service.settings is not None:
            prefix = service_env_prefix(service.settings)
            fields |= {f"{prefix}{name.upper()}" for name in service.settings.model_fields}
    assert documented == fields


def test_the_example_file_is_valid(monkeypatch: pytest.MonkeyPatch) -> None:
    for key, value in example_values().items():
        monkeypatch.setenv(key, value)
    settings = load_settings()
    assert settings.database_url.startswith("sqlite+aiosqlite")
    assert settings.port is None  # empty means unset


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("database_url", "mysql://localhost/x"),
        ("event_bus", "kafka://"),
        ("cache_url", "memcached://x"),
        ("env", "prod"),
        ("port", 70000),
        ("outbox_batch_size", 0),
        ("log_level", "LOUD"),
    ],
)
def test_invalid_values_are_one_readable_line(field: str, value: object) -> None:
    with pytest.raises(SettingsError) as raised:
        load_settings(**{field: value})
    message = str(raised.value)
    assert "\n" not in message
    assert f"VEXTRUS_{field.upper()}" in message


def test_kafka_and_redis_urls_are_accepted() -> None:
    settings = load_settings(event_bus="kafka://127.0.0.1:9092,127.0.0.1:9093", cache_url="redis://127.0.0.1:6379/0")
    assert settings.event_bus.startswith("kafka://")
