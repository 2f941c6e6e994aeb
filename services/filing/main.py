"""create_app(settings): the composition root of a filing instance."""

from __future__ import annotations

from fastapi import FastAPI

from services.filing.api import router
from services.filing.app import FilingApplication
from services.filing.config import FilingSettings
from shared.api import create_service_app
from shared.api.stored import router as stored_router
from shared.messaging.envelopes import EnvelopeFactory

SERVICE = "filing"


def build_application(settings: FilingSettings) -> FilingApplication:
    return FilingApplication(
        settings.eventsourcing_env(),
        departments=settings.served,
        clock=settings.clock,
        clock_dsn=settings.clock_dsn,
        timezone=settings.timezone,
    )


def create_app(settings: FilingSettings | None = None) -> FastAPI:
    settings = settings or FilingSettings()
    app = create_service_app(
        SERVICE,
        settings.instance,
        settings.token_verifier(),
        description="党委出题、支部立项: topics, projects and the organisation registry",
    )
    filing = build_application(settings)
    app.state.filing = filing
    app.state.applications.append(filing)
    app.state.envelopes = EnvelopeFactory(filing, SERVICE, settings.instance)
    app.state.audited_recorder = filing.recorder  # GET /audit/stored
    app.include_router(router)
    app.include_router(stored_router)
    return app
