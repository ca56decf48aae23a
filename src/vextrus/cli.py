"""The ``vextrus`` command: serve, migrate, seed, services, events, token, makemigration."""

from __future__ import annotations

import asyncio
import sys
import uuid
from collections.abc import Awaitable, Callable
from typing import Annotated, Any, NoReturn, TypeVar

import typer

from vextrus.kit.service import Registry, Service, UnknownServiceError, load_registry
from vextrus.kit.settings import Settings, SettingsError, get_settings

T = TypeVar("T")
EMBEDDED_PORT = 4000

app = typer.Typer(
    help="Vextrus ERP platform.", no_args_is_help=True, add_completion=False, pretty_exceptions_enable=False
)
seed_app = typer.Typer(help="Load data.", no_args_is_help=True)
events_app = typer.Typer(help="Event topics.", no_args_is_help=True)
app.add_typer(seed_app, name="seed")
app.add_typer(events_app, name="events")


def fail(message: str, code: int = 2) -> NoReturn:
    typer.echo(f"error: {message}", err=True)
    raise typer.Exit(code)


def _settings() -> Settings:
    try:
        return get_settings()
    except SettingsError as error:
        fail(str(error))


def _select(names: list[str] | None) -> tuple[Registry, list[Service]]:
    registry = load_registry()
    try:
        return registry, registry.select(names or [])
    except UnknownServiceError as error:
        fail(str(error.args[0]))


def _run(factory: Callable[[], Awaitable[T]]) -> T:
    return asyncio.run(factory())  # type: ignore[arg-type]


def _version_callback(value: bool) -> None:
    if value:
        from vextrus.kit.app import vextrus_version

        typer.echo(f"vextrus {vextrus_version()}")
        raise typer.Exit()


@app.callback()
def main_callback(
    version: Annotated[
        bool, typer.Option("--version", callback=_version_callback, is_eager=True, help="Print the version.")
    ] = False,
) -> None:
    """Vextrus ERP: run `vextrus serve` for the embedded platform on http://127.0.0.1:4000."""


@app.command()
def services() -> None:
    """List the registered services: name and port."""
    for service in load_registry():
        typer.echo(f"{service.name:<16} {service.port}")


@app.command()
def serve(
    names: Annotated[list[str] | None, typer.Argument(help="Services to serve (default: all, embedded).")] = None,
    host: Annotated[str | None, typer.Option(help="Interface to bind (default VEXTRUS_HOST).")] = None,
    port: Annotated[int | None, typer.Option(help="Port (default: the service's own, 4000 embedded).")] = None,
) -> None:
    """Serve all services in one process (embedded) or the named ones (distributed)."""
    import uvicorn

    from vextrus.kit.app import GATEWAY_NAME, build_app

    settings = _settings()
    _, selected = _select(names)
    alone = bool(names) and len(selected) == 1
    default_port = selected[0].port if alone else EMBEDDED_PORT
    application = build_app(selected, settings, name=None if alone else GATEWAY_NAME)
    uvicorn.run(
        application,
        host=host or settings.host,
        port=port or settings.port or default_port,
        log_config=None,
        access_log=False,
        proxy_headers=True,
        server_header=False,
    )


@app.command()
def migrate(
    names: Annotated[list[str] | None, typer.Argument(help="Services to migrate (default: all).")] = None,
    to: Annotated[str, typer.Option("--to", help="Target revision: head (default) or base to downgrade.")] = "head",
) -> None:
    """Upgrade the database schema (or downgrade with --to base)."""
    from vextrus.kit.db import Database
    from vextrus.kit.migrations import downgrade, trees_for, upgrade
    from vextrus.kit.models import PLATFORM_SCHEMA

    settings = _settings()
    _, selected = _select(names)
    downgrading = to == "base"
    # The platform tree (outbox, inbox) is shared: it goes down only when everything does.
    trees = trees_for(selected, include_platform=not (downgrading and names))

    async def run() -> None:
        database = Database(settings.database_url, [PLATFORM_SCHEMA, *(s.schema for s in load_registry())])
        try:
            if downgrading:
                await downgrade(database, trees, "base")
            else:
                await upgrade(database, trees, to, app_role=settings.database_app_role)
        finally:
            await database.dispose()

    try:
        _run(run)
    except Exception as error:
        fail(f"migration failed: {type(error).__name__}: {error}", 1)
    action = "downgraded to base" if downgrading else f"upgraded to {to}"
    typer.echo(f"{', '.join(tree.name for tree in trees)}: {action}")


