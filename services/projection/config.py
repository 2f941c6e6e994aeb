"""Settings of the projection service (environment variables VANGUARD_*)."""

from __future__ import annotations

from shared.config import ServiceSettings


class ProjectionSettings(ServiceSettings):
    port: int = 8400
    database_dsn: str = "postgresql://postgres@127.0.0.1:5432/vanguard_projection"
    group_id: str = ""  # default: <topic prefix>.projection.<instance>
    consume_services: str = ""  # comma-separated services to follow; empty: all
    timezone: str = "Asia/Shanghai"  # the programme's calendar: the dates on public pages are its dates
    # 考核评价: the event store of publications and 加减分 (default: the read models' database, in
    # tables of its own, which a rebuild of the read models leaves alone), the folder of scheme
    # files (default: deploy/assessment) and the scheme scores are computed by.
    store_dsn: str = ""
    assessment_schemes: str = ""
    assessment_scheme: str = "2026-v1"

    def store_env(self) -> dict[str, str]:
        return {
            **self.eventsourcing_env(),
            "ASYNCPG_DSN": self.store_dsn or self.database_dsn,
            "ASYNCPG_POOL_SIZE": "4",
        }
