"""What every aggregate of ours shares: who acted, which request it answered, and its rules."""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any

from eventsourcing.domain import Aggregate

from shared.errors import InvalidInput, InvalidTransition

# Ids of aggregates created by a command are derived from the client's request id, so a
# retried create finds the aggregate it made the first time instead of making another.
_NAMESPACE = uuid.UUID("6f1c3a52-8d7e-4b0a-9c1e-5a4f2b7d9e01")


def derived_id(kind: str, scope: str, key: str) -> uuid.UUID:
    return uuid.uuid5(_NAMESPACE, f"{kind}:{scope}:{key}")


def require(condition: bool, message: str, **details: Any) -> None:
    if not condition:
        raise InvalidTransition(message, **details)


def check(condition: bool, message: str, **details: Any) -> None:
    if not condition:
        raise InvalidInput(message, **details)


def text(value: Any, what: str, limit: int, *, required: bool = True) -> str:
    """Trimmed text within a length limit: the message names the field and the limit."""
    value = str(value or "").strip()
    check(not required or bool(value), f"{what} must not be empty")
    check(len(value) <= limit, f"{what} is {len(value)} characters long; at most {limit} allowed")
    return value


def iso_date(value: Any, what: str) -> str:
    """A calendar date as YYYY-MM-DD."""
    try:
        return dt.date.fromisoformat(str(value)).isoformat()
    except ValueError:
        raise InvalidInput(f"{what} must be a date like 2026-06-30, not '{value}'") from None


class VanguardAggregate(Aggregate):
    """An aggregate whose every event records its actor and the request it answers."""

    # Subclasses set `department` and `branch` (None for department-wide aggregates) when created.

    @property
    def request_ids(self) -> set[str]:
        return self.__dict__.setdefault("_request_ids", set())

    def answered(self, request_id: str | None) -> bool:
        """Whether the command with this request id was already recorded here."""
        return request_id is not None and request_id in self.request_ids

    def _remember(self, request_id: str | None) -> None:
        if request_id:
            self.request_ids.add(request_id)
