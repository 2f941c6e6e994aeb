"""create_app(settings): the composition root of a tasking instance."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator

import asyncpg
from fastapi import FastAPI

from services.tasking.api import router
from services.tasking.app import TaskingApplication
from services.tasking.config import TaskingSettings
from services.tasking.evidence import SCHEMA
from shared.api import create_service_app
from shared.api.stored import router as stored_router
from shared.messaging.envelopes import EnvelopeFactory

SERVICE = "tasking"


def build_application(settings: TaskingSettings) -> TaskingApplication:
    return TaskingApplication(
        settings.eventsourcing_env(),
        departments=settings.served,
        clock=settings.clock,
        clock_dsn=settings.clock_dsn,
        timezone=settings.timezone,
    )


def create_app(settings: TaskingSettings | None = None) -> FastAPI:
    settings = settings or TaskingSettings()

    @contextlib.asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        app.state.pool = await asyncpg.create_pool(settings.database_dsn, min_size=1, max_size=4)
        async with app.state.pool.acquire() as conn:
            await conn.execute(SCHEMA)
        try:
            yield
        finally:
            await app.state.pool.close()

    app = create_service_app(
        SERVICE,
        settings.instance,
        settings.token_verifier(),
        lifespan=lifespan,
        description="任务到人: task boards, tasks for named members, progress and evidence",
    )
    tasking = build_application(settings)
    app.state.tasking = tasking
    app.state.applications.append(tasking)
    app.state.envelopes = EnvelopeFactory(tasking, SERVICE, settings.instance)
    app.state.audited_recorder = tasking.recorder  # GET /audit/stored
    app.include_router(router)
    app.include_router(stored_router)
    return app
