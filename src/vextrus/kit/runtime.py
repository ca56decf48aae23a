"""The running platform of one process: settings, database, cache, event bus, relay, token keys,
and the services it serves. Built once per app; started and stopped by the app's lifespan."""

from __future__ import annotations

import datetime as dt
import time
from collections.abc import Mapping, Sequence
from typing import Any

from vextrus.kit.cache import Cache, build_cache
from vextrus.kit.clients import ServiceClients
from vextrus.kit.db import Database
from vextrus.kit.events.consumers import ConsumerDispatcher
from vextrus.kit.events.denials import DenialRecorder
from vextrus.kit.events.relay import OutboxRelay
from vextrus.kit.events.transport import Transport, build_transport, topic_specs
from vextrus.kit.models import PLATFORM_SCHEMA
from vextrus.kit.security import ApiKeyResolver, KeyRing, SigningKey, TokenIssuer, TokenVerifier
from vextrus.kit.service import Service
from vextrus.kit.settings import ServiceSettings, ServiceSettingsT, Settings, load_service_settings


class Runtime:
    def __init__(
        self,
        settings: Settings,
        services: Sequence[Service],
        name: str,
        service_settings: Mapping[str, Mapping[str, object]] | None = None,
    ) -> None:
        self.settings = settings
        self.services = list(services)
        self.name = name
        overrides = service_settings or {}
        self._service_settings: dict[type[ServiceSettings], ServiceSettings] = {
            service.settings: load_service_settings(service.settings, overrides.get(service.name))
            for service in self.services
            if service.settings is not None
        }
        self.app: Any = None  # the ASGI app serving these services, set by build_app
        self.clients = ServiceClients(self)
        self.database = Database(
            settings.database_url,
            [PLATFORM_SCHEMA, *(service.schema for service in self.services)],
            pool_size=settings.db_pool_size,
            max_overflow=settings.db_max_overflow,
            echo=settings.db_echo,
        )
        self.cache: Cache = build_cache(settings.cache_url)
        self.transport: Transport = build_transport(settings, topic_specs(self.services))
        self.relay = OutboxRelay(
            self.database,
            self.transport,
            [service.name for service in self.services],
            batch_size=settings.outbox_batch_size,
            poll_seconds=settings.outbox_poll_seconds,
            max_attempts=settings.outbox_max_attempts,
            retry_base_seconds=settings.outbox_retry_base_seconds,
            retry_max_seconds=settings.outbox_retry_max_seconds,
            lease_seconds=settings.outbox_lease_seconds,
        )
        self.dispatcher = ConsumerDispatcher(
            self.database,
            max_attempts=settings.consumer_max_attempts,
            retry_base_seconds=settings.consumer_retry_base_seconds,
        )
        for service in self.services:
            self.transport.subscribe(service.name, service.consumes, self.dispatcher)
        self.keys: KeyRing | None = None
        self.issuer: TokenIssuer | None = None
        if settings.jwks_url:
            self.verifier = TokenVerifier(settings, jwks_url=settings.jwks_url)
        else:
            self.keys = KeyRing(settings.signing_key_path, retain_seconds=settings.access_token_ttl_seconds + 300)
            self.issuer = TokenIssuer(self.keys.active, settings)
            self.verifier = TokenVerifier(settings, self.keys.public_keys())
        self.api_keys = ApiKeyResolver(self.clients)
        # refusals by require() and rejected tokens, as platform.access.denied events (rate-bound)
        self.denials = DenialRecorder(self.database)
        self.started_at = dt.datetime.now(dt.UTC)
        self._started_monotonic = time.monotonic()

    def rotate_signing_key(self) -> SigningKey:
        """Sign new tokens with a fresh key; tokens signed by the previous one keep verifying."""
        if self.keys is None or self.issuer is None:
            raise LookupError("this process verifies tokens against a JWKS and holds no signing key")
        key = self.keys.rotate()
        self.issuer.use(key)
        self.verifier.trust(key.kid, key.private_key.public_key())
        return key

    def settings_of(self, model: type[ServiceSettingsT]) -> ServiceSettingsT:
        """The loaded settings of a service served by this process."""
        loaded = self._service_settings.get(model)
        if not isinstance(loaded, model):
            raise LookupError(f"{model.__name__} belongs to no service served by this process")
        return loaded

    @property
    def uptime_seconds(self) -> float:
        return time.monotonic() - self._started_monotonic

    async def start(self) -> None:
        await self.transport.start()
        await self.relay.start()
        await self.denials.start()
        for service in self.services:
            if service.on_start is not None:
                await service.on_start(self)

    async def stop(self) -> None:
        try:
            for service in reversed(self.services):
                if service.on_stop is not None:
                    await service.on_stop(self)
        finally:
            await self._stop_platform()

    async def _stop_platform(self) -> None:
        await self.denials.stop()  # its last counts go to the outbox before the relay stops
        await self.relay.stop()
        await self.clients.close()
        await self.transport.stop()
        await self.cache.close()
        await self.database.dispose()
