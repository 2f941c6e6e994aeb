"""eventsourcing persistence on asyncpg: `PERSISTENCE_MODULE=shared.persistence.asyncpg_store`.

Environment: ASYNCPG_DSN (required, with database name), ASYNCPG_POOL_SIZE (default 10),
ASYNCPG_SCHEMA (default public), ORIGINATOR_ID_TYPE (uuid or text), CREATE_TABLE, and the
library's cipher / compressor / transcoder settings.
"""

from shared.persistence.asyncpg_store.datastore import AsyncpgDatastore
from shared.persistence.asyncpg_store.factory import AsyncpgFactory
from shared.persistence.asyncpg_store.recorders import (
    AsyncpgAggregateRecorder,
    AsyncpgApplicationRecorder,
    AsyncpgProcessRecorder,
    AsyncpgSubscription,
    AsyncpgTrackingRecorder,
)

Factory = AsyncpgFactory

__all__ = [
    "AsyncpgAggregateRecorder",
    "AsyncpgApplicationRecorder",
    "AsyncpgDatastore",
    "AsyncpgFactory",
    "AsyncpgProcessRecorder",
    "AsyncpgSubscription",
    "AsyncpgTrackingRecorder",
    "Factory",
]
