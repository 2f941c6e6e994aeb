"""What every service answers with besides its own views: the base of response models, the actor of
an event, and the page of the audit feed (`GET /events`).

Views are built as plain dicts (services/*/schemas.py) and checked against these models when they
are served: FastAPI validates and serialises them in one pass (pydantic-core), and the OpenAPI
document shows every field. A view with a field its model does not declare is a bug, not a
secret: the contract tests find it, and a user is served it meanwhile rather than a 500.
"""

from __future__ import annotations

from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field, WithJsonSchema

# Times and dates are served as the ISO text the aggregates keep (not re-formatted by pydantic).
Moment = Annotated[
    str, WithJsonSchema({"type": "string", "format": "date-time", "examples": ["2026-06-30T10:00:00+08:00"]})
]
Day = Annotated[str, WithJsonSchema({"type": "string", "format": "date", "examples": ["2026-06-30"]})]
Version = Annotated[int, Field(description="the aggregate's version: send it back as expected_version")]


def _none(value: object) -> bool:
    return value is None


def absent(**field: Any) -> Any:
    """A field some views leave out: served when it applies, left out (not null) when it does not."""
    return Field(default=None, exclude_if=_none, **field)


class View(BaseModel):
    """A response body: every field declared, none more (so says the document)."""

    # Served leniently: an undeclared field would still reach the client rather than turn a good
    # answer into a 500; the contract tests (tests/contract.py) hold what is served to the document.
    model_config = ConfigDict(extra="allow", json_schema_extra={"additionalProperties": False})


class Row(BaseModel):
    """A row of a read model (`SELECT *`): the declared columns, and any column added since."""

    model_config = ConfigDict(extra="allow")


class Actor(View):
    """Who caused an event: a user by their token, or a service (role `system`)."""

    id: str = Field(examples=["s-fgw-1"])
    role: str = Field(examples=["secretary"])
    department: str | None = absent(examples=["fgw"])
    branch: str | None = absent(examples=["fgw-b1"])


class EventSource(View):
    service: str = Field(examples=["filing"])
    instance: str = Field(examples=["fgw"])
    position: int = Field(description="the notification id in the source's event store")


class EventEnvelope(View):
    """An integration event as Kafka carries it (shared/contracts.py, schema version 1)."""

    event_id: str = Field(description="uuid5(aggregate_id, aggregate_version)")
    type: str = Field(examples=["filing.Project.Approved"])
    aggregate_id: str
    aggregate_type: str = Field(examples=["Project"])
    aggregate_version: int
    department: str
    branch: str | None
    actor: dict[str, str] = Field(description='{"id", "role", "department"?, "branch"?}')
    request_id: str | None
    occurred_at: Moment
    source: EventSource
    payload: dict[str, Any] = Field(description="the event's own fields (shared/contracts.py CATALOGUE)")
    schema_version: int = Field(examples=[1])


class EventFeed(View):
    """A page of the audit feed: read on with `after=next_after` while `more`."""

    events: list[EventEnvelope]
    next_after: int = Field(description="the position of the last event on this page")
    more: bool = Field(description="the page is full: there may be more after next_after")
