"""The inbox against a real PostgreSQL: exactly once, in order, early events wait."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Callable

import asyncpg
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from shared.contracts import Envelope, event_id
from shared.messaging.inbox import Inbox, NotReady

pytestmark = pytest.mark.integration


def envelope(aggregate: uuid.UUID, version: int, type_: str = "x.Thing.Happened", **payload: object) -> Envelope:
    return Envelope(
        event_id=event_id(aggregate, version),
        type=type_,
        aggregate_id=str(aggregate),
        aggregate_type="Thing",
        aggregate_version=version,
        department="fgw",
        branch=None,
        actor={"id": "a", "role": "admin"},
        request_id=None,
        occurred_at="2026-01-01T00:00:00+00:00",
        source={"service": "x", "instance": "i", "position": version},
        payload=dict(payload),
    )


class Recorder:
    """A handler that records what it applied; it can fail, or wait for a named dependency."""

    def __init__(self) -> None:
        self.applied: list[tuple[str, int]] = []
        self.ready: set[str] = set()

    async def __call__(self, conn: asyncpg.Connection, e: Envelope) -> None:
        needs = e.payload.get("needs")
        if needs and needs not in self.ready:
            raise NotReady(str(needs))
        if e.payload.get("fail"):
            raise ValueError("broken payload")
        if e.payload.get("provides"):
            self.ready.add(str(e.payload["provides"]))
        await conn.execute("SELECT 1")
        self.applied.append((e.aggregate_id, e.aggregate_version))


def run(new_database: Callable[[str], str], batches: list[list[Envelope]]) -> tuple[Recorder, asyncpg.Record]:
    async def go() -> tuple[Recorder, asyncpg.Record]:
        conn = await asyncpg.connect(new_database("inbox"))
        try:
            await Inbox.create_schema(conn)
            recorder = Recorder()
            inbox = Inbox("test", recorder)
            for batch in batches:
                await inbox.apply_batch(conn, batch)
            counts = await conn.fetchrow(
                "SELECT (SELECT count(*) FROM inbox_parked) AS parked, "
                "(SELECT count(*) FROM inbox_waiting) AS waiting, "
                "(SELECT count(*) FROM inbox_dead_letters) AS dead"
            )
            return recorder, counts
        finally:
            await conn.close()

    return asyncio.run(go())


def test_a_redelivered_event_is_applied_once(new_database: Callable[[str], str]) -> None:
    a = uuid.uuid4()
    recorder, _ = run(
        new_database, [[envelope(a, 1), envelope(a, 2)], [envelope(a, 1), envelope(a, 2), envelope(a, 3)]]
    )
    assert recorder.applied == [(str(a), 1), (str(a), 2), (str(a), 3)]


def test_an_event_that_arrives_before_its_predecessor_is_parked_and_applied_in_order(
    new_database: Callable[[str], str],
) -> None:
    a = uuid.uuid4()
    recorder, counts = run(new_database, [[envelope(a, 3)], [envelope(a, 2)], [envelope(a, 1)]])
    assert recorder.applied == [(str(a), 1), (str(a), 2), (str(a), 3)]
    assert counts["parked"] == 0


def test_an_event_from_another_topic_that_arrives_early_waits_for_its_dependency(
    new_database: Callable[[str], str],
) -> None:
    task, project = uuid.uuid4(), uuid.uuid4()
    recorder, counts = run(
        new_database,
        [
            [envelope(task, 1, needs="project-approved"), envelope(task, 2)],  # both held back
            [envelope(project, 1, provides="project-approved")],
        ],
    )
    assert recorder.applied == [(str(project), 1), (str(task), 1), (str(task), 2)]
    assert (counts["waiting"], counts["parked"]) == (0, 0)


def test_a_failing_handler_keeps_the_event_as_a_dead_letter_and_the_stream_goes_on(
    new_database: Callable[[str], str],
) -> None:
    a = uuid.uuid4()
    recorder, counts = run(new_database, [[envelope(a, 1, fail=True), envelope(a, 2)]])
    assert recorder.applied == [(str(a), 2)]
    assert counts["dead"] == 1


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.data())
def test_any_order_of_deliveries_with_redeliveries_applies_each_event_once_in_order(
    new_database: Callable[[str], str], data: st.DataObject
) -> None:
    aggregates = [uuid.uuid4() for _ in range(3)]
    events = [envelope(a, v) for a in aggregates for v in range(1, 5)]
    deliveries = data.draw(st.permutations(events)) + data.draw(st.lists(st.sampled_from(events), max_size=6))
    cuts = sorted(data.draw(st.sets(st.integers(1, len(deliveries) - 1), max_size=5)))
    batches = [deliveries[i:j] for i, j in zip([0, *cuts], [*cuts, len(deliveries)], strict=True)]
    recorder, counts = run(new_database, batches)
    for a in aggregates:
        assert [v for agg, v in recorder.applied if agg == str(a)] == [1, 2, 3, 4]
    assert (counts["parked"], counts["waiting"], counts["dead"]) == (0, 0, 0)
