"""The Service descriptor and the registry of services (DESIGN.md §2).

A service declares itself once, in its package's ``__init__``::

    service = Service(name="configuration", port=3004, router=api.router, ...)

and registers under the ``vextrus.services`` entry-point group in ``pyproject.toml``. The kit finds
services only through that group and gives each one health, metrics, migrations, events, GraphQL,
OpenAPI and tenancy by construction.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Awaitable, Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from importlib.metadata import entry_points
from pathlib import Path
from typing import TYPE_CHECKING, Any

from fastapi import APIRouter
from pydantic import BaseModel
from sqlalchemy import MetaData

from vextrus.kit.settings import ServiceSettings

if TYPE_CHECKING:
    from sqlalchemy.ext.asyncio import AsyncSession
    from starlette.types import ASGIApp

    from vextrus.kit.events.envelope import Envelope
    from vextrus.kit.runtime import Runtime

ENTRY_POINT_GROUP = "vextrus.services"
# service.entity.action; the action may use '_' as the issues' topic names do (auth.user.login_failed)
TOPIC_PATTERN = re.compile(r"^[a-z][a-z0-9-]*\.[a-z][a-z0-9-]*\.[a-z][a-z0-9_]*$")
SERVICE_NAME_PATTERN = re.compile(r"^[a-z][a-z0-9-]*$")
# Topics the kit itself publishes (``platform.entity.action``); no service may be named "platform".
PLATFORM_OWNER = "platform"


@dataclass(frozen=True)
class Topic:
    """An event type a service publishes: ``service.entity.action`` with its payload model."""

    name: str
    payload: type[BaseModel]
    description: str
    version: int = 1
    partitions: int = 3
    retention_hours: int = 24 * 7

    @property
    def owner(self) -> str:
        return self.name.split(".", 1)[0]


class AccessDenied(BaseModel):
    """``platform.access.denied``: the kit refused a caller (a missing permission or a rejected
    token). Repeats of one kind within a window are coalesced: ``count`` denials from
    ``first_at`` to ``last_at`` (docs/events.md, "Access denials")."""

    reason: str  # missing_permission | token_expired | token_invalid | token_unknown_key | api_key_invalid
    permission: str | None = None
    subject: str | None = None  # the caller (token ``sub``) when known
    method: str
    route: str  # the route template (``/api/v1/files/{file_id}``), or the path when no route matched
    service: str  # the process that refused (a service name, or the gateway in embedded mode)
    client: str | None = None  # the client address
    count: int = 1
    first_at: str
    last_at: str


ACCESS_DENIED = Topic(
    "platform.access.denied",
    AccessDenied,
    "The kit refused a caller: a missing permission (`require`) or a rejected token; tenant = the "
    "caller's when the token's signature verified, none otherwise; subject = the caller or 'anonymous'",
    partitions=3,
    retention_hours=24 * 30,
)
PLATFORM_TOPICS: tuple[Topic, ...] = (ACCESS_DENIED,)


EventHandler = Callable[["Envelope", "AsyncSession"], Awaitable[None]]


@dataclass(frozen=True)
class Consumer:
    """A handler for a topic; ``name`` identifies it for de-duplication (inbox) and consumer groups."""

    topic: str
    handler: EventHandler
    name: str


@dataclass(frozen=True)
class GraphQLParts:
    """A service's Strawberry root types; the kit builds its subgraph and the composed schema."""

    query: type | None = None
    mutation: type | None = None
    types: Sequence[type] = ()


CheckResult = Mapping[str, Any]


@dataclass(frozen=True)
class ReadinessCheck:
    """An extra readiness check; raise (or time out) to report the dependency down."""

    name: str
    check: Callable[[Runtime], Awaitable[CheckResult]]


LifecycleHook = Callable[["Runtime"], Awaitable[None]]
"""Runs when the process starts serving (after the event transport) or stops (before it)."""

