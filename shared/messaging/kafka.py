"""kafka-python clients with the settings we chose deliberately (see README: messaging)."""

from __future__ import annotations

from kafka import KafkaAdminClient, KafkaConsumer, KafkaProducer
from kafka.admin import NewTopic
from kafka.errors import TopicAlreadyExistsError

# How long a fetch may wait at the broker for records. The embedded broker, fetching several
# partitions, tends to answer only when the wait is over (3 partitions, measured: p50 5 ms with
# 10 ms, 130 ms with 500 ms), so a busy consumer asks with a short wait; an idle one would then
# ask a hundred times a second (0.06 of a core per client, the broker as much again), so the
# consumer loop lengthens the wait once nothing has come for a while (set_fetch_wait).
# A short session timeout keeps a group join to seconds; metadata refreshed every 5 s brings a
# topic created later into a pattern subscription.
BUSY_FETCH_WAIT_MS = 10
IDLE_FETCH_WAIT_MS = 1000
CONSUMER_DEFAULTS = {
    "enable_auto_commit": False,
    "auto_offset_reset": "earliest",
    "fetch_max_wait_ms": BUSY_FETCH_WAIT_MS,
    "session_timeout_ms": 6000,
    "heartbeat_interval_ms": 1000,
    "max_poll_records": 500,
    "metadata_max_age_ms": 5000,
}


def producer(bootstrap: str) -> KafkaProducer:
    return KafkaProducer(
        bootstrap_servers=bootstrap,
        acks="all",
        linger_ms=1,
        retries=5,
        # One request in flight keeps an aggregate's events in order on retry. No idempotent
        # producer: its id dies with a broker that forgets, and consumers drop duplicates anyway.
        max_in_flight_requests_per_connection=1,
        enable_idempotence=False,
        request_timeout_ms=10_000,
        max_block_ms=10_000,
    )


def consumer(bootstrap: str, group_id: str | None, **overrides: object) -> KafkaConsumer:
    return KafkaConsumer(bootstrap_servers=bootstrap, group_id=group_id, **{**CONSUMER_DEFAULTS, **overrides})


def set_fetch_wait(consumer: KafkaConsumer, wait_ms: int) -> None:
    """Change how long the consumer's next fetches wait at the broker. kafka-python reads the value
    from its fetcher's config for every fetch request it builds; there is no public setter."""
    consumer._fetcher.config["fetch_max_wait_ms"] = wait_ms


def ensure_topic(bootstrap: str, topic: str, partitions: int) -> None:
    admin = KafkaAdminClient(bootstrap_servers=bootstrap, request_timeout_ms=10_000)
    try:
        if topic not in admin.list_topics():
            admin.create_topics([NewTopic(topic, partitions, 1)])
    except TopicAlreadyExistsError:
        pass
    finally:
        admin.close()
