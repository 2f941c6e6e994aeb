"""Settings of the projection service (environment variables VANGUARD_*)."""

from __future__ import annotations

from shared.config import ServiceSettings


class ProjectionSettings(ServiceSettings):
    port: int = 8400
    database_dsn: str = "postgresql://postgres@127.0.0.1:5432/vanguard_projection"
    group_id: str = ""  # default: <topic prefix>.projection.<instance>
    consume_services: str = ""  # comma-separated services to follow; empty: all
    timezone: str = "Asia/Shanghai"  # the programme's calendar: the dates on public pages are its dates
