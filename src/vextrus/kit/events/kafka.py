"""The Kafka transport (``VEXTRUS_EVENT_BUS=kafka://host:port[,host:port]``), on confluent-kafka.

- Producer: idempotent, ``acks=all``, compressed, key = aggregate id (so one aggregate's events
  share a partition and keep their order). :meth:`KafkaTransport.publish` produces a batch and
  returns once every message has its delivery report: the relay marks a row sent only after the
  broker acknowledged it. After any failed batch the producer is replaced (a broker that lost its
  producer state would otherwise refuse the old producer id forever).
- Consumers: one consumer group per service (``<prefix>.<service>``), one thread each polling the
  broker; each batch is handed to the event loop (:class:`ConsumerDispatcher`: inbox, retries,
  dead letters) and its offsets are committed only after the handlers' transactions committed.
- confluent-kafka is a blocking C client: every call into it runs on a thread of its own (one for
  the producer, one for admin calls, one per consumer group), never on the event loop.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import contextlib
import datetime as dt
import logging
import threading
import time
import uuid
from collections import defaultdict
from collections.abc import Callable, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

import structlog
from confluent_kafka import Consumer as KafkaConsumer
from confluent_kafka import KafkaError, KafkaException, Message, Producer, TopicPartition
from confluent_kafka.admin import AdminClient
from confluent_kafka.admin._metadata import ClusterMetadata
from confluent_kafka.cimpl import NewTopic

from vextrus.kit.events import headers as h
from vextrus.kit.events.consumers import ConsumerDispatcher, DeliveryContext, InvalidMessageError, delivery_context
from vextrus.kit.events.envelope import Envelope
from vextrus.kit.events.transport import Outgoing, PublishError, TopicSpec
from vextrus.kit.service import Consumer

if TYPE_CHECKING:
    from vextrus.kit.settings import Settings

log = structlog.get_logger("vextrus.kafka")


class _RepeatFilter(logging.Filter):
    """librdkafka repeats a connection failure on every reconnect: let each kind through once a minute."""

    def __init__(self, seconds: float = 60.0) -> None:
        super().__init__()
        self._seconds = seconds
        self._last: dict[str, float] = {}

    def filter(self, record: logging.LogRecord) -> bool:
        facility = record.args[0] if isinstance(record.args, tuple) and record.args else ""
        message = record.args[-1] if isinstance(record.args, tuple) and record.args else record.msg
        kind = f"{record.levelno}:{facility}:" + "".join(c for c in str(message)[:80] if not c.isdigit())
        now = time.monotonic()
        if now - self._last.get(kind, -self._seconds) < self._seconds:
            return False
        if len(self._last) > 1000:
            self._last.clear()
        self._last[kind] = now
        return True


CLIENT_LOG = logging.getLogger("vextrus.kafka.client")  # librdkafka's own log lines ("%s [%s] %s")
CLIENT_LOG.addFilter(_RepeatFilter())

MAX_POLL_INTERVAL_MS = 300_000
TOPIC_RETRY_SECONDS = 30.0
IDLE_SECONDS = 5.0
STOP_GRACE_SECONDS = 15.0  # a stopping consumer waits this long for its batch's handlers
# Errors for which the broker refuses this very message: retrying cannot help (the row is dead).
PERMANENT_ERRORS = frozenset(
    {
        KafkaError.MSG_SIZE_TOO_LARGE,
        KafkaError.INVALID_MSG,
        KafkaError.INVALID_MSG_SIZE,
        KafkaError.INVALID_RECORD,
        KafkaError.RECORD_LIST_TOO_LARGE,
    }
)


def bootstrap_servers(url: str) -> str:
    """``kafka://a:9092,b:9092`` -> ``a:9092,b:9092``."""
    netloc = urlsplit(url).netloc
    if not netloc:
        raise ValueError(f"{url!r} names no broker")
    return netloc


