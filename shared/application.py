"""What every service's Application shares: finding, creating and updating aggregates by the rules
of our API (department scope, request-id idempotency, expected versions)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable, Mapping
from typing import Any, TypeVar
from uuid import UUID

from eventsourcing.application import AggregateNotFoundError, Application, ProcessingEvent
from eventsourcing.persistence import IntegrityError

from shared.auth import Principal, Role
from shared.clock import Clock, ProgrammeClock, make_clock
from shared.domain import VanguardAggregate
from shared.errors import Forbidden, NotFound, NotServed, StaleVersion
from shared.observability import EVENTS_RECORDED
from shared.saved import SavedAggregates

A = TypeVar("A", bound=VanguardAggregate)


class VanguardApplication(Application[UUID]):
    def __init__(
        self,
        env: Mapping[str, str] | None = None,
        departments: frozenset[str] = frozenset(),
        *,
        clock: Clock | str = "system",
        clock_dsn: str = "",
        timezone: str = "Asia/Shanghai",
    ) -> None:
        super().__init__(env)
        self.departments = departments
        self.saved = SavedAggregates()
        made = make_clock(clock, self.recorder, clock_dsn) if isinstance(clock, str) else clock
        self.programme = ProgrammeClock(made, timezone)
        self.clock, self.tz = made, self.programme.tz

    def now(self) -> dt.datetime:
        """The programme's time, in its timezone (the manual clock's, in rehearsals)."""
        return self.programme.now()

    def today(self) -> dt.date:
        return self.now().date()

    def set_clock(self, who: Principal, now: dt.datetime) -> dt.datetime:
        """Move the manual clock (admin); the system clock cannot be moved."""
        return self.programme.set(who, now)

    def get(self, cls: type[A], aggregate_id: UUID) -> A:
        found = self.find(cls, aggregate_id)
        if found is None:
            raise NotFound(f"no {cls.__name__.lower()} with id {aggregate_id}")
        return found

    def find(self, cls: type[A], aggregate_id: UUID) -> A | None:
        try:
            aggregate = self.repository.get(aggregate_id, projector_func=replay)
        except AggregateNotFoundError:
            return None
        return aggregate if isinstance(aggregate, cls) else None

    def read(self, who: Principal, cls: type[A], aggregate_id: UUID) -> A:
        aggregate = self.get(cls, aggregate_id)
        if not who.may_read(aggregate.department, aggregate.branch):
            raise Forbidden(f"you may not read this {cls.__name__.lower()}")
        return aggregate

    def served(self, department: str | None) -> str:
        if not department:
            raise Forbidden("your token names no department")
        if self.departments and department not in self.departments:
            raise NotServed(
                f"this {self.name} instance serves {', '.join(sorted(self.departments))}, not '{department}'; "
                "send the command to that department's instance",
                department=department,
            )
        return department

    def create(self, cls: type[A], *aggregates: VanguardAggregate) -> A:
        """Save a new aggregate (first) with any others it changes; a racing twin's result wins."""
        try:
            self.record(*aggregates)
        except IntegrityError:
            existing = self.find(cls, aggregates[0].id)
            if existing is None:
                raise
            return existing
        self.saved.check_in(aggregates[0])
        return aggregates[0]  # type: ignore[return-value]

    def update(
        self,
        cls: type[A],
        aggregate_id: UUID,
        expected_version: int,
        request_id: str | None,
        authorise: Callable[[A], None],
        act: Callable[[A], None],
    ) -> A:
        """Load, authorise, check the expected version, act, save; a retried request answers again.

        The aggregate comes from `saved` when this process saved it at the expected version (else
        from the store); it goes back there only once saved again, so a failed command leaves
        nothing half-changed behind.
        """
        aggregate = self.saved.check_out(cls, aggregate_id, expected_version) or self.get(cls, aggregate_id)
        self.served(aggregate.department)
        authorise(aggregate)
        if aggregate.answered(request_id):
            self.saved.check_in(aggregate)
            return aggregate
        if aggregate.version != expected_version:
            raise stale(expected_version, aggregate.version)
        act(aggregate)
        try:
            self.record(aggregate)
        except IntegrityError:
            fresh = self.get(cls, aggregate_id)
            if fresh.answered(request_id):
                return fresh
            raise stale(expected_version, fresh.version) from None
        self.saved.check_in(aggregate)
        return aggregate

    def record(self, *aggregates: VanguardAggregate) -> None:
        """Application.save() for our aggregates, without its protocol checks: on Python 3.11 an
        isinstance() against a typing.Protocol costs more than the rest of collecting events."""
        processing_event: ProcessingEvent[UUID] = ProcessingEvent()
        for aggregate in aggregates:
            processing_event.events.extend(aggregate.collect_events())
            processing_event.aggregates[aggregate.id] = aggregate
        recordings = self._record(processing_event)
        self._take_snapshots(processing_event)
        self._notify(recordings)
        EVENTS_RECORDED.labels(self.name).inc(len(recordings))


def replay(aggregate: Any, events: Iterable[Any]) -> Any:
    """The library's project_aggregate without its per-event isinstance() against a Protocol
    (an assert, but asserts run): on Python 3.11 that check costs more than the mutation."""
    for event in events:
        aggregate = event.mutate(aggregate)
    return aggregate


def committee(who: Principal) -> Callable[[VanguardAggregate], None]:
    """Only the committee (党委) of the aggregate's department."""

    def authorise(aggregate: VanguardAggregate) -> None:
        who.require_role(Role.COMMITTEE)
        who.require_department(aggregate.department)

    return authorise


def secretary(who: Principal) -> Callable[[VanguardAggregate], None]:
    """Only the secretary (支部书记) of the aggregate's branch."""

    def authorise(aggregate: VanguardAggregate) -> None:
        who.require_role(Role.SECRETARY)
        who.require_branch(aggregate.department, str(aggregate.branch))

    return authorise


def stale(expected: int, actual: int) -> StaleVersion:
    return StaleVersion(
        f"the record changed since you read it: you sent expected_version {expected}, "
        f"it is now at version {actual}; reload it and decide again",
        expected_version=expected,
        current_version=actual,
    )
