"""What the projection's public pages answer: a project's record (来历) once its notice is published.

Each key event is one of the kinds below (`event` tells which), with its programme date and only
the facts the programme publishes (services/projection/provenance.py).
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import Field

from services.projection.responses import Code
from shared.views import Day, Moment, Row


class PublicEvent(Row):
    label: str = Field(examples=["立项备案"])
    date: Day


class Filed(PublicEvent):
    event: Literal["filed"]


class Approved(PublicEvent):
    event: Literal["approved"]
    record_no: str | None


class MilestoneMet(PublicEvent):
    event: Literal["milestone_met"]
    milestone_id: str
    milestone_title: str | None


class Inspected(PublicEvent):
    event: Literal["inspected"]
    milestone_id: str
    milestone_title: str | None
    rating: Code = Field(examples=["on_track"])
    rating_label: str | None = Field(examples=["正常推进"])


class Applied(PublicEvent):
    event: Literal["applied"]


class NoticeOpened(PublicEvent):
    event: Literal["notice_opened"]
    working_days: int
    opened_at: Moment
    closes_at: Moment
    last_day: Day


class NoticeClosed(PublicEvent):
    event: Literal["notice_closed"]
    support: int
    objections: int


class Graded(PublicEvent):
    event: Literal["graded"]
    grade: Code = Field(examples=["excellent"])
    grade_label: str | None = Field(examples=["优秀"])
    score: float
    rubric: str


class InCasebook(PublicEvent):
    event: Literal["casebook"]
    year: int | None


class Brand(PublicEvent):
    event: Literal["brand"]
    name: str


class Commended(PublicEvent):
    event: Literal["commended"]
    level: Code = Field(examples=["provincial"])
    level_label: str | None = Field(examples=["省级"])
    issuer: str
    title: str


KeyEvent = Annotated[
    Filed
    | Approved
    | MilestoneMet
    | Inspected
    | Applied
    | NoticeOpened
    | NoticeClosed
    | Graded
    | InCasebook
    | Brand
    | Commended,
    Field(discriminator="event"),
]


class NoticePeriod(Row):
    """公示期: when it opened and closes, and its last day (it closes at the midnight after)."""

    opened_at: Moment
    closes_at: Moment
    last_day: Day
    working_days: int | None


class PublicRecord(Row):
    """A project's public record (来历): its key events and dates, once its notice is published."""

    project_id: str
    title: str
    year: int = Field(examples=[2026])
    direction: Code = Field(examples=["business_environment"])
    direction_label: str | None = Field(examples=["优化营商环境建设"])
    department: str = Field(examples=["fgw"])
    branch: str = Field(examples=["fgw-b1"])
    record_no: str | None
    goal: str
    state: Code = Field(examples=["graded"])
    state_label: str | None = Field(examples=["已评定"])
    grade: Code | None = Field(examples=["excellent"])
    grade_label: str | None = Field(examples=["优秀"])
    score: float | None
    in_casebook: bool
    brand: str | None
    notice: NoticePeriod
    events: list[KeyEvent]


HTML_PAGE: dict[int | str, dict[str, Any]] = {
    200: {"description": "the page", "content": {"text/html": {"schema": {"type": "string"}}}}
}
