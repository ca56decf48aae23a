"""Route dispatch by path prefix, before route matching.

Starlette and FastAPI match a request against every route of the app in order; with every
service's API in one embedded app that linear scan is paid on every request (docs/benchmarks.md,
"where the time goes"). :class:`PrefixDispatch` indexes the app's top-level routes by their
*key* — ``/api/v1/<service segment>`` for the REST APIs, the first path segment otherwise — and
runs the router's own matching over the routes of the request's key only (plus the few routes
whose key cannot be known, such as a path starting with a parameter). A route of another key
cannot match the request, so the outcome (match, 405 on a partial match, trailing-slash redirect,
404) is the router's, unchanged; only the routes that could never match are skipped.

The index is rebuilt when routes are added to the app after the first request.
"""

from __future__ import annotations

import copy
from collections.abc import Iterable
from typing import Any

from fastapi.routing import APIRouter
from starlette._utils import get_route_path
from starlette.routing import BaseRoute, Host, Mount
from starlette.types import Receive, Scope, Send

API_PREFIX = "/api/v1"
_API_SLASH = API_PREFIX + "/"


def path_key(path: str) -> str:
    """``/api/v1/<segment>`` under the API prefix, else the first segment (``/health``), never
    ending in ``/`` (so a trailing-slash redirect keeps its key); ``/`` for the root."""
    under_api = path == API_PREFIX or path.startswith(_API_SLASH)
    end = path.find("/", len(_API_SLASH)) if under_api else path.find("/", 1)
    key = path if end < 0 else path[:end]
    return key.rstrip("/") or "/"


def template_key(template: str) -> str | None:
    """The key every path matching ``template`` has, or None when a parameter decides it."""
    key = path_key(template)
    return None if "{" in key else key


def _route_keys(route: Any) -> set[str] | None:
    """The keys of the paths ``route`` can match; None when unknown (the route is always tried)."""
    if isinstance(route, Host):
        return None
    if isinstance(route, Mount):
        path = route.path.rstrip("/")
        key = template_key(path) if path else None
        return None if key is None or key != path_key(path + "/x") else {key}
    contexts = getattr(route, "effective_route_contexts", None)
    if contexts is not None:  # FastAPI's included router: the keys of all its routes
        if route.effective_low_priority_routes():
            return None
        keys: set[str] = set()
        for context in contexts():
            original = context.original_route
            if isinstance(original, Host):
                return None
            target = context.starlette_route if context.starlette_route is not None else original
            if isinstance(target, Mount):
                sub = _route_keys(target)
                if sub is None:
                    return None
                keys |= sub
                continue
            template: Any = context.path_format or getattr(target, "path_format", None) or getattr(target, "path", None)
            key = template_key(template) if isinstance(template, str) and template else None
            if key is None:
                return None
            keys.add(key)
        return keys
    template = getattr(route, "path_format", None) or getattr(route, "path", None)
    if not isinstance(template, str) or not template:
        return None
    key = template_key(template)
    return None if key is None else {key}


class PrefixDispatch:
    """Replaces a router's matching loop with one over the routes of the request's key."""

    def __init__(self, router: APIRouter) -> None:
        self.router = router
        self._app = type(router).app
        self._fingerprint: tuple[int, int] | None = None
        self._views: dict[str, APIRouter] = {}
        self._other: APIRouter = router

    def _view(self, routes: Iterable[BaseRoute]) -> APIRouter:
        view = copy.copy(self.router)  # shares everything (default, settings) but the route list
        view.routes = list(routes)
        return view

    def _index(self) -> None:
        routes = self.router.routes
        keyed = [(route, _route_keys(route)) for route in routes]
        all_keys = {key for _, keys in keyed if keys is not None for key in keys}
        self._views = {
            key: self._view(route for route, keys in keyed if keys is None or key in keys) for key in all_keys
        }
        self._other = self._view(route for route, keys in keyed if keys is None)
        self._fingerprint = (len(routes), id(routes[-1]) if routes else 0)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self._app(self.router, scope, receive, send)
            return
        routes = self.router.routes
        if self._fingerprint != (len(routes), id(routes[-1]) if routes else 0):
            self._index()
        view = self._views.get(path_key(get_route_path(scope)), self._other)
        if "router" not in scope:
            scope["router"] = self.router  # url_for sees every route
        await self._app(view, scope, receive, send)


def install_prefix_dispatch(router: APIRouter) -> bool:
    """Route ``router``'s requests through :class:`PrefixDispatch`; False if its stack is not the
    plain router (someone wrapped it: leave it alone)."""
    if router.middleware_stack != router.app:
        return False
    router.middleware_stack = PrefixDispatch(router)
    return True
