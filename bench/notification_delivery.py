"""Notification throughput: direct sends accepted per second through the API, and how fast the
delivery worker drains them to a real SMTP server (aiosmtpd on loopback) and the in-app inbox.

The app serves the notification service alone (in-process over ASGI) on a fresh migrated SQLite
database in a temp dir (or ``--postgres URL`` for a throw-away PostgreSQL database). Each send is
``POST /api/v1/notifications`` with one e-mail recipient and one role (in-app), so it creates a
notification and two deliveries. Measured:

- **intake**: sends per second with ``--concurrency`` clients in flight (intake only writes rows);
- **drain**: deliveries per second from the first send until every one is ``sent`` (the worker
  claims ``worker_batch_size`` at a time, one SMTP transaction per e-mail);
- **delivery latency**: the ``notification_delivery_seconds`` histogram's mean per channel.

Run: ``.venv/bin/python bench/notification_delivery.py [--sends 300] [--concurrency 8]``
"""

from __future__ import annotations

import argparse
import asyncio
import sys
import tempfile
import time
import uuid
from pathlib import Path

import asyncpg
import httpx
from prometheus_client import REGISTRY
from sqlalchemy.engine import make_url

sys.path.insert(0, str(Path(__file__).parents[1] / "tests" / "services" / "notification"))

from notification_support import SmtpServer

from vextrus.kit.app import build_app
from vextrus.kit.db import Database
from vextrus.kit.migrations import trees_for, upgrade
from vextrus.kit.models import PLATFORM_SCHEMA
from vextrus.kit.settings import load_settings
from vextrus.kit.tenancy import Principal
from vextrus.services.notification import service as notification_service


def _mean(channel: str) -> float:
    total = REGISTRY.get_sample_value("notification_delivery_seconds_sum", {"channel": channel}) or 0.0
    count = REGISTRY.get_sample_value("notification_delivery_seconds_count", {"channel": channel}) or 0.0
    return total / count if count else 0.0


async def run(sends: int, concurrency: int, postgres: str | None, workdir: Path) -> None:
    smtp = SmtpServer()
    smtp.start()
    dsn = None
    if postgres:
        name = f"vextrus_bench_ntf_{uuid.uuid4().hex[:8]}"
        dsn = make_url(postgres).set(drivername="postgresql").render_as_string(hide_password=False)
        connection = await asyncpg.connect(dsn)
        await connection.execute(f'CREATE DATABASE "{name}"')
        await connection.close()
        url = make_url(postgres).set(database=name).render_as_string(hide_password=False)
    else:
        url = f"sqlite+aiosqlite:///{workdir / 'bench.db'}"
    database = Database(url, [PLATFORM_SCHEMA, notification_service.schema])
    await upgrade(database, trees_for([notification_service]))
    await database.dispose()
    settings = load_settings(
        env="test", database_url=url, signing_key_path=workdir / "key.pem", log_level="ERROR", outbox_poll_seconds=0.05
    )
    overrides = {"notification": {"smtp_port": smtp.port, "worker_poll_seconds": 0.02, "worker_batch_size": 50}}
    app = build_app([notification_service], settings, service_settings=overrides)
    tenant = uuid.uuid4()
    try:
        async with app.router.lifespan_context(app):
            runtime = app.state.runtime
            token = runtime.issuer.issue(Principal(subject=uuid.uuid4(), tenant_id=tenant, permissions=frozenset("*")))
            headers = {"Authorization": f"Bearer {token}"}
            async with httpx.AsyncClient(transport=httpx.ASGITransport(app), base_url="http://bench") as client:
                queue: asyncio.Queue[int] = asyncio.Queue()
                for index in range(sends):
                    queue.put_nowait(index)

                async def sender() -> None:
                    while not queue.empty():
                        index = queue.get_nowait()
                        body = {
                            "recipients": [{"email": f"site{index}@meghna.com.bd"}, {"role": "site-engineer"}],
                            "data": {"subject": f"Pour {index}", "body": f"Concrete pour {index} at 06:00."},
                        }
                        response = await client.post("/api/v1/notifications", json=body, headers=headers)
                        assert response.status_code == 201, response.text

                started = time.perf_counter()
                await asyncio.gather(*(sender() for _ in range(concurrency)))
                accepted = time.perf_counter() - started
                for _ in range(30_000):  # at most ten minutes
                    if len(smtp.mailbox.messages) >= sends:
                        break
                    await asyncio.sleep(0.02)
                drained = time.perf_counter() - started
    finally:
        smtp.stop()
        if dsn and postgres:
            connection = await asyncpg.connect(dsn)
            await connection.execute(f'DROP DATABASE IF EXISTS "{make_url(url).database}" WITH (FORCE)')
            await connection.close()
    backend = "postgresql" if postgres else "sqlite"
    print(f"backend {backend}, {sends} sends x 2 deliveries, concurrency {concurrency}")
    print(f"intake   {sends / accepted:8.1f} sends/s   ({accepted:.2f} s)")
    print(f"drain    {2 * sends / drained:8.1f} deliveries/s ({drained:.2f} s until the last e-mail)")
    print(f"delivery mean: email {_mean('email') * 1000:.1f} ms, in_app {_mean('in_app') * 1000:.1f} ms")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n", 1)[0])
    parser.add_argument("--sends", type=int, default=300)
    parser.add_argument("--concurrency", type=int, default=8)
    parser.add_argument("--postgres", default=None, help="postgresql+asyncpg://... server for a throw-away database")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as workdir:
        asyncio.run(run(args.sends, args.concurrency, args.postgres, Path(workdir)))


if __name__ == "__main__":
    main()
