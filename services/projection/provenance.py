"""A project's public record (来历): its key events with their dates, for anyone, once its acceptance
notice (公示) is published.

Only what the notice itself published, or what the programme publishes anyway (record number,
ratings, grade, honours), is shown: no member, panelist or feedback author, no actor, no free text
an inspector or the public wrote. Each event is chosen by type and each of its fields by name, so
a field added to an event later stays private until someone adds it here.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Callable
from typing import Any

import asyncpg

from services.projection.vocabulary import (
    DIRECTION_LABELS,
    GRADE_LABELS,
    LEVEL_LABELS,
    RATING_LABELS,
    STATE_LABELS,
    label,
)

EVENTS = {  # event type -> (code, label)
    "filing.Project.Submitted": ("filed", "申报立项"),
    "filing.Project.Approved": ("approved", "立项备案"),
    "tasking.TaskBoard.MilestoneMet": ("milestone_met", "节点完成"),
    "inspection.Supervision.InspectionRecorded": ("inspected", "节点督查"),
    "acceptance.Acceptance.Applied": ("applied", "申请验收"),
    "acceptance.Acceptance.NoticeOpened": ("notice_opened", "验收公示"),
    "acceptance.Acceptance.NoticeClosed": ("notice_closed", "公示期满"),
    "acceptance.Acceptance.Concluded": ("graded", "验收评定"),
    "acceptance.Acceptance.SelectedForCasebook": ("casebook", "入选优秀案例汇编"),
    "acceptance.Acceptance.BrandDesignated": ("brand", "命名党建品牌"),
    "acceptance.Acceptance.CommendationRecorded": ("commended", "获得表彰"),
}

Facts = Callable[[dict[str, Any], dict[str, str]], dict[str, Any]]


def _milestone(p: dict[str, Any], titles: dict[str, str]) -> dict[str, Any]:
    return {"milestone_id": p["milestone_id"], "milestone_title": titles.get(p["milestone_id"])}


_FACTS: dict[str, Facts] = {
    "approved": lambda p, _: {"record_no": p.get("record_no")},
    "milestone_met": _milestone,
    "inspected": lambda p, t: {
        **_milestone(p, t),
        "rating": p["rating"],
        "rating_label": label(RATING_LABELS, p["rating"]),
    },
    "notice_opened": lambda p, _: {"working_days": p["working_days"]},
    "notice_closed": lambda p, _: {"support": p["support"], "objections": p["objections"]},
    "graded": lambda p, _: {
        "grade": p["grade"],
        "grade_label": label(GRADE_LABELS, p["grade"]),
        "score": p["score"],
        "rubric": p["rubric"],
    },
    "casebook": lambda p, _: {"year": p.get("year")},
    "brand": lambda p, _: {"name": p["name"]},
    "commended": lambda p, _: {
        "level": p["level"],
        "level_label": label(LEVEL_LABELS, p["level"]),
        "issuer": p["issuer"],
        "title": p["title"],
    },
}
# Where an event's programme date is; the others are dated when they were recorded.
_DATED_BY = {
    "milestone_met": "met_on",
    "inspected": "at",
    "applied": "at",
    "notice_opened": "opened_at",
    "notice_closed": "closed_at",
    "graded": "at",
    "commended": "awarded_on",
}


def _local(value: dt.datetime, tz: dt.tzinfo) -> dt.datetime:
    return value.astimezone(tz)


def _date(event: str, payload: dict[str, Any], recorded: dt.datetime, tz: dt.tzinfo) -> str:
    value = payload.get(_DATED_BY.get(event, ""))
    if not isinstance(value, str):
        return _local(recorded, tz).date().isoformat()
    if len(value) == 10:  # a calendar date already
        return value
    return _local(dt.datetime.fromisoformat(value), tz).date().isoformat()


def _period(opened_at: dt.datetime, closes_at: dt.datetime, tz: dt.tzinfo) -> dict[str, str]:
    """公示期: when it opened and closes, and its last day (it closes at the midnight after)."""
    return {
        "opened_at": _local(opened_at, tz).isoformat(),
        "closes_at": _local(closes_at, tz).isoformat(),
        "last_day": (_local(closes_at, tz) - dt.timedelta(microseconds=1)).date().isoformat(),
    }


async def public_record(conn: asyncpg.Connection, project_id: str, tz: dt.tzinfo) -> dict[str, Any] | None:
    """The project's public record, or None unless its acceptance notice has been published."""
    row = await conn.fetchrow("SELECT * FROM projects WHERE id = $1 AND notice_opened_at IS NOT NULL", project_id)
    if row is None:
        return None
    titles = {
        m["milestone_id"]: m["title"]
        for m in await conn.fetch("SELECT milestone_id, title FROM milestones WHERE project_id = $1", project_id)
    }
    events = []
    for e in await conn.fetch(
        "SELECT type, occurred_at, payload FROM audit_trail WHERE project_id = $1 AND type = ANY($2) "
        "ORDER BY occurred_at, aggregate_version",
        project_id,
        list(EVENTS),
    ):
        code, name = EVENTS[e["type"]]
        payload = json.loads(e["payload"])
        facts = _FACTS.get(code, lambda p, t: {})(payload, titles)
        date = _date(code, payload, e["occurred_at"], tz)
        if code == "notice_opened":
            opened, closes = (dt.datetime.fromisoformat(payload[k]) for k in ("opened_at", "closes_at"))
            facts.update(_period(opened, closes, tz))
        events.append({"event": code, "label": name, "date": date, **facts})
    return {
        "project_id": str(row["id"]),
        "title": row["title"],
        "year": row["year"],
        "direction": row["direction"],
        "direction_label": label(DIRECTION_LABELS, row["direction"]),
        "department": row["department"],
        "branch": row["branch"],
        "record_no": row["record_no"],
        "goal": row["goal"],
        "state": row["state"],
        "state_label": label(STATE_LABELS, row["state"]),
        "grade": row["grade"],
        "grade_label": label(GRADE_LABELS, row["grade"]),
        "score": row["score"],
        "in_casebook": row["in_casebook"],
        "brand": row["brand"],
        "notice": {
            **_period(row["notice_opened_at"], row["notice_closes_at"], tz),
            "working_days": row["notice_working_days"],
        },
        "events": events,
    }
