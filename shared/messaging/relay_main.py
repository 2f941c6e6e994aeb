"""Run a relay as its own process, stopping cleanly on SIGTERM/SIGINT."""

from __future__ import annotations

import asyncio
import logging
import signal
from typing import TYPE_CHECKING
from uuid import UUID

from prometheus_client import start_http_server

from shared.audit.follower import chain_follower
from shared.contracts import topic_name
from shared.messaging.envelopes import EnvelopeFactory
from shared.messaging.relay import Relay, RelaySettings
from shared.runtime import settle_heap

if TYPE_CHECKING:
    from eventsourcing.application import Application

    from shared.config import ServiceSettings


def run_relay(service: str, settings: ServiceSettings, app: Application[UUID]) -> None:
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(levelname)s %(message)s")
    if settings.relay_metrics_port:
        start_http_server(settings.relay_metrics_port, addr=settings.host)
    relay = Relay(
        RelaySettings(
            dsn=settings.database_dsn,
            bootstrap=settings.kafka_bootstrap,
            topic=topic_name(settings.topic_prefix, service, settings.instance),
        ),
        EnvelopeFactory(app, service, settings.instance),
    )

    follower = chain_follower(service, settings, app)

    async def main() -> None:
        stopping = asyncio.Event()
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGTERM, signal.SIGINT):
            loop.add_signal_handler(sig, stopping.set)
        settle_heap()
        if follower is None:
            await relay.run(stopping)
        else:
            await asyncio.gather(relay.run(stopping), follower.run(stopping))

    asyncio.run(main())
