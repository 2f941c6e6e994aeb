"""Settings every service shares; each service's own Settings class extends this."""

from __future__ import annotations

from pydantic_settings import BaseSettings, SettingsConfigDict


class CommonSettings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="VANGUARD_", extra="ignore")

    # Embedded defaults; point these at a real PostgreSQL / Kafka through the environment.
    jwt_secret: str = "vanguard-local-development-secret-change-me"
    kafka_bootstrap: str = "127.0.0.1:9092"
    topic_prefix: str = "vanguard"


class ServiceSettings(CommonSettings):
    """What every service process reads: where it listens, its database, its instance name."""

    instance: str = "main"
    host: str = "127.0.0.1"
    port: int = 8000
    workers: int = 1
    relay_metrics_port: int = 0  # the relay process serves /metrics here (0: not at all)
    consumer_metrics_port: int = 0  # the consumer process serves /metrics here (0: not at all)
    database_dsn: str = "postgresql://postgres@127.0.0.1:5432/vanguard"
    persistence_module: str = "shared.persistence.asyncpg_store"
    pool_size: int = 10

    def eventsourcing_env(self) -> dict[str, str]:
        """The eventsourcing library's settings for this service's event store."""
        return {
            "PERSISTENCE_MODULE": self.persistence_module,
            "ASYNCPG_DSN": self.database_dsn,
            "ASYNCPG_POOL_SIZE": str(self.pool_size),
            "CREATE_TABLE": "y",
            # Not the library's aggregate cache: it fast-forwards under a thread lock, and two
            # requests for one aggregate on one event loop (bridge greenlets) would deadlock on
            # it. Commands use shared.saved.SavedAggregates instead (checked against versions).
        }
