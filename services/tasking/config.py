"""Settings of a tasking instance (environment variables VANGUARD_*)."""

from __future__ import annotations

from shared.config import ServiceSettings


class TaskingSettings(ServiceSettings):
    port: int = 8201
    database_dsn: str = "postgresql://postgres@127.0.0.1:5432/vanguard_tasking"
    departments: str = ""  # comma-separated department codes this instance serves; empty: all

    @property
    def served(self) -> frozenset[str]:
        return frozenset(d.strip() for d in self.departments.split(",") if d.strip())
