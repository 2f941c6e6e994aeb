"""What every aggregate of ours shares: who acted, which request it answered, and its rules."""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any

from eventsourcing.domain import Aggregate

from shared.errors import InvalidInput, InvalidTransition
from shared.text import LONGEST_LINE, date_problem, text_problem

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
    """Trimmed, printable text within a length limit: the message names the field and the limit.

    Texts allowed past LONGEST_LINE characters are long texts, which may hold line breaks and tabs."""
    value = str(value or "").strip()
    multiline = limit > LONGEST_LINE
    if multiline and "\r" in value:
        value = value.replace("\r\n", "\n")
    check(not required or bool(value), f"{what} must not be empty")
    check(len(value) <= limit, f"{what} is {len(value)} characters long; at most {limit} allowed")
    problem = text_problem(value, multiline=multiline)
    check(problem is None, f"{what} {problem}")
    return value


def iso_date(value: Any, what: str) -> str:
    """A calendar date as YYYY-MM-DD, within the programme's possible life (shared.text)."""
    return checked_date(value, what).isoformat()


def checked_date(value: Any, what: str) -> dt.date:
    try:
        date = value if type(value) is dt.date else dt.date.fromisoformat(str(value))
    except ValueError:
        raise InvalidInput(f"{what} must be a date like 2026-06-30, not '{value}'") from None
    problem = date_problem(date)
    check(problem is None, f"{what}: {problem}")
    return date


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