@seed_app.command("demo")
def seed_demo() -> None:
    """Load the demo construction group into every service (idempotent)."""
    from vextrus.kit.app import build_app
    from vextrus.kit.service import SeedContext

    settings = _settings()
    registry = load_registry()

    async def run() -> list[str]:
        application = build_app(list(registry), settings)
        runtime: Any = application.state.runtime
        seeded = []
        async with application.router.lifespan_context(application):
            for service in registry:
                if service.seed is not None:
                    await service.seed(SeedContext(runtime))
                    seeded.append(service.name)
            await runtime.relay.drain()
        return seeded

    try:
        seeded = _run(run)
    except Exception as error:
        fail(f"seeding failed: {type(error).__name__}: {error} (did you run `vextrus migrate`?)", 1)
    typer.echo(f"demo data loaded: {', '.join(seeded) or 'no service has demo data'}")


@events_app.command("topics")
def events_topics() -> None:
    """List every topic: name, owner, partitions, retention."""
    for topic in load_registry().topics().values():
        typer.echo(f"{topic.name:<48} {topic.owner:<16} {topic.partitions:>3}  {topic.retention_hours}h")


@app.command()
def token(
    tenant: Annotated[str, typer.Option(help="Tenant id or demo tenant slug.")] = "meghna-group",
    permission: Annotated[list[str] | None, typer.Option("--permission", "-p", help="Granted permission.")] = None,
    subject: Annotated[str | None, typer.Option(help="User id (default: the demo tenant's admin).")] = None,
    ttl: Annotated[int, typer.Option(help="Lifetime in seconds.")] = 3600,
) -> None:
    """Print a signed access token for development (refused in production)."""
    from vextrus.demo import DEMO_TENANTS
    from vextrus.kit.security import SigningKey, TokenIssuer
    from vextrus.kit.tenancy import Principal

    settings = _settings()
    if settings.is_production:
        fail("`vextrus token` is for development; in production tokens come from the auth service")
    demo = {item.slug: item for item in DEMO_TENANTS}
    try:
        tenant_id = demo[tenant].id if tenant in demo else uuid.UUID(tenant)
        user_id = uuid.UUID(subject) if subject else (demo[tenant].users[0].id if tenant in demo else uuid.uuid4())
    except ValueError:
        fail(f"tenant must be a UUID or one of: {', '.join(demo)}")
    principal = Principal(subject=user_id, tenant_id=tenant_id, permissions=frozenset(permission or ["*"]))
    issuer = TokenIssuer(SigningKey.load_or_create(settings.signing_key_path), settings)
    typer.echo(issuer.issue(principal, ttl))


@app.command()
def makemigration(
    name: Annotated[str, typer.Argument(help="Service whose models changed.")],
    message: Annotated[str, typer.Option("-m", "--message", help="What the revision does.")],
) -> None:
    """Autogenerate a revision for one service (run against PostgreSQL, see DESIGN.md §3)."""
    from alembic import command

    from vextrus.kit.db import Database
    from vextrus.kit.migrations import alembic_config, service_tree

    settings = _settings()
    _, selected = _select([name])
    tree = service_tree(selected[0])
    if tree is None:
        fail(f"service '{name}' has no migrations folder")
    if settings.is_sqlite:
        fail("autogenerate needs PostgreSQL: set VEXTRUS_DATABASE_URL=postgresql+asyncpg://...")

    async def run() -> None:
        database = Database(settings.database_url, [tree.schema])
        try:
            async with database.engine.begin() as connection:
                await connection.run_sync(
                    lambda sync: command.revision(alembic_config(tree, sync), message=message, autogenerate=True)
                )
        finally:
            await database.dispose()

    _run(run)


def main() -> None:
    try:
        app()
    except SettingsError as error:  # settings read lazily deep inside a command
        typer.echo(f"error: {error}", err=True)
        sys.exit(2)
