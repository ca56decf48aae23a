"""The kit's dispatch by path prefix (issue #7): the app answers exactly as the router's linear
match would — route chosen, 405 on a method mismatch, trailing-slash redirects, 404, url_for across
services, routes added late — while trying only the routes of the request's key."""

from __future__ import annotations

from pathlib import Path

import httpx
import pytest
from fastapi import APIRouter, FastAPI, Request
from starlette.routing import Mount, Route

from tests.conftest import make_settings
from vextrus.kit.app import build_app
from vextrus.kit.dispatch import PrefixDispatch, path_key, template_key
from vextrus.kit.security import PUBLIC
from vextrus.kit.service import Service


@pytest.mark.parametrize(
    ("path", "key"),
    [
        ("/api/v1/configuration/settings/x", "/api/v1/configuration"),
        ("/api/v1/configuration", "/api/v1/configuration"),
        ("/api/v1/configuration/", "/api/v1/configuration"),
        ("/api/v1", "/api/v1"),
        ("/api/v1/", "/api/v1"),
        ("/api/v1x/y", "/api"),
        ("/api/docs", "/api"),
        ("/health/ready", "/health"),
        ("/health/", "/health"),
        ("/graphql", "/graphql"),
        ("/.well-known/jwks.json", "/.well-known"),
        ("/", "/"),
        ("", "/"),
    ],
)
def test_path_key(path: str, key: str) -> None:
    assert path_key(path) == key


@pytest.mark.parametrize(
    ("template", "key"),
    [
        ("/api/v1/organizations/tenants/{tenant_id}", "/api/v1/organizations"),
        ("/api/v1/{service}/x", None),
        ("/{anything:path}", None),
        ("/files{rest:path}", None),
        ("/metrics", "/metrics"),
    ],
)
def test_template_key(template: str, key: str | None) -> None:
    assert template_key(template) == key


alpha = APIRouter(prefix="/api/v1/alpha")
beta = APIRouter(prefix="/api/v1/beta")
anywhere = APIRouter()


@alpha.get("/items/{item_id}", name="alpha-item")
async def alpha_item(item_id: int, _: object = PUBLIC) -> dict[str, object]:
    return {"service": "alpha", "item": item_id}


@alpha.get("/slash/")
async def alpha_slash(_: object = PUBLIC) -> dict[str, str]:
    return {"service": "alpha"}


@beta.get("/items/{item_id}")
async def beta_item(item_id: str, request: Request, _: object = PUBLIC) -> dict[str, object]:
    # url_for reaches a route of another service: the router sees every route
    return {"service": "beta", "item": item_id, "alpha": str(request.url_for("alpha-item", item_id=7))}


@beta.post("/things")
async def beta_things(_: object = PUBLIC) -> dict[str, str]:
    return {"service": "beta"}


@anywhere.get("/api/v1/{service}/catch-all")
async def catch_all(service: str, _: object = PUBLIC) -> dict[str, str]:
    return {"caught": service}


SERVICES = [
    Service(name="alpha", port=39101, title="Alpha", router=alpha),
    Service(name="beta", port=39102, title="Beta", router=beta),
    Service(name="anywhere", port=39103, title="Anywhere", router=anywhere),
]


@pytest.fixture(scope="module")
def app(tmp_path_factory: pytest.TempPathFactory) -> FastAPI:
    workdir: Path = tmp_path_factory.mktemp("dispatch")
    built = build_app(SERVICES, make_settings(f"sqlite+aiosqlite:///{workdir / 'd.db'}", workdir))

    async def late(_: Request) -> httpx.Response:
        from starlette.responses import PlainTextResponse

        return PlainTextResponse("late")  # type: ignore[return-value]

    built.router.routes.append(Mount("/static", routes=[Route("/late", late)]))
    return built


async def call(app: FastAPI, method: str, path: str) -> httpx.Response:
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app), base_url="http://t") as client:
        return await client.request(method, path, follow_redirects=False)


@pytest.mark.parametrize(
    ("method", "path", "status", "body"),
    [
        ("GET", "/api/v1/alpha/items/3", 200, {"service": "alpha", "item": 3}),
        (
            "GET",
            "/api/v1/beta/items/3",
            200,
            {"service": "beta", "item": "3", "alpha": "http://t/api/v1/alpha/items/7"},
        ),
        ("GET", "/api/v1/alpha/items/not-a-number", 422, None),
        ("DELETE", "/api/v1/alpha/items/3", 405, None),
        ("GET", "/api/v1/beta/things", 405, None),
        ("GET", "/api/v1/alpha/slash", 307, None),
        ("GET", "/api/v1/gamma/catch-all", 200, {"caught": "gamma"}),
        ("GET", "/api/v1/alpha/catch-all", 200, {"caught": "alpha"}),
        ("GET", "/api/v1/nobody/items/3", 404, None),
        ("GET", "/health", 200, None),
        ("DELETE", "/health", 405, None),
        ("GET", "/static/late", 200, None),
        ("GET", "/nowhere", 404, None),
    ],
)
async def test_answers_are_the_routers(app: FastAPI, method: str, path: str, status: int, body: object) -> None:
    response = await call(app, method, path)
    assert response.status_code == status, response.text
    if body is not None:
        assert response.json() == body
    if status == 307:
        assert response.headers["location"] == "http://t/api/v1/alpha/slash/"
    if status in (404, 405, 422):
        assert response.headers["content-type"] == "application/problem+json"


async def test_only_the_routes_of_the_key_are_tried(app: FastAPI) -> None:
    await call(app, "GET", "/health")  # builds the index
    dispatch = app.router.middleware_stack
    assert isinstance(dispatch, PrefixDispatch)
    alpha_view = dispatch._views["/api/v1/alpha"]
    everything = len(app.router.routes)
    # alpha's own routes plus those whose key no one can know (the catch-all's router)
    assert len(alpha_view.routes) < everything
    assert any(getattr(route, "original_router", None) is alpha for route in alpha_view.routes)
    assert not any(getattr(route, "original_router", None) is beta for route in alpha_view.routes)
    assert any(getattr(route, "original_router", None) is anywhere for route in alpha_view.routes)


async def test_routes_added_after_the_first_request_are_found(app: FastAPI) -> None:
    assert (await call(app, "GET", "/api/v1/alpha/items/1")).status_code == 200

    async def added(_: Request) -> object:
        from starlette.responses import PlainTextResponse

        return PlainTextResponse("added")

    app.router.routes.append(Route("/api/v1/delta/added", added))
    response = await call(app, "GET", "/api/v1/delta/added")
    assert response.text == "added"
