"""The gateway's route table: which service answers each route key (``/api/v1/<segment>``), from
every service's router, and which of those routes need credentials (to refuse bad ones at the edge
without refusing a public route such as login)."""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

from fastapi.routing import APIRoute

from vextrus.kit.dispatch import template_key
from vextrus.kit.security import route_permissions
from vextrus.kit.service import Service

GRAPHQL_KEY = "/graphql"
GRAPHQL_UPSTREAM = "graphql"


@dataclass(frozen=True)
class RouteRule:
    """One route of a service: its path pattern, methods, and whether it requires a permission."""

    pattern: re.Pattern[str]
    methods: frozenset[str]
    protected: bool


@dataclass
class RouteTable:
    owners: dict[str, str] = field(default_factory=dict)  # route key -> service (upstream) name
    rules: dict[str, list[RouteRule]] = field(default_factory=dict)  # route key -> its routes

    def owner(self, key: str) -> str | None:
        return self.owners.get(key)

    def requires_credentials(self, key: str, method: str, path: str) -> bool:
        """True when the route the request addresses is known and requires a permission. Unknown
        routes (404s, the kit's probes, extra routes) are left to whoever answers them."""
        for rule in self.rules.get(key, ()):
            if (method in rule.methods or (method == "HEAD" and "GET" in rule.methods)) and rule.pattern.match(path):
                return rule.protected
        return False

    def claim(self, key: str, owner: str) -> None:
        existing = self.owners.setdefault(key, owner)
        if existing != owner:
            raise ValueError(f"route key {key} is claimed by both {existing} and {owner}")


def build_route_table(services: Iterable[Service], extra: Mapping[str, str] | None = None) -> RouteTable:
    """Route keys of every service's REST routes, plus ``extra`` (key -> upstream name)."""
    table = RouteTable()
    for service in services:
        if service.router is None:
            continue
        for route in service.router.routes:
            if not isinstance(route, APIRoute):
                continue
            key = template_key(route.path)
            if key is None:
                raise ValueError(f"{service.name}: route {route.path} has no fixed prefix the gateway can route by")
            table.claim(key, service.name)
            permissions, _ = route_permissions([route.dependant])
            table.rules.setdefault(key, []).append(
                RouteRule(route.path_regex, frozenset(route.methods or ()), bool(permissions))
            )
    for key, owner in (extra or {}).items():
        table.claim(key, owner)
    return table