@dataclass(frozen=True)
class KafkaOptions:
    bootstrap: str
    client_id: str = "vextrus"
    group_prefix: str = "vextrus"
    compression: str = "lz4"
    publish_timeout_seconds: float = 30.0
    session_timeout_ms: int = 10_000
    consumer_batch_size: int = 100
    create_topics: bool = True
    replication_factor: int = -1
    ping_timeout_seconds: float = 1.5
    extra: Mapping[str, str | int | bool] = field(default_factory=dict)

    @classmethod
    def from_settings(cls, settings: Settings) -> KafkaOptions:
        return cls(
            bootstrap=bootstrap_servers(settings.event_bus),
            client_id=settings.kafka_client_id,
            group_prefix=settings.kafka_group_prefix,
            compression=settings.kafka_compression,
            publish_timeout_seconds=settings.kafka_publish_timeout_seconds,
            session_timeout_ms=settings.kafka_session_timeout_ms,
            consumer_batch_size=settings.kafka_consumer_batch_size,
            create_topics=settings.kafka_create_topics,
            replication_factor=settings.kafka_replication_factor,
            ping_timeout_seconds=max(settings.ready_check_timeout_seconds * 0.75, 0.2),
            extra=dict(settings.kafka_config),
        )

    def group_id(self, service: str) -> str:
        return f"{self.group_prefix}.{service}"

    def _extra(self, kind: str) -> dict[str, Any]:
        """Extra properties for one kind of client: plain keys go to every client, keys prefixed
        ``producer.`` / ``consumer.`` / ``admin.`` only to that kind (librdkafka warns about
        properties a client does not use)."""
        kinds = ("producer.", "consumer.", "admin.")
        config = {key: value for key, value in self.extra.items() if not key.startswith(kinds)}
        prefix = f"{kind}."
        config.update({key[len(prefix) :]: value for key, value in self.extra.items() if key.startswith(prefix)})
        return config

    def _common(self, kind: str, error_cb: Callable[[KafkaError], None] | None = None) -> dict[str, Any]:
        config: dict[str, Any] = {
            "bootstrap.servers": self.bootstrap,
            "client.id": self.client_id,
            "reconnect.backoff.ms": 200,
            "reconnect.backoff.max.ms": 5000,
            "log.connection.close": False,
            "logger": CLIENT_LOG,
        }
        if error_cb is not None:
            config["error_cb"] = error_cb
        return config

    def producer_config(self, error_cb: Callable[[KafkaError], None] | None = None) -> dict[str, Any]:
        return {
            **self._common("producer", error_cb),
            "enable.idempotence": True,
            "acks": "all",
            "compression.type": self.compression,
            "linger.ms": 5,
            "message.timeout.ms": int(self.publish_timeout_seconds * 1000),
            **self._extra("producer"),
        }

    def consumer_config(self, group_id: str, error_cb: Callable[[KafkaError], None] | None = None) -> dict[str, Any]:
        return {
            **self._common("consumer", error_cb),
            "group.id": group_id,
            "enable.auto.commit": False,
            "auto.offset.reset": "earliest",
            "session.timeout.ms": self.session_timeout_ms,
            "heartbeat.interval.ms": max(min(1000, self.session_timeout_ms // 3), 100),
            "max.poll.interval.ms": MAX_POLL_INTERVAL_MS,
            "topic.metadata.refresh.interval.ms": 30_000,
            **self._extra("consumer"),
        }

    def admin_config(self) -> dict[str, Any]:
        return {**self._common("admin"), **self._extra("admin")}


class _Throttled:
    """Logs a recurring client error at most once per ``seconds`` per error code."""

    def __init__(self, event: str, seconds: float = 30.0) -> None:
        self._event = event
        self._seconds = seconds
        self._last: dict[int, float] = {}

    def __call__(self, error: KafkaError, **fields: Any) -> None:
        now = time.monotonic()
        if now - self._last.get(error.code(), -self._seconds) < self._seconds:
            return
        self._last[error.code()] = now
        log.warning(self._event, code=error.name(), error=error.str(), fatal=error.fatal(), **fields)


def _publish_error(error: KafkaError) -> PublishError:
    return PublishError(f"{error.name()}: {error.str()}", retriable=error.code() not in PERMANENT_ERRORS)


_PENDING = PublishError("no delivery report", retriable=True)


class KafkaTransport:
    name = "kafka"

    def __init__(self, options: KafkaOptions, topics: Sequence[TopicSpec] = ()) -> None:
        self.options = options
        self._topics = list(topics)
        self._producer_thread = ThreadPoolExecutor(max_workers=1, thread_name_prefix="vextrus-kafka-producer")
        self._admin_thread = ThreadPoolExecutor(max_workers=1, thread_name_prefix="vextrus-kafka-admin")
        self._producer: Producer | None = None
        self._producer_broken = False
        self._admin: AdminClient | None = None
        self._workers: list[_GroupWorker] = []
        self._startup: asyncio.Task[None] | None = None
        self._stopped = False
        self._topics_ready = not (options.create_topics and self._topics)
        self._topics_tried_at = -TOPIC_RETRY_SECONDS
        self._metadata: asyncio.Future[ClusterMetadata] | None = None
        self._producer_errors = _Throttled("kafka_producer_error")

    # -- lifecycle ---------------------------------------------------------------------------

    async def start(self) -> None:
        if self._startup is None:
            self._startup = asyncio.create_task(self._start_consumers(), name="kafka-start")

    async def _start_consumers(self) -> None:
        await self._ensure_topics()
        loop = asyncio.get_running_loop()
        for worker in self._workers:
            worker.start(loop)

    async def stop(self) -> None:
        if self._stopped:
            return
        self._stopped = True
        if self._startup is not None:
            self._startup.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._startup
            self._startup = None
        for worker in self._workers:
            worker.request_stop()
        for worker in self._workers:
            await worker.join()
        loop = asyncio.get_running_loop()
        await loop.run_in_executor(self._producer_thread, self._close_producer)
        await asyncio.to_thread(self._producer_thread.shutdown, True)
        await asyncio.to_thread(self._admin_thread.shutdown, True)

    def subscribe(self, service: str, consumers: Sequence[Consumer], dispatcher: ConsumerDispatcher) -> None:
        if consumers:
            self._workers.append(_GroupWorker(self.options, service, consumers, dispatcher))

    # -- topics and health -------------------------------------------------------------------

    async def _ensure_topics(self) -> None:
        """Create this process's topics once (idempotent); on failure retry at most every 30 s."""
        if self._topics_ready or time.monotonic() - self._topics_tried_at < TOPIC_RETRY_SECONDS:
            return
        self._topics_tried_at = time.monotonic()
        loop = asyncio.get_running_loop()
        try:
            created = await loop.run_in_executor(
                self._admin_thread, lambda: create_topics(self.options, self._topics, timeout=10.0)
            )
        except Exception as error:
            log.warning("kafka_topics_not_created", error=str(error))
            return
        self._topics_ready = True
        log.info("kafka_topics_ready", created=sorted(name for name, state in created.items() if state == "created"))

    def _admin_client(self) -> AdminClient:
        if self._admin is None:
            self._admin = AdminClient(self.options.admin_config())
        return self._admin

    async def ping(self) -> dict[str, Any]:
        # Concurrent probes share one metadata request; a probe that times out does not cancel it.
        if self._metadata is None or self._metadata.done():
            loop = asyncio.get_running_loop()
            timeout = self.options.ping_timeout_seconds
            self._metadata = loop.run_in_executor(
                self._admin_thread, lambda: self._admin_client().list_topics(timeout=timeout)
            )
        metadata = await asyncio.shield(self._metadata)
        if not metadata.brokers:
            raise ConnectionError(f"no broker reachable at {self.options.bootstrap}")
        missing = sorted(spec.name for spec in self._topics if spec.name not in metadata.topics)
        return {
            "transport": self.name,
            "brokers": len(metadata.brokers),
            "topics": len(metadata.topics),
            "missing_topics": missing[:20],
            "consumer_groups": {worker.group_id: worker.state for worker in self._workers},
        }

    def consumer_lag(self) -> dict[str, dict[str, int]]:
        return {worker.service: dict(worker.lag) for worker in self._workers}

    # -- producing ---------------------------------------------------------------------------

    async def publish(self, messages: Sequence[Outgoing]) -> list[PublishError | None]:
        if not messages:
            return []
        await self._ensure_topics()
        loop = asyncio.get_running_loop()
        return await loop.run_in_executor(self._producer_thread, self._produce_batch, list(messages))

    def _on_producer_error(self, error: KafkaError) -> None:
        if error.fatal():
            self._producer_broken = True
        self._producer_errors(error)

    def _produce_batch(self, messages: list[Outgoing]) -> list[PublishError | None]:
        """On the producer thread: produce every message, then wait for every delivery report."""
        if self._producer is None:
            self._producer = Producer(self.options.producer_config(self._on_producer_error))
        producer = self._producer
        results: list[PublishError | None] = [_PENDING] * len(messages)

        def reporter(index: int) -> Callable[[KafkaError | None, Message], None]:
            def report(error: KafkaError | None, _: Message) -> None:
                results[index] = None if error is None else _publish_error(error)

            return report

        for index, message in enumerate(messages):
            headers: list[tuple[str, str | bytes | None]] = [
                (name, value.encode()) for name, value in message.all_headers().items()
            ]
            while True:
                try:
                    producer.produce(
                        message.topic,
                        value=message.body.encode(),
                        key=message.key.encode(),
                        headers=headers,
                        on_delivery=reporter(index),
                    )
                except BufferError:  # local queue full: let deliveries drain
                    producer.poll(0.1)
                    continue
                except KafkaException as error:
                    results[index] = _publish_error(error.args[0])
                break
            producer.poll(0)
        remaining = producer.flush(self.options.publish_timeout_seconds + 5)
        if remaining:
            producer.purge(in_queue=True, in_flight=True)
            producer.flush(0)
        failed = remaining > 0 or any(result is not None for result in results)
        if failed or self._producer_broken:
            self._close_producer()
        return results

    def _close_producer(self) -> None:
        if self._producer is not None:
            self._producer.purge(in_queue=True, in_flight=True)
            self._producer.flush(0)
            self._producer = None
        self._producer_broken = False


class _Abandoned(Exception):
    """A batch given up at shutdown; its messages were not committed."""


def _offset(message: Message) -> int:
    return int(message.offset() or 0)


def _headers(message: Message) -> dict[str, str]:
    raw = message.headers() or []
    pairs = raw.items() if isinstance(raw, dict) else raw
    return {
        name: value.decode("utf-8", "replace") if isinstance(value, bytes) else str(value)
        for name, value in pairs
        if value is not None
    }


class _GroupWorker:
    """One service's consumer group: a thread polls the broker; the event loop runs the handlers."""

    def __init__(
        self, options: KafkaOptions, service: str, consumers: Sequence[Consumer], dispatcher: ConsumerDispatcher
    ) -> None:
        self.options = options
        self.service = service
        self.group_id = options.group_id(service)
        self._by_topic: dict[str, list[Consumer]] = defaultdict(list)
        for consumer in consumers:
            self._by_topic[consumer.topic].append(consumer)
        self._dispatcher = dispatcher
        self._stopping = threading.Event()
        self._stop_requested = 0.0
        self._thread: threading.Thread | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._uncommitted: dict[tuple[str, int], int] = {}
        # Next offset to handle per partition (written by the handlers on the loop, read for the lag).
        self._progress: dict[tuple[str, int], int] = {}
        self._lag_checked = 0.0
        self._errors = _Throttled("kafka_consumer_error")
        self.lag: dict[str, int] = dict.fromkeys(self._by_topic, 0)
        self.state = "stopped"
        # Longest time one batch may take before the rest is re-read (well inside max.poll.interval).
        self._batch_budget = MAX_POLL_INTERVAL_MS / 1000 / 3

    def start(self, loop: asyncio.AbstractEventLoop) -> None:
        self._loop = loop
        self._stopping.clear()
        self.state = "starting"
        self._thread = threading.Thread(target=self._run, name=f"vextrus-kafka-{self.service}", daemon=True)
        self._thread.start()

    def request_stop(self) -> None:
        self._stop_requested = time.monotonic()
        self._stopping.set()

    async def join(self) -> None:
        thread = self._thread
        if thread is not None:
            await asyncio.to_thread(thread.join)
            self._thread = None

    # -- the polling thread ------------------------------------------------------------------

    def _run(self) -> None:
        try:
            consumer = KafkaConsumer(
                self.options.consumer_config(self.group_id, lambda error: self._errors(error, group=self.group_id))
            )
        except KafkaException as error:
            log.error("kafka_consumer_not_created", group=self.group_id, error=str(error))
            self.state = "failed"
            return
        consumer.subscribe(list(self._by_topic), on_revoke=self._on_revoke)
        self.state = "running"
        try:
            while not self._stopping.is_set():
                try:
                    self._poll_once(consumer)
                except _Abandoned:
                    log.warning("kafka_batch_abandoned_at_shutdown", group=self.group_id)
                    return
                except Exception:
                    if self._loop is None or self._loop.is_closed():
                        log.error("kafka_consumer_loop_gone", group=self.group_id)
                        return
                    log.exception("kafka_consumer_round_failed", group=self.group_id)
                    time.sleep(1.0)
        finally:
            with contextlib.suppress(KafkaException):
                self._commit(consumer)
                consumer.close()
            self.state = "stopped"

    def _poll_once(self, consumer: KafkaConsumer) -> None:
        try:
            # consume(n, timeout) waits for n messages or the timeout: take what is queued at once,
            # and only when nothing is, wait for the next message and whatever came with it.
            size = self.options.consumer_batch_size
            messages = consumer.consume(size, 0)
            if not messages:
                messages = consumer.consume(1, 0.5)
                if messages and size > 1:
                    messages.extend(consumer.consume(size - 1, 0))
        except KafkaException as failure:
            self._errors(failure.args[0], group=self.group_id)
            time.sleep(0.5)
            return
        batch = []
        for message in messages:
            error = message.error()
            if error is not None:
                self._errors(error, group=self.group_id, topic=message.topic())
            else:
                batch.append(message)
                self._progress.setdefault((str(message.topic()), int(message.partition() or 0)), _offset(message))
        if batch and self._loop is not None:
            try:
                future = asyncio.run_coroutine_threadsafe(self._handle_batch(batch), self._loop)
                while True:  # wait for the handlers, keeping the lag current meanwhile
                    try:
                        done, rewind = future.result(timeout=1.0)
                        break
                    except concurrent.futures.TimeoutError:
                        self._refresh_lag(consumer)
                        if self._stopping.is_set() and time.monotonic() - self._stop_requested > STOP_GRACE_SECONDS:
                            future.cancel()  # shutting down: give up the batch, it is read again later
                            raise _Abandoned from None
            except BaseException:
                # Never move past messages that were not handled: read the whole batch again.
                firsts: dict[tuple[str, int], int] = {}
                for message in batch:
                    firsts.setdefault((str(message.topic()), int(message.partition() or 0)), _offset(message))
                for (topic, number), offset in firsts.items():
                    self._progress[(topic, number)] = offset
                    with contextlib.suppress(KafkaException):
                        consumer.seek(TopicPartition(topic, number, offset))
                raise
            self._uncommitted.update(done)
            for partition in rewind:
                self._progress[(partition.topic, partition.partition)] = partition.offset
                with contextlib.suppress(KafkaException):
                    consumer.seek(partition)
        if self._uncommitted:
            self._commit(consumer)
        self._refresh_lag(consumer)

    def _commit(self, consumer: KafkaConsumer) -> None:
        if not self._uncommitted:
            return
        offsets = [TopicPartition(topic, partition, offset) for (topic, partition), offset in self._uncommitted.items()]
        try:
            committed = consumer.commit(offsets=offsets, asynchronous=False) or []
        except KafkaException as error:
            self._errors(error.args[0], group=self.group_id, action="commit")
            return
        for partition in committed:
            if partition.error is None:
                self._uncommitted.pop((partition.topic, partition.partition), None)

    def _on_revoke(self, consumer: KafkaConsumer, partitions: list[TopicPartition]) -> None:
        """Before partitions move to another member: commit what was handled, forget the rest."""
        self._commit(consumer)
        for partition in partitions:
            self._uncommitted.pop((partition.topic, partition.partition), None)
            self._progress.pop((partition.topic, partition.partition), None)

    def _refresh_lag(self, consumer: KafkaConsumer) -> None:
        """Lag per topic: the partition's end (as last fetched) minus the next offset to handle."""
        now = time.monotonic()
        if now - self._lag_checked < 1.0:
            return
        self._lag_checked = now
        lag = dict.fromkeys(self._by_topic, 0)
        try:
            positions = consumer.position(consumer.assignment())
        except KafkaException:
            return
        for partition in positions:
            try:
                _, high = consumer.get_watermark_offsets(partition, cached=True)
            except KafkaException:
                continue
            following = self._progress.get((partition.topic, partition.partition), partition.offset)
            if high is None or high < 0 or following < 0:
                continue
            lag[partition.topic] = lag.get(partition.topic, 0) + max(high - following, 0)
        self.lag = lag

    # -- on the event loop -------------------------------------------------------------------

    async def _handle_batch(self, messages: list[Message]) -> tuple[dict[tuple[str, int], int], list[TopicPartition]]:
        """Handle a batch, each partition in order (partitions concurrently, except on SQLite).
        Returns the offsets to commit and, for partitions it stopped early, where to resume."""
        by_partition: dict[tuple[str, int], list[Message]] = defaultdict(list)
        for message in messages:
            by_partition[(str(message.topic()), int(message.partition() or 0))].append(message)
        deadline = time.monotonic() + self._batch_budget
        done: dict[tuple[str, int], int] = {}
        rewind: list[TopicPartition] = []

        async def run(partition: tuple[str, int], items: list[Message]) -> None:
            for message in items:
                offset = int(message.offset() or 0)
                if time.monotonic() > deadline or self._stopping.is_set():
                    rewind.append(TopicPartition(partition[0], partition[1], offset))
                    return
                try:
                    await self._handle_message(message)
                except Exception:
                    # Only the dead letter itself could not be written (database down): read again.
                    log.exception("kafka_message_not_handled", group=self.group_id, topic=partition[0], offset=offset)
                    rewind.append(TopicPartition(partition[0], partition[1], offset))
                    await asyncio.sleep(1.0)
                    return
                done[partition] = offset + 1
                self._progress[partition] = offset + 1

        if self._dispatcher.serial:
            for partition, items in by_partition.items():
                await run(partition, items)
        else:
            await asyncio.gather(*(run(partition, items) for partition, items in by_partition.items()))
        return done, rewind

    async def _handle_message(self, message: Message) -> None:
        topic = str(message.topic())
        consumers = self._by_topic.get(topic, [])
        if not consumers:
            return
        headers = _headers(message)
        raw_key = message.key()
        key = raw_key.decode("utf-8", "replace") if isinstance(raw_key, bytes) else str(raw_key or "")
        value = message.value()
        body = value if isinstance(value, bytes) else str(value or "").encode()
        source = f"kafka:{topic}/{message.partition()}@{message.offset()}"
        try:
            envelope = Envelope.model_validate_json(body)
            context = delivery_context(headers, envelope, key=key, source=source)
        except (ValueError, InvalidMessageError) as error:
            invalid = DeliveryContext(key=key, tenant_id=None, traceparent=None, source=source, headers=headers)
            event_id = (headers.get(h.ID) or f"{topic}/{message.partition()}@{message.offset()}")[:64]
            for consumer in consumers:
                await self._dispatcher.dead_letter(
                    consumer.name,
                    service=self.service,
                    topic=topic,
                    event_id=event_id,
                    body=body.decode("utf-8", "replace"),
                    context=invalid,
                    error=f"invalid message: {error}"[:4000],
                    attempts=0,
                )
            return
        for consumer in consumers:
            await self._dispatcher.process(consumer, envelope, context, service=self.service)


# -- administration (used by the CLI; blocking calls) ------------------------------------------


class TopicCreationError(RuntimeError):
    pass


def create_topics(options: KafkaOptions, specs: Sequence[TopicSpec], *, timeout: float = 30.0) -> dict[str, str]:
    """Create ``specs`` on the broker; per topic ``created``, ``exists``, or ``exists with N
    partitions`` when the broker holds fewer than the registry asks for. Idempotent."""
    if not specs:
        return {}
    admin = AdminClient(options.admin_config())
    new_topics = [
        NewTopic(
            spec.name,
            num_partitions=spec.partitions,
            replication_factor=options.replication_factor,
            config={"retention.ms": str(spec.retention_hours * 3_600_000)},
        )
        for spec in specs
    ]
    futures = admin.create_topics(new_topics, operation_timeout=timeout, request_timeout=timeout)
    result: dict[str, str] = {}
    existing: list[str] = []
    for name, future in futures.items():
        try:
            future.result()
            result[name] = "created"
        except KafkaException as exception:
            error: KafkaError = exception.args[0]
            if error.code() != KafkaError.TOPIC_ALREADY_EXISTS:
                raise TopicCreationError(f"{name}: {error.name()}: {error.str()}") from None
            existing.append(name)
    if existing:
        metadata = admin.list_topics(timeout=timeout)
        wanted = {spec.name: spec.partitions for spec in specs}
        for name in existing:
            held = len(metadata.topics[name].partitions) if name in metadata.topics else 0
            result[name] = "exists" if held >= wanted[name] else f"exists with {held} partitions"
    return result


@dataclass(frozen=True)
class StoredMessage:
    """A message read back from a topic (replay)."""

    topic: str
    partition: int
    offset: int
    timestamp: dt.datetime | None
    key: str
    body: str
    headers: Mapping[str, str]


def read_topic(
    options: KafkaOptions,
    topic: str,
    *,
    offset: int | None = None,
    since: dt.datetime | None = None,
    limit: int | None = None,
    timeout: float = 30.0,
) -> list[StoredMessage]:
    """The original events of ``topic`` from ``offset`` (in every partition) or from ``since``, up to
    the end of each partition as of now, oldest first per partition. Reads without a consumer group
    commit; skips copies queued by earlier replays or requeues."""
    started = dt.datetime.now(dt.UTC)
    consumer = KafkaConsumer(
        {
            **options.consumer_config(f"{options.group_prefix}.replay.{uuid.uuid4().hex[:12]}"),
            "enable.partition.eof": True,
            "auto.offset.reset": "latest",  # an offset past the end reads nothing (not everything)
        }
    )
    try:
        metadata = consumer.list_topics(topic, timeout=timeout)
        described = metadata.topics.get(topic)
        if described is None or described.error is not None or not described.partitions:
            raise LookupError(f"topic {topic!r} does not exist on {options.bootstrap}")
        partitions = sorted(described.partitions)
        if since is not None:
            stamp = int(since.timestamp() * 1000)
            starts = consumer.offsets_for_times([TopicPartition(topic, p, stamp) for p in partitions], timeout=timeout)
            starts = [start for start in starts if start.offset >= 0]
        else:
            starts = []
            for number in partitions:
                low, _ = consumer.get_watermark_offsets(TopicPartition(topic, number), timeout=timeout)
                starts.append(TopicPartition(topic, number, max(offset or 0, low, 0)))
        if not starts:
            return []
        consumer.assign(starts)
        pending = {start.partition for start in starts}
        found: list[StoredMessage] = []
        quiet_since = time.monotonic()
        # Each partition ends with an end-of-partition event; a partition that neither sends one nor
        # any message for IDLE_SECONDS (e.g. an offset past its end) is taken as read.
        while pending and time.monotonic() - quiet_since < min(timeout, IDLE_SECONDS):
            for message in consumer.consume(500, 0.5):
                quiet_since = time.monotonic()
                partition = int(message.partition() or 0)
                error = message.error()
                if error is not None:
                    if error.code() == KafkaError._PARTITION_EOF:
                        pending.discard(partition)
                        continue
                    raise KafkaException(error)
                if partition not in pending:
                    continue
                _, stamp_ms = message.timestamp()
                when = dt.datetime.fromtimestamp(stamp_ms / 1000, dt.UTC) if stamp_ms and stamp_ms > 0 else None
                if when is not None and when > started:
                    pending.discard(partition)  # written after the replay began: live consumers have it
                    continue
                if since is not None and when is not None and when < since:
                    continue
                headers = _headers(message)
                if any(marker in headers for marker in h.COPY_MARKERS):
                    continue
                raw_key = message.key()
                found.append(
                    StoredMessage(
                        topic=topic,
                        partition=partition,
                        offset=int(message.offset() or 0),
                        timestamp=when,
                        key=raw_key.decode("utf-8", "replace") if isinstance(raw_key, bytes) else "",
                        body=(message.value() or b"").decode("utf-8", "replace"),
                        headers=headers,
                    )
                )
                if limit is not None and len(found) >= limit:
                    return found
        return found
    finally:
        consumer.close()
