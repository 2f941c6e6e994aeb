"""Run a service's consumer of other services' events as its own process."""

from __future__ import annotations

import asyncio
import logging
import signal
from collections.abc import Awaitable, Callable

import asyncpg
from prometheus_client import start_http_server

from shared.config import ServiceSettings
from shared.contracts import topic_pattern
from shared.messaging.consumer import ConsumerSettings, consume
from shared.messaging.inbox import Handler, Inbox
from shared.runtime import settle_heap

# Extra long-running work beside the consumer (e.g. a scheduler): (pool, stopping) -> coroutine
Task = Callable[[asyncpg.Pool, asyncio.Event], Awaitable[None]]


def run_consumer(
    service: str,
    settings: ServiceSettings,
    follows: tuple[str, ...],
    handler: Handler,
    group_id: str | None = None,
    tasks: tuple[Task, ...] = (),
) -> None:
    """Consume the topics of the services in `follows` until SIGTERM/SIGINT."""
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(levelname)s %(message)s")
    logging.getLogger("kafka").setLevel(logging.WARNING)
    if settings.consumer_metrics_port:
        start_http_server(settings.consumer_metrics_port, addr=settings.host)

    async def main() -> None:
        stopping = asyncio.Event()
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGTERM, signal.SIGINT):
            loop.add_signal_handler(sig, stopping.set)
        pool = await asyncpg.create_pool(settings.database_dsn, min_size=1, max_size=6)
        try:
            async with pool.acquire() as conn:
                await Inbox.create_schema(conn)
            consumer_settings = ConsumerSettings(
                settings.kafka_bootstrap,
                group_id or f"{settings.topic_prefix}.{service}.{settings.instance}",
                topic_pattern(settings.topic_prefix, follows),
            )
            settle_heap()
            jobs = [asyncio.create_task(consume(consumer_settings, pool, Inbox(service, handler), stopping))]
            jobs += [asyncio.create_task(task(pool, stopping)) for task in tasks]
            done, _ = await asyncio.wait(jobs, return_when=asyncio.FIRST_EXCEPTION)
            for job in done:
                job.result()  # a crashed job ends the process (its supervisor restarts it)
        finally:
            stopping.set()
            await pool.close()

    asyncio.run(main())
