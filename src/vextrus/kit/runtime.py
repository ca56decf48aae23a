"""The running platform of one process: settings, database, cache, event bus, relay, token keys,
and the services it serves. Built once per app; started and stopped by the app's lifespan."""

from __future__ import annotations

import datetime as dt
import time
from collections.abc import Sequence

from vextrus.kit.cache import Cache, build_cache
from vextrus.kit.db import Database
from vextrus.kit.events.consumers import ConsumerDispatcher
from vextrus.kit.events.relay import OutboxRelay
from vextrus.kit.events.transport import Transport, build_transport
from vextrus.kit.models import PLATFORM_SCHEMA
from vextrus.kit.security import SigningKey, TokenIssuer, TokenVerifier
from vextrus.kit.service import Service
from vextrus.kit.settings import Settings


class Runtime:
    def __init__(self, settings: Settings, services: Sequence[Service], name: str) -> None:
        self.settings = settings
        self.services = list(services)
        self.name = name
        self.database = Database(
            settings.database_url,
            [PLATFORM_SCHEMA, *(service.schema for service in self.services)],
            pool_size=settings.db_pool_size,
            max_overflow=settings.db_max_overflow,
            echo=settings.db_echo,
        )
        self.cache: Cache = build_cache(settings.cache_url)
        self.transport: Transport = build_transport(settings.event_bus)
        self.relay = OutboxRelay(
            self.database,
            self.transport,
            [service.name for service in self.services],
            batch_size=settings.outbox_batch_size,
            poll_seconds=settings.outbox_poll_seconds,
            max_attempts=settings.outbox_max_attempts,
            retry_base_seconds=settings.outbox_retry_base_seconds,
        )
        dispatcher = ConsumerDispatcher(self.database)
        for service in self.services:
            for consumer in service.consumes:
                self.transport.subscribe(consumer, dispatcher.deliver)
        self.signing_key: SigningKey | None = None
        self.issuer: TokenIssuer | None = None
        if settings.jwks_url:
            self.verifier = TokenVerifier(settings, jwks_url=settings.jwks_url)
        else:
            self.signing_key = SigningKey.load_or_create(settings.signing_key_path)
            self.issuer = TokenIssuer(self.signing_key, settings)
            self.verifier = TokenVerifier(settings, {self.signing_key.kid: self.signing_key.private_key.public_key()})
        self.started_at = dt.datetime.now(dt.UTC)
        self._started_monotonic = time.monotonic()

    @property
    def uptime_seconds(self) -> float:
        return time.monotonic() - self._started_monotonic

    async def start(self) -> None:
        await self.transport.start()
        await self.relay.start()

    async def stop(self) -> None:
        await self.relay.stop()
        await self.transport.stop()
        await self.cache.close()
        await self.database.dispose()
