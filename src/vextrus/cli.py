"""The ``vextrus`` command: serve, migrate, seed, services, events, token, makemigration."""

from __future__ import annotations

import asyncio
import difflib
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
events_app = typer.Typer(help="Event backbone: topics, replays, dead letters.", no_args_is_help=True)
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


# ---- events: topics, dead letters, replays (docs/events.md) ------------------------------------

dlq_app = typer.Typer(help="Dead letters: events a consumer gave up on.", no_args_is_help=True)
events_app.add_typer(dlq_app, name="dlq")


def _events_database(settings: Settings) -> Any:
    """The platform tables only (outbox, inbox, dead letters): no service needs loading."""
    from vextrus.kit.db import Database
    from vextrus.kit.models import PLATFORM_SCHEMA

    return Database(settings.database_url, [PLATFORM_SCHEMA])


def _with_database(settings: Settings, work: Callable[[Any], Awaitable[T]]) -> T:
    async def run() -> T:
        database = _events_database(settings)
        try:
            return await work(database)
        finally:
            await database.dispose()

    return _run(run)


def _uuids(values: list[str]) -> list[uuid.UUID]:
    try:
        return [uuid.UUID(value) for value in values]
    except ValueError:
        fail(f"dead letter ids are UUIDs (see `vextrus events dlq list`), got {' '.join(values)}")


@events_app.command("topics")
def events_topics() -> None:
    """List every topic: name, owner, partitions, retention, consuming services."""
    registry = load_registry()
    consumed_by: dict[str, list[str]] = {}
    for service in registry:
        for consumer in service.consumes:
            consumed_by.setdefault(consumer.topic, []).append(service.name)
    for topic in registry.topics().values():
        consumers = ",".join(sorted(set(consumed_by.get(topic.name, [])))) or "-"
        typer.echo(f"{topic.name:<48} {topic.owner:<16} {topic.partitions:>3}  {topic.retention_hours}h  {consumers}")


@events_app.command("create-topics")
def events_create_topics(
    timeout: Annotated[float, typer.Option(help="Seconds to wait for the broker.")] = 30.0,
) -> None:
    """Create every registered topic and its .dlq on the configured broker (idempotent)."""
    from vextrus.kit.events.kafka import KafkaOptions, create_topics
    from vextrus.kit.events.transport import topic_specs

    settings = _settings()
    if settings.event_bus == "memory":
        fail("VEXTRUS_EVENT_BUS is memory: the in-process bus has no topics (set kafka://host:port)")
    options = KafkaOptions.from_settings(settings)
    specs = topic_specs(load_registry())
    try:
        result = create_topics(options, specs, timeout=timeout)
    except Exception as error:
        fail(f"cannot create topics on {options.bootstrap}: {error}", 1)
    for spec in specs:
        typer.echo(f"{spec.name:<52} {spec.partitions:>3}  {spec.retention_hours}h  {result.get(spec.name, '?')}")
    created = sum(1 for state in result.values() if state == "created")
    typer.echo(f"{created} created, {len(result) - created} already existed")


@events_app.command("replay")
def events_replay(
    topic: Annotated[str, typer.Option("--topic", help="Registered topic to replay.")],
    start: Annotated[str, typer.Option("--from", help="Offset (in every partition) or ISO 8601 time with timezone.")],
    bypass_inbox: Annotated[
        list[str] | None,
        typer.Option(
            "--bypass-inbox",
            help="Consumer whose handler runs again even if it handled the event (repeatable; '*' for every consumer).",
        ),
    ] = None,
    limit: Annotated[int | None, typer.Option(help="Replay at most this many events.", min=1)] = None,
    dry_run: Annotated[bool, typer.Option("--dry-run", help="List the events; queue nothing.")] = False,
) -> None:
    """Deliver a topic's events again to every consumer of the topic.

    Copies (same event ids) go through the topic owner's outbox relay. Consumers that already handled
    an event drop it (inbox): effects stay exactly-once unless --bypass-inbox names the consumer.
    On Kafka the events are read from the topic; on the memory bus from the outbox (offset = the
    topic's n-th event, from 0).
    """
    from vextrus.kit.events.envelope import Envelope
    from vextrus.kit.events.operations import ReplayItem, outbox_history, parse_start, queue_replay

    settings = _settings()
    try:
        origin = parse_start(start)
    except ValueError as error:
        fail(f"--from: {error}")
    registry = load_registry()
    topics = registry.topics()
    consumers = sorted({c.name for service in registry for c in service.consumes if c.topic == topic})
    if topic not in topics:  # e.g. a retired service's topic: the broker (or the outbox) decides
        close = difflib.get_close_matches(topic, list(topics), n=1)
        typer.echo(
            f"note: '{topic}' is not a registered topic" + (f" (did you mean '{close[0]}'?)" if close else ""),
            err=True,
        )
    bypass = list(dict.fromkeys(bypass_inbox or []))
    unknown = [name for name in bypass if name != "*" and name not in consumers and topic in topics]
    if unknown:
        fail(
            f"--bypass-inbox: {', '.join(unknown)} do not consume {topic} (consumers: {', '.join(consumers) or 'none'})"
        )

    if settings.event_bus == "memory":
        items = _with_database(settings, lambda database: outbox_history(database, topic, origin, limit=limit))
    else:
        from vextrus.kit.events.kafka import KafkaOptions, read_topic

        options = KafkaOptions.from_settings(settings)
        try:
            stored = read_topic(
                options,
                topic,
                offset=origin if isinstance(origin, int) else None,
                since=origin if not isinstance(origin, int) else None,
                limit=limit,
            )
        except Exception as error:
            fail(f"cannot read {topic} from {options.bootstrap}: {error}", 1)
        items = [ReplayItem(m.offset, m.partition, m.timestamp, m.key, m.body) for m in stored]
    if dry_run:
        for item in items:
            try:
                event_id = Envelope.model_validate_json(item.body).id
            except ValueError:
                event_id = "(not an envelope)"
            when = item.time.isoformat() if item.time else "-"
            typer.echo(f"{item.partition:>3} {item.offset:>8}  {when}  {item.key}  {event_id}")
        typer.echo(f"{len(items)} events of {topic} would be replayed")
        return
    if not items:
        typer.echo(f"no events of {topic} from {start}")
        return
    try:
        replay_id = _with_database(settings, lambda database: queue_replay(database, topic, items, bypass_inbox=bypass))
    except ValueError as error:
        fail(str(error), 1)
    owner = topic.split(".", 1)[0]
    typer.echo(
        f"queued {len(items)} events of {topic} for the {owner} relay (replay {replay_id}); "
        f"consumers: {', '.join(consumers) or 'none'}" + (f"; inbox bypassed for {', '.join(bypass)}" if bypass else "")
    )


