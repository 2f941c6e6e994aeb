"""`?as_of=`: the past moment a read asks about, parsed and checked in one place for every endpoint.

A moment is ISO 8601 with its UTC offset (2026-06-30T18:00+08:00, or Z for UTC). One without an
offset is refused, not read as Beijing time: an hour's difference changes the answer, and a client
should say which hour it means. A `+` left unencoded in a URL arrives as a space; it is read as the
`+` it was. A moment after now is refused (there is no history of it yet), and so is one outside
the programme's years; a moment before the first event is no error: the read answers as the
projection did then, empty. What is read at the moment: services/projection/time_travel.py.
"""

from __future__ import annotations

import datetime as dt
import re
from typing import Annotated

from fastapi import Request

from shared.api.routes import FromRequest
from shared.errors import InvalidInput
from shared.text import date_problem

NAME = "as_of"
EXAMPLE = "2026-06-30T18:00+08:00"
LONGEST = 64
DESCRIPTION = (
    "Answer as the projection stood at this past moment: computed from the recorded history (every event "
    "its source recorded by then, applied in the order they were applied here). ISO 8601 with a UTC offset, "
    f"e.g. {EXAMPLE} (URL-encode the + as %2B, or it arrives as a space, which is read as +); not in the "
    "future. Before the first event the answer is empty. Leave it out for the present."
)
_FIELD_RANGE = re.compile(r"(year|month|day|hour|minute|second|microsecond) (must be in|is out of range) .+")
# "2026-06-30T18:00 08:00": the offset's '+' decoded from a URL as a space
_SPACED_OFFSET = re.compile(r"(.+[T ]\d{2}(?::?\d{2}(?::?\d{2}(?:[.,]\d+)?)?)?) (\d{2}(?::?\d{2})?)")


def parse(value: str, now: dt.datetime, timezone: dt.tzinfo) -> dt.datetime:
    """The moment `value` names, checked against `now`; InvalidInput saying what is wrong."""
    shown = value if len(value) <= LONGEST else f"{value[:LONGEST]}…"
    if not value.strip():
        raise InvalidInput(f"as_of is empty: give a moment such as {EXAMPLE}, or leave as_of out for the present")
    spaced = _SPACED_OFFSET.fullmatch(value.strip())
    text = f"{spaced[1]}+{spaced[2]}" if spaced else value.strip()
    try:
        moment = dt.datetime.fromisoformat(text)
    except ValueError as error:
        raise InvalidInput(
            f"as_of '{shown}' is not a moment ({_why(error)}): "
            f"write it in ISO 8601 with its UTC offset, such as {EXAMPLE}"
        ) from None
    if moment.tzinfo is None:
        if "T" not in text and " " not in text:
            raise InvalidInput(
                f"as_of '{shown}' is a date, not a moment: add the time and its UTC offset, such as "
                f"{moment.date().isoformat()}T23:59:59+08:00 for the end of that day in Beijing time"
            )
        raise InvalidInput(
            f"as_of '{shown}' has no UTC offset: say which time zone it is in, such as {EXAMPLE} (Beijing time) "
            "or a Z for UTC"
        )
    problem = date_problem(moment.date())
    if problem is not None:
        raise InvalidInput(f"as_of: {problem}")
    if moment > now:
        shown_now = now.astimezone(timezone).replace(microsecond=0).isoformat()
        raise InvalidInput(
            f"as_of {moment.isoformat()} is in the future: it is now {shown_now}, and there is no history of later "
            "moments yet; leave as_of out for the present"
        )
    return moment


def _why(error: ValueError) -> str:
    """Python's reason, where it is one a person reads ("day is out of range for month")."""
    said = str(error)
    if _FIELD_RANGE.fullmatch(said):
        return said
    return "its UTC offset is out of range: -23:59 to +23:59" if "offset" in said else "not ISO 8601"


def as_of_of(request: Request) -> dt.datetime | None:
    """The request's `as_of`, if it has one, checked against the system's clock (the one the sources'
    stores record their events by)."""
    given = request.query_params.getlist(NAME)
    if not given:
        return None
    if len(given) > 1:
        raise InvalidInput(f"as_of is given {len(given)} times: give one moment")
    return parse(given[0], dt.datetime.now(dt.UTC), request.app.state.timezone)


AsOf = Annotated[
    dt.datetime | None,
    FromRequest(
        as_of_of,
        {
            "parameters": [
                {
                    "name": NAME,
                    "in": "query",
                    "required": False,
                    "description": DESCRIPTION,
                    "schema": {"type": "string", "format": "date-time", "examples": [EXAMPLE]},
                }
            ]
        },
    ),
]
