"""Request and response bodies of the inspection API (codes with their Chinese labels beside)."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any

from pydantic import ConfigDict, Field

from services.inspection.domain import MAX_ITEMS, MAX_TEXT, Supervision
from services.inspection.vocabulary import (
    COLOUR_LABELS,
    ORDER_STATE_LABELS,
    RATING_LABELS,
    Colour,
    OrderState,
    Rating,
)
from shared.api.bodies import SINGLE_LINE, ProgrammeDate, Strict

Text = Annotated[str, Field(min_length=1, max_length=MAX_TEXT)]
Version = Annotated[int, Field(ge=1, description="the version you read; a stale one gets 409")]


class Rectification(Strict):
    items: Annotated[list[Text], Field(min_length=1, max_length=MAX_ITEMS)]
    deadline: ProgrammeDate


class RecordInspection(Strict):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "expected_version": 3,
                    "milestone_id": "m1",
                    "rating": "lagging",
                    "findings": "调研覆盖面不足,仅走访12家企业",
                    "rectification": {"items": ["补充走访8家企业", "完善问题清单"], "deadline": "2026-04-30"},
                }
            ]
        }
    )

    expected_version: Version
    milestone_id: Annotated[str, Field(min_length=1, max_length=32), SINGLE_LINE]
    rating: Rating
    findings: Text
    rectification: Rectification | None = None


class Expect(Strict):
    expected_version: Version


class Answer(Strict):
    model_config = ConfigDict(
        json_schema_extra={"examples": [{"expected_version": 5, "answer": "已补充走访8家企业,问题清单已完善"}]}
    )

    expected_version: Version
    answer: Text


class Reject(Strict):
    expected_version: Version
    reason: Text


def _rating(code: str | None) -> str | None:
    return RATING_LABELS[Rating(code)] if code else None


def checkpoint_view(c: dict[str, Any], today: dt.date) -> dict[str, Any]:
    due = dt.date.fromisoformat(c["due"])
    return {
        "milestone_id": c["milestone_id"],
        "title": c["title"],
        "due": c["due"],
        "deliverable": c["deliverable"],
        "met_on": c["met_on"],
        "met_deliverable": c["met_deliverable"],
        "days_left": (due - today).days,
        "overdue": not c["met_on"] and today > due,
        "due_soon_raised": c["due_soon"],
        "overdue_raised": c["overdue"],
        "rating": c["rating"],
        "rating_label": _rating(c["rating"]),
        "progress": dict(c["progress"]),
    }


def order_view(o: dict[str, Any]) -> dict[str, Any]:
    return {**o, "state_label": ORDER_STATE_LABELS[OrderState(o["state"])]}


def colour_view(entry: dict[str, Any]) -> dict[str, Any]:
    previous = entry.get("previous")
    return {
        **entry,
        "colour_label": COLOUR_LABELS[Colour(entry["colour"])],
        "previous_label": COLOUR_LABELS[Colour(previous)] if previous else None,
    }


def project_fields(s: Supervision) -> dict[str, Any]:
    return {
        "project_id": s.project_id,
        "department": s.department,
        "branch": s.branch,
        "record_no": s.record_no,
        "project_title": s.title,
        "colour": s.colour,
        "colour_label": COLOUR_LABELS[Colour(s.colour)],
    }


def supervision_view(s: Supervision, today: dt.date) -> dict[str, Any]:
    return {
        "id": str(s.id),
        "version": s.version,
        **project_fields(s),
        "colour_reasons": s.colour_history[-1]["reasons"],
        "colour_history": [colour_view(h) for h in s.colour_history],
        "checkpoints": [checkpoint_view(c, today) for c in sorted(s.checkpoints.values(), key=lambda c: c["due"])],
        "inspections": [
            {**{k: v for k, v in i.items() if k != "request_id"}, "rating_label": _rating(i["rating"])}
            for i in s.inspections
        ],
        "rectifications": [order_view(o) for o in s.rectifications.values()],
        "closed": s.closed,
        "close_reason": s.close_reason,
        "created_at": s.created_on.isoformat(),
        "modified_at": s.modified_on.isoformat(),
    }