@dlq_app.command("list")
def dlq_list(
    consumer: Annotated[str | None, typer.Option(help="Only this consumer's dead letters.")] = None,
    topic: Annotated[str | None, typer.Option(help="Only this topic's dead letters.")] = None,
    all_: Annotated[bool, typer.Option("--all", help="Also resolved and discarded ones.")] = False,
    limit: Annotated[int, typer.Option(help="At most this many, newest first.", min=1)] = 100,
    as_json: Annotated[bool, typer.Option("--json", help="One JSON object per line.")] = False,
) -> None:
    """Dead letters, newest first: open ones (dead, or requeued and not yet handled) unless --all."""
    import json

    from vextrus.kit.events.operations import list_dead_letters

    settings = _settings()
    found = _with_database(
        settings,
        lambda database: list_dead_letters(database, consumer=consumer, topic=topic, include_closed=all_, limit=limit),
    )
    for item in found:
        if as_json:
            typer.echo(json.dumps({k: v for k, v in item.as_dict().items() if k != "envelope"}, ensure_ascii=False))
        else:
            error = item.error.splitlines()[0][:80] if item.error else ""
            typer.echo(
                f"{item.id}  {item.state:<9} {item.consumer:<28} {item.topic:<40} "
                f"{item.last_failed_at:%Y-%m-%d %H:%M:%S}  x{item.times_dead}  {error}"
            )
    if not as_json:
        typer.echo(f"{len(found)} dead letters" + ("" if all_ else " open"))


@dlq_app.command("show")
def dlq_show(dead_letter_id: Annotated[str, typer.Argument(help="Dead letter id.")]) -> None:
    """Everything about one dead letter: the event, the error, attempts, where it was consumed."""
    import json

    from vextrus.kit.events.operations import get_dead_letter

    settings = _settings()
    (identifier,) = _uuids([dead_letter_id])
    found = _with_database(settings, lambda database: get_dead_letter(database, identifier))
    if found is None:
        fail(f"no dead letter {dead_letter_id}", 1)
    typer.echo(json.dumps(found.as_dict(), indent=2, ensure_ascii=False))


@dlq_app.command("requeue")
def dlq_requeue(
    ids: Annotated[list[str] | None, typer.Argument(help="Dead letter ids.")] = None,
    all_open: Annotated[bool, typer.Option("--all", help="Every open dead letter (with the filters).")] = False,
    consumer: Annotated[str | None, typer.Option(help="With --all: only this consumer's.")] = None,
    topic: Annotated[str | None, typer.Option(help="With --all: only this topic's.")] = None,
) -> None:
    """Deliver dead-lettered events again, through the topic owner's outbox relay.

    Every consumer of the topic receives the copy; those that handled the event drop it (inbox).
    """
    from vextrus.kit.events.operations import DeadLetterStateError, list_dead_letters, requeue_dead_letters

    settings = _settings()
    if bool(ids) == all_open:
        fail("name dead letter ids, or --all")

    async def run(database: Any) -> list[Any]:
        chosen = _uuids(ids or [])
        if all_open:
            open_letters = await list_dead_letters(database, consumer=consumer, topic=topic, limit=10_000)
            chosen = [item.id for item in open_letters if item.state == "dead"]
        return await requeue_dead_letters(database, chosen) if chosen else []

    try:
        requeued = _with_database(settings, run)
    except (LookupError, DeadLetterStateError) as error:
        fail(str(error.args[0]), 1)
    for item in requeued:
        typer.echo(f"{item.id}  requeued  {item.consumer}  {item.topic}  {item.event_id}")
    typer.echo(f"{len(requeued)} dead letters requeued")


@dlq_app.command("discard")
def dlq_discard(ids: Annotated[list[str], typer.Argument(help="Dead letter ids.")]) -> None:
    """Close dead letters that will not be requeued (they leave the open list and the DLQ metric)."""
    from vextrus.kit.events.operations import discard_dead_letters

    settings = _settings()
    chosen = _uuids(ids)
    try:
        count = _with_database(settings, lambda database: discard_dead_letters(database, chosen))
    except LookupError as error:
        fail(str(error.args[0]), 1)
    typer.echo(f"{count} dead letters discarded")


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
