"""Settings of the acceptance service (environment variables VANGUARD_*)."""

from __future__ import annotations

import datetime as dt

from services.acceptance.rubric import RUBRICS_DIR
from shared.config import ServiceSettings


class AcceptanceSettings(ServiceSettings):
    port: int = 8501
    database_dsn: str = "postgresql://postgres@127.0.0.1:5432/vanguard_acceptance"
    notice_working_days: int = 5  # 公示期, weekends excluded
    holidays: str = ""  # comma-separated dates that are not working days either, e.g. 2026-10-01,2026-10-02
    organisers: str = ""  # comma-separated subjects of panelists who organise panels (admins always may)
    rubric: str = "2026-v1"  # the rubric new panels score under
    rubrics_dir: str = str(RUBRICS_DIR)
    projection_url: str = ""  # the casebook links to {projection_url}/public/projects/{id}.html (none if empty)
    feedback_rate_limit: int = 5  # public feedback per client IP ...
    feedback_rate_window_seconds: int = 60  # ... per this many seconds
    sealer_interval_seconds: float = 1.0

    @property
    def holiday_dates(self) -> frozenset[dt.date]:
        return frozenset(dt.date.fromisoformat(d.strip()) for d in self.holidays.split(",") if d.strip())

    @property
    def organiser_subjects(self) -> frozenset[str]:
        return frozenset(s.strip() for s in self.organisers.split(",") if s.strip())
