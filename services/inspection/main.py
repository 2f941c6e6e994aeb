"""create_app(settings): the composition root of the inspection service."""

from __future__ import annotations

from fastapi import FastAPI

from services.inspection.api import router
from services.inspection.app import InspectionApplication
from services.inspection.config import InspectionSettings
from shared.api import create_service_app
from shared.api.stored import router as stored_router
from shared.messaging.envelopes import EnvelopeFactory

SERVICE = "inspection"


def build_application(settings: InspectionSettings) -> InspectionApplication:
    return InspectionApplication(
        settings.eventsourcing_env(),
        due_soon_days=settings.due_soon_days,
        timezone=settings.timezone,
        clock=settings.clock,
        clock_dsn=settings.clock_dsn,
    )


def create_app(settings: InspectionSettings | None = None) -> FastAPI:
    settings = settings or InspectionSettings()
    app = create_service_app(
        SERVICE,
        settings.instance,
        settings.token_verifier(),
        description="节点督查: checkpoints, inspections, rectification orders, warning colours",
    )
    inspection = build_application(settings)
    app.state.inspection = inspection
    app.state.applications.append(inspection)
    app.state.envelopes = EnvelopeFactory(inspection, SERVICE, settings.instance)
    app.state.audited_recorder = inspection.recorder  # GET /audit/stored
    app.include_router(router)
    app.include_router(stored_router)
    return app
