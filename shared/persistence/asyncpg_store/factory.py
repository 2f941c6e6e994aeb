"""Infrastructure factory reading ASYNCPG_* settings, naming tables like eventsourcing.postgres."""

from __future__ import annotations

from typing import TYPE_CHECKING, cast

from eventsourcing.persistence import (
    AggregateRecorder,
    ApplicationRecorder,
    InfrastructureFactory,
    ProcessRecorder,
)
from eventsourcing.utils import Environment, EnvType, resolve_topic, strtobool
from typing_extensions import TypeVar

from shared.persistence.asyncpg_store.datastore import AsyncpgDatastore
from shared.persistence.asyncpg_store.recorders import (
    AsyncpgAggregateRecorder,
    AsyncpgApplicationRecorder,
    AsyncpgProcessRecorder,
    AsyncpgRecorder,
    AsyncpgTrackingRecorder,
)

if TYPE_CHECKING:
    from types import TracebackType

TAsyncpgTrackingRecorder = TypeVar(
    "TAsyncpgTrackingRecorder", bound=AsyncpgTrackingRecorder, default=AsyncpgTrackingRecorder
)


class AsyncpgFactory(InfrastructureFactory[AsyncpgTrackingRecorder]):
    ASYNCPG_DSN = "ASYNCPG_DSN"
    ASYNCPG_POOL_SIZE = "ASYNCPG_POOL_SIZE"
    ASYNCPG_SCHEMA = "ASYNCPG_SCHEMA"
    ORIGINATOR_ID_TYPE = "ORIGINATOR_ID_TYPE"
    CREATE_TABLE = "CREATE_TABLE"

    aggregate_recorder_class = AsyncpgAggregateRecorder
    application_recorder_class = AsyncpgApplicationRecorder
    tracking_recorder_class = AsyncpgTrackingRecorder
    process_recorder_class = AsyncpgProcessRecorder

    def __init__(self, env: Environment | EnvType | None) -> None:
        super().__init__(env)
        dsn = self.env.get(self.ASYNCPG_DSN)
        if not dsn:
            msg = f"asyncpg DSN not found in environment with key '{self.ASYNCPG_DSN}'"
            raise OSError(msg)
        pool_size_str = self.env.get(self.ASYNCPG_POOL_SIZE) or "10"
        try:
            pool_size = int(pool_size_str)
            if pool_size < 1:
                raise ValueError
        except ValueError:
            msg = (
                f"asyncpg environment value for key '{self.ASYNCPG_POOL_SIZE}' is invalid. "
                f"If set, a positive integer is expected: '{pool_size_str}'"
            )
            raise OSError(msg) from None
        originator_id_type = self.env.get(self.ORIGINATOR_ID_TYPE) or "uuid"
        if originator_id_type.lower() not in ("uuid", "text"):
            msg = f"Invalid {self.ORIGINATOR_ID_TYPE} '{originator_id_type}', must be 'uuid' or 'text'"
            raise OSError(msg)
        self.datastore = AsyncpgDatastore(
            dsn,
            pool_size=pool_size,
            schema=self.env.get(self.ASYNCPG_SCHEMA) or "",
            originator_id_type=originator_id_type,
        )

    def _prepared(self, recorder: AsyncpgRecorder) -> None:
        if strtobool(self.env.get(self.CREATE_TABLE) or "yes"):
            recorder.create_table()

    def _name(self, default: str) -> str:
        return self.env.name.lower() or default

    def aggregate_recorder(self, purpose: str = "events") -> AggregateRecorder:
        recorder = type(self).aggregate_recorder_class(
            self.datastore, events_table_name=f"{self._name('stored')}_{purpose}"
        )
        self._prepared(recorder)
        return recorder

    def application_recorder(self) -> ApplicationRecorder:
        topic = self.env.get(self.APPLICATION_RECORDER_TOPIC)
        cls: type[AsyncpgApplicationRecorder] = resolve_topic(topic) if topic else type(self).application_recorder_class
        assert issubclass(cls, AsyncpgApplicationRecorder)
        recorder = cls(self.datastore, events_table_name=f"{self._name('stored')}_events")
        self._prepared(recorder)
        return recorder

    def tracking_recorder(
        self, tracking_recorder_class: type[TAsyncpgTrackingRecorder] | None = None
    ) -> TAsyncpgTrackingRecorder:
        if tracking_recorder_class is None:
            topic = self.env.get(self.TRACKING_RECORDER_TOPIC)
            tracking_recorder_class = cast(
                "type[TAsyncpgTrackingRecorder]",
                resolve_topic(topic) if topic else type(self).tracking_recorder_class,
            )
        assert issubclass(tracking_recorder_class, AsyncpgTrackingRecorder)
        recorder = tracking_recorder_class(self.datastore, tracking_table_name=f"{self._name('notification')}_tracking")
        self._prepared(recorder)
        return recorder

    def process_recorder(self) -> ProcessRecorder:
        topic = self.env.get(self.PROCESS_RECORDER_TOPIC)
        cls: type[AsyncpgProcessRecorder] = resolve_topic(topic) if topic else type(self).process_recorder_class
        assert issubclass(cls, AsyncpgProcessRecorder)
        recorder = cls(
            self.datastore,
            events_table_name=f"{self._name('stored')}_events",
            tracking_table_name=f"{self._name('notification')}_tracking",
        )
        self._prepared(recorder)
        return recorder

    def close(self) -> None:
        datastore = getattr(self, "datastore", None)  # absent if __init__ failed
        if datastore is not None:
            datastore.close()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc_val: BaseException | None,
        exc_tb: TracebackType | None,
    ) -> None:
        super().__exit__(exc_type, exc_val, exc_tb)
        self.close()