LayerFactory = Callable[["ASGIApp", "Runtime"], "ASGIApp"]
"""An ASGI layer a service puts around the app: ``factory(app, runtime)`` returns the wrapping app.
A layer with an ``async def aclose()`` is closed when the app shuts down."""


@dataclass(frozen=True)
class SeedContext:
    runtime: Runtime


@dataclass(frozen=True)
class Service:
    name: str
    port: int
    title: str
    description: str = ""
    schema: str = ""
    router: APIRouter | None = None
    metadata: MetaData | None = None
    migrations: Path | None = None
    publishes: Sequence[Topic] = ()
    consumes: Sequence[Consumer] = ()
    graphql: GraphQLParts | None = None
    checks: Sequence[ReadinessCheck] = ()
    permissions: Mapping[str, str] = field(default_factory=dict)
    seed: Callable[[SeedContext], Awaitable[None]] | None = None
    settings: type[ServiceSettings] | None = None
    # background work owned by the service (timers, job runners), started and stopped with the process
    on_start: LifecycleHook | None = None
    on_stop: LifecycleHook | None = None
    # ASGI layers inside the kit's request middleware (the gateway's edge)
    middleware: Sequence[LayerFactory] = ()
    version: str = "0.1.0"

    def __post_init__(self) -> None:
        if not SERVICE_NAME_PATTERN.match(self.name):
            raise ValueError(f"service name {self.name!r} must be lower-case words joined by '-'")
        if not self.schema:
            object.__setattr__(self, "schema", self.name.replace("-", "_"))
        if self.metadata is not None and self.metadata.schema != self.schema:
            raise ValueError(f"{self.name}: metadata schema {self.metadata.schema!r} != {self.schema!r}")
        for topic in self.publishes:
            if not TOPIC_PATTERN.match(topic.name) or topic.owner != self.name:
                raise ValueError(f"{self.name}: topic {topic.name!r} must be '{self.name}.entity.action'")


class UnknownServiceError(LookupError):
    def __init__(self, name: str, known: Iterable[str]) -> None:
        known = list(known)
        close = difflib.get_close_matches(name, known, n=1)
        hint = f" Did you mean '{close[0]}'?" if close else ""
        super().__init__(f"unknown service '{name}'.{hint} Known services: {', '.join(known)}")


class Registry:
    """The registered services, ordered by port."""

    def __init__(self, services: Iterable[Service]) -> None:
        ordered = sorted(services, key=lambda item: item.port)
        self._by_name: dict[str, Service] = {}
        for service in ordered:
            if service.name in self._by_name:
                raise ValueError(f"service {service.name!r} registered twice")
            if service.name == PLATFORM_OWNER:
                raise ValueError(f"{PLATFORM_OWNER!r} names the kit's own topics, not a service")
            self._by_name[service.name] = service

    def __iter__(self) -> Iterator[Service]:
        return iter(self._by_name.values())

    def __len__(self) -> int:
        return len(self._by_name)

    def names(self) -> list[str]:
        return list(self._by_name)

    def get(self, name: str) -> Service:
        key = name.replace("_", "-")
        if key not in self._by_name:
            raise UnknownServiceError(name, self._by_name)
        return self._by_name[key]

    def select(self, names: Sequence[str]) -> list[Service]:
        """The named services (all of them when ``names`` is empty)."""
        return [self.get(name) for name in names] if names else list(self)

    def topics(self) -> dict[str, Topic]:
        """Every topic: the kit's own (``platform.*``) and each service's."""
        topics = [*PLATFORM_TOPICS, *(topic for service in self for topic in service.publishes)]
        return {topic.name: topic for topic in topics}


def load_registry() -> Registry:
    """Every service registered under the ``vextrus.services`` entry-point group."""
    services = []
    for entry_point in entry_points(group=ENTRY_POINT_GROUP):
        service = entry_point.load()
        if not isinstance(service, Service):
            raise TypeError(f"entry point {entry_point.name} is not a Service")
        services.append(service)
    return Registry(services)
