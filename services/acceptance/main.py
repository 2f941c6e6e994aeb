"""create_app(settings): the composition root of the acceptance service."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator
from pathlib import Path

import asyncpg
from fastapi import FastAPI

from services.acceptance.api import router
from services.acceptance.app import AcceptanceApplication
from services.acceptance.config import AcceptanceSettings
from services.acceptance.limits import create_schema
from services.acceptance.rubric import Rubrics
from shared.api import create_service_app
from shared.api.stored import router as stored_router
from shared.messaging.envelopes import EnvelopeFactory

SERVICE = "acceptance"


def build_application(settings: AcceptanceSettings) -> AcceptanceApplication:
    return AcceptanceApplication(
        settings.eventsourcing_env(),
        rubrics=Rubrics(Path(settings.rubrics_dir), settings.rubric),
        notice_working_days=settings.notice_working_days,
        holidays=settings.holiday_dates,
        organisers=settings.organiser_subjects,
        timezone=settings.timezone,
        clock=settings.clock,
        clock_dsn=settings.clock_dsn,
    )


def create_app(settings: AcceptanceSettings | None = None) -> FastAPI:
    settings = settings or AcceptanceSettings()

    @contextlib.asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        app.state.pool = await asyncpg.create_pool(settings.database_dsn, min_size=1, max_size=4)
        async with app.state.pool.acquire() as conn:
            await create_schema(conn)
        try:
            yield
        finally:
            await app.state.pool.close()

    app = create_service_app(
        SERVICE,
        settings.instance,
        settings.token_verifier(),
        lifespan=lifespan,
        description="公开验收: applications, public notices and feedback, panels and grades, "
        "the casebook, brands and commendations",
    )
    acceptance = build_application(settings)
    app.state.acceptance = acceptance
    app.state.applications.append(acceptance)
    app.state.settings = settings
    app.state.envelopes = EnvelopeFactory(acceptance, SERVICE, settings.instance)
    app.state.audited_recorder = acceptance.recorder  # GET /audit/stored
    app.include_router(router)
    app.include_router(stored_router)
    return app
