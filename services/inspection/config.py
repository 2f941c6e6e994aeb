"""Settings of the inspection service (environment variables VANGUARD_*)."""

from __future__ import annotations

from shared.config import ServiceSettings


class InspectionSettings(ServiceSettings):
    port: int = 8301
    database_dsn: str = "postgresql://postgres@127.0.0.1:5432/vanguard_inspection"
    due_soon_days: int = 7  # a milestone is "due soon" (blue) this many days before its due date
    scheduler_interval_seconds: float = 0.5
