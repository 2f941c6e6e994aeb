"""create_app(settings): the projection service, its consumer running beside its API."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator
from pathlib import Path
from zoneinfo import ZoneInfo

import asyncpg
from fastapi import FastAPI

from services.projection.api import router
from services.projection.assessment.scheme import SCHEMES_DIR, SchemeError, SchemeRegistry
from services.projection.assessment_api import router as assessment_router
from services.projection.assessment_app import AssessmentApplication
from services.projection.assessment_exports_api import router as exports_router
from services.projection.audit_checkpoints import router as checkpoints_router
from services.projection.audit_feed import router as audit_feed_router
from services.projection.config import ProjectionSettings
from services.projection.handlers import handler
from services.projection.public import router as public_router
from services.projection.scoring import LiveScores
from services.projection.statistics_api import router as statistics_router
from services.projection.upgrade import upgrade
from shared.api import create_service_app
from shared.api.routes import run_sync
from shared.api.stored import router as stored_router
from shared.audit.follower import chain_follower
from shared.clock import ProgrammeClock, make_clock
from shared.contracts import topic_pattern
from shared.messaging.consumer import ConsumerSettings, consume
from shared.messaging.inbox import Inbox

SERVICE = "projection"
log = logging.getLogger("vanguard.projection")


def create_app(settings: ProjectionSettings | None = None) -> FastAPI:
    settings = settings or ProjectionSettings()

    @contextlib.asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        pool = await asyncpg.create_pool(settings.database_dsn, min_size=2, max_size=settings.pool_size)
        async with pool.acquire() as conn:
            await Inbox.create_schema(conn)
            await upgrade(conn)
        app.state.pool = pool
        await run_sync(assessment.adopt, registry.schemes.values())
        stopping = asyncio.Event()
        services = tuple(s.strip() for s in settings.consume_services.split(",") if s.strip())
        consumer = asyncio.create_task(
            consume(
                ConsumerSettings(
                    settings.kafka_bootstrap,
                    settings.group_id or f"{settings.topic_prefix}.projection.{settings.instance}",
                    topic_pattern(settings.topic_prefix, services),
                ),
                pool,
                Inbox(SERVICE, handler()),
                stopping,
            )
        )
        consumer.add_done_callback(_crash_on_failure)
        # The assessment ledger is an event store too: hash-chained and signed like the others'
        # (one follower, whichever worker takes its lock first).
        follower = chain_follower(SERVICE, settings, assessment)
        following = asyncio.create_task(follower.run(stopping)) if follower is not None else None
        try:
            yield
        finally:
            stopping.set()
            with contextlib.suppress(Exception):
                await asyncio.wait_for(consumer, 10)
            if following is not None:
                with contextlib.suppress(Exception):
                    await asyncio.wait_for(following, 10)
            await pool.close()

    app = create_service_app(
        SERVICE,
        settings.instance,
        settings.token_verifier(),
        lifespan=lifespan,
        description="Read models: project overviews and audit trails",
    )
    app.state.timezone = ZoneInfo(settings.timezone)
    # The projection keeps no event store: with VANGUARD_CLOCK=manual it reads the shared clock's
    # database (VANGUARD_CLOCK_DSN), and tells the system's time without one.
    kind = settings.clock if settings.clock_dsn else "system"
    app.state.programme_clock = ProgrammeClock(make_clock(kind, None, settings.clock_dsn), settings.timezone)
    registry, assessment = _assessment(settings, app.state.programme_clock)
    app.state.assessment = assessment
    app.state.applications.append(assessment)
    app.state.audited_recorder = assessment.recorder  # its own store (the assessment ledger): GET /audit/stored
    app.state.live_scores = LiveScores(registry, settings.assessment_scheme, app.state.timezone)
    app.include_router(router)
    app.include_router(assessment_router)
    app.include_router(exports_router)
    app.include_router(audit_feed_router)
    app.include_router(checkpoints_router)
    app.include_router(stored_router)
    app.include_router(public_router)
    app.include_router(statistics_router)
    return app


def _assessment(settings: ProjectionSettings, clock: ProgrammeClock) -> tuple[SchemeRegistry, AssessmentApplication]:
    """The scheme files, checked (a malformed one stops the start, naming its line), and the event
    store of publications and 加减分, which checks them against the versions it already knows."""
    registry = SchemeRegistry()
    registry.load_folder(Path(settings.assessment_schemes) if settings.assessment_schemes else SCHEMES_DIR)
    if settings.assessment_scheme not in registry.schemes:
        raise SchemeError(
            f"VANGUARD_ASSESSMENT_SCHEME is {settings.assessment_scheme}, which is none of the scheme files: "
            f"{', '.join(registry.schemes) or 'none'}"
        )
    store = AssessmentApplication(settings.store_env(), clock=clock.clock, timezone=settings.timezone)
    return registry, store


def _crash_on_failure(task: asyncio.Task[None]) -> None:
    if not task.cancelled() and task.exception() is not None:
        log.critical("the consumer stopped", exc_info=task.exception())
        # A projection that no longer consumes must not look healthy: let the supervisor restart it.
        import os
        import signal

        os.kill(os.getpid(), signal.SIGTERM)
